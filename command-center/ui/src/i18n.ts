import type { AlertState, Severity } from '@vigil/schemas';

/** The languages of the UI; every key below exists in each (PRODUCT.md: complete, switchable). */
export const LANGS = ['zh-CN', 'en'] as const;
export type Lang = (typeof LANGS)[number];

const STORAGE_KEY = 'vigil.lang';

type Strings = {
  appName: string;
  langName: string;
  languageLabel: string;
  alertsHeading: string;
  connecting: string;
  live: string;
  reconnecting: string;
  loadFailed: string;
  emptyTitle: string;
  emptyBody: string;
  colSeverity: string;
  colAlert: string;
  colSite: string;
  colDevice: string;
  colRaised: string;
  colCount: string;
  countTimes: (n: number) => string;
  total: (n: number) => string;
  devicesHeading: string;
  devicesEmpty: string;
  online: string;
  offline: string;
  since: (time: string) => string;
  devicesSummary: (online: number, all: number) => string;
  severity: Record<Severity, string>;
  state: Record<AlertState, string>;
};

/** Every user-facing string of the UI, in both languages. */
export const messages: Record<Lang, Strings> = {
  'zh-CN': {
    // The product name is bilingual in both languages, as on the control-room wall.
    appName: 'Vigil 指挥中心 / Command Centre',
    langName: '中文',
    languageLabel: '语言',
    alertsHeading: '实时告警',
    connecting: '正在连接…',
    live: '实时',
    reconnecting: '正在重连…',
    loadFailed: '告警列表加载失败，正在重试。',
    emptyTitle: '暂无告警',
    emptyBody: '一切正常。新告警会立即显示在这里。',
    colSeverity: '级别',
    colAlert: '告警',
    colSite: '场所',
    colDevice: '设备',
    colRaised: '发生时间',
    colCount: '次数',
    countTimes: (n) => `${n} 次`,
    total: (n) => `共 ${n} 条`,
    devicesHeading: '设备在线状态',
    devicesEmpty: '尚无设备上报状态。',
    online: '在线',
    offline: '离线',
    since: (time) => `自 ${time}`,
    devicesSummary: (online, all) => `${online} / ${all} 在线`,
    severity: { critical: '紧急', high: '高', medium: '中', low: '低' },
    state: {
      raised: '未确认',
      acknowledged: '已确认',
      dispatched: '已派警',
      on_scene: '已到场',
      resolved: '已处置',
      shelved: '已搁置',
      suppressed: '已抑制',
      normal: '已恢复正常',
      out_of_service: '停用维护',
    },
  },
  en: {
    appName: 'Vigil 指挥中心 / Command Centre',
    langName: 'English',
    languageLabel: 'Language',
    alertsHeading: 'Live alerts',
    connecting: 'Connecting…',
    live: 'Live',
    reconnecting: 'Reconnecting…',
    loadFailed: 'Could not load the alert list; retrying.',
    emptyTitle: 'No alerts',
    emptyBody: 'All quiet. New alerts appear here as they are raised.',
    colSeverity: 'Severity',
    colAlert: 'Alert',
    colSite: 'Site',
    colDevice: 'Device',
    colRaised: 'Raised',
    colCount: 'Count',
    countTimes: (n) => (n === 1 ? '1 time' : `${n} times`),
    total: (n) => (n === 1 ? '1 alert' : `${n} alerts`),
    devicesHeading: 'Devices connected',
    devicesEmpty: 'No device has reported its status yet.',
    online: 'Online',
    offline: 'Offline',
    since: (time) => `since ${time}`,
    devicesSummary: (online, all) => `${online} of ${all} online`,
    severity: { critical: 'Critical', high: 'High', medium: 'Medium', low: 'Low' },
    state: {
      raised: 'Unacknowledged',
      acknowledged: 'Acknowledged',
      dispatched: 'Dispatched',
      on_scene: 'On scene',
      resolved: 'Resolved',
      shelved: 'Shelved',
      suppressed: 'Suppressed',
      normal: 'Returned to normal',
      out_of_service: 'Out of service',
    },
  },
};

/** True if `s` is one of the UI languages. */
export function isLang(s: unknown): s is Lang {
  return typeof s === 'string' && (LANGS as readonly string[]).includes(s);
}

/** The remembered language, else the browser's (any `zh*` is Chinese), else English. */
export function initialLang(): Lang {
  let saved: string | null = null;
  try {
    saved = localStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage may be disabled (private mode, policy); fall back to the browser language.
  }
  if (isLang(saved)) return saved;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

/** Remember the operator's choice for the next visit. */
export function saveLang(lang: Lang): void {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // Not fatal: the choice then lasts for this page only.
  }
}

const formatters = new Map<Lang, Intl.DateTimeFormat>();

/** A time formatted for the locale, with seconds (operators compare events to the second). */
export function formatTime(ms: number, lang: Lang): string {
  let f = formatters.get(lang);
  if (!f) {
    f = new Intl.DateTimeFormat(lang, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(lang, f);
  }
  return f.format(ms);
}

/** Every character of the UI's own strings in both languages (to load their CJK font slices up front). */
export function dictionaryText(): string {
  const parts: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') parts.push(v);
    else if (typeof v === 'function') parts.push(String((v as (n: number, m: number) => string)(2, 3)));
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(messages);
  return [...new Set(parts.join(''))].join('');
}
