import type { Lang } from '../i18n';

/** Strings of the audit viewer, in both languages. */
export const auditText: Record<Lang, {
  heading: string;
  actor: string;
  action: string;
  actionHint: string;
  resource: string;
  outcome: string;
  any: string;
  from: string;
  to: string;
  apply: string;
  reset: string;
  export: string;
  verify: string;
  verifying: string;
  chainOk: (n: number) => string;
  chainBad: (seq: number, reason: string) => string;
  loadFailed: string;
  forbidden: string;
  empty: string;
  more: string;
  cols: { seq: string; at: string; actor: string; action: string; resource: string; outcome: string; ip: string; detail: string };
  outcomes: Record<string, string>;
  shown: (n: number) => string;
  showDetail: string;
}> = {
  en: {
    heading: 'Audit trail',
    actor: 'User',
    action: 'Action',
    actionHint: 'exact, or a prefix ending in "." (auth.)',
    resource: 'Resource',
    outcome: 'Outcome',
    any: 'Any',
    from: 'From',
    to: 'To',
    apply: 'Search',
    reset: 'Clear',
    export: 'Export CSV',
    verify: 'Verify the hash chain',
    verifying: 'Verifying…',
    chainOk: (n) => `Chain intact: ${n} entries checked.`,
    chainBad: (seq, r) => `Chain broken at entry ${seq}: ${r}`,
    loadFailed: 'Could not load the audit trail.',
    forbidden: 'Your role cannot read the audit trail.',
    empty: 'No entries match.',
    more: 'Load older entries',
    cols: { seq: '#', at: 'Time', actor: 'User', action: 'Action', resource: 'Resource', outcome: 'Outcome', ip: 'Address', detail: 'Detail' },
    outcomes: { ok: 'OK', denied: 'Denied', failed: 'Failed', error: 'Error' },
    shown: (n) => `${n} entries shown`,
    showDetail: 'Show',
  },
  'zh-CN': {
    heading: '审计日志',
    actor: '用户',
    action: '操作',
    actionHint: '完整名称，或以“.”结尾的前缀（如 auth.）',
    resource: '对象',
    outcome: '结果',
    any: '全部',
    from: '起',
    to: '止',
    apply: '查询',
    reset: '清除',
    export: '导出 CSV',
    verify: '校验哈希链',
    verifying: '正在校验…',
    chainOk: (n) => `哈希链完整：已校验 ${n} 条。`,
    chainBad: (seq, r) => `哈希链在第 ${seq} 条断开：${r}`,
    loadFailed: '审计日志加载失败。',
    forbidden: '您的角色无权查看审计日志。',
    empty: '没有符合条件的记录。',
    more: '加载更早的记录',
    cols: { seq: '序号', at: '时间', actor: '用户', action: '操作', resource: '对象', outcome: '结果', ip: '地址', detail: '详情' },
    outcomes: { ok: '成功', denied: '拒绝', failed: '失败', error: '错误' },
    shown: (n) => `已显示 ${n} 条`,
    showDetail: '查看',
  },
};
