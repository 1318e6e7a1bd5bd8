import type { Lang } from '../i18n';

/** Strings of the rules page, in both languages. */
export const rulesText: Record<
  Lang,
  {
    tab: string;
    thresholds: string;
    thresholdsNote: string;
    timezone: string;
    saveThresholds: string;
    kinds: Record<'doors' | 'areas' | 'victims', string>;
    none: string;
    edit: string;
    remove: string;
    save: string;
    add: string;
    json: string;
    badJson: string;
    saved: string;
  }
> = {
  'zh-CN': {
    tab: '规则与阈值',
    thresholds: '告警阈值（全系统）',
    thresholdsNote: '名称中带单位（_s 秒，_m 米，_pct 百分比）。仅最高级管理员可修改。',
    timezone: '时区',
    saveThresholds: '保存阈值',
    kinds: { doors: '门禁规则（开放时段、常开报警）', areas: '区域点名（应到人数）', victims: '被害人保护（距离报警）' },
    none: '暂无。',
    edit: '编辑',
    remove: '删除',
    save: '保存',
    add: '新增',
    json: '规则内容（JSON）',
    badJson: '内容不是有效的 JSON，或缺少 id。/ Not valid JSON, or no id.',
    saved: '已保存。',
  },
  en: {
    tab: 'Rules and thresholds',
    thresholds: 'Alert thresholds (whole system)',
    thresholdsNote: 'Units are in the names (_s seconds, _m metres, _pct per cent). Only an administrator at the top of the tree changes them.',
    timezone: 'Time zone',
    saveThresholds: 'Save thresholds',
    kinds: { doors: 'Doors (unlock windows, held-open alarms)', areas: 'Areas (roll-call headcount)', victims: 'Victim protection (distance alarms)' },
    none: 'None yet.',
    edit: 'Edit',
    remove: 'Delete',
    save: 'Save',
    add: 'Add',
    json: 'Rule (JSON)',
    badJson: 'Not valid JSON, or no id. / 内容不是有效的 JSON，或缺少 id。',
    saved: 'Saved.',
  },
};
