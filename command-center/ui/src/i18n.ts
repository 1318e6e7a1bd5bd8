import type { AlertAction, AlertState, Disposition, Severity } from '@vigil/schemas';

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
  noMatch: string;
  colSeverity: string;
  colAlert: string;
  colSite: string;
  colDevice: string;
  colRaised: string;
  colCount: string;
  countTimes: (n: number) => string;
  age: (ms: number) => string;
  total: (n: number) => string;
  shown: (n: number, all: number) => string;
  devicesHeading: string;
  devicesEmpty: string;
  online: string;
  offline: string;
  since: (time: string) => string;
  devicesSummary: (online: number, all: number) => string;
  severity: Record<Severity, string>;
  state: Record<AlertState, string>;
  action: Record<AlertAction, string>;
  disposition: Record<Disposition, string>;
  // sign-in
  signInHeading: string;
  username: string;
  password: string;
  signIn: string;
  signingIn: string;
  totpHeading: string;
  totpHelp: string;
  totpCode: string;
  verify: string;
  back: string;
  enrolHeading: string;
  enrolIntro: string;
  enrolStart: string;
  enrolQrLabel: string;
  enrolManual: string;
  enrolOpenApp: string;
  enrolConfirm: string;
  signOut: string;
  role: Record<string, string>;
  tooMany: string;
  fieldAckedBy: string;
  fieldShelved: (until: string, by: string) => string;
  fieldEscalated: (level: number, unit: string) => string;
  responseHeading: string;
  toAck: string;
  toArrive: string;
  toClose: string;
  duration: (ms: number) => string;
  signedInAs: (name: string, role: string) => string;
  sessionEnded: string;
  networkError: string;
  // navigation
  navLabel: string;
  navQueue: string;
  navMine: string;
  navAdmin: string;
  skipToContent: string;
  noViews: string;
  notFoundView: string;
  // queue
  filtersLabel: string;
  filterState: string;
  filterSeverity: string;
  filterSite: string;
  filterType: string;
  any: string;
  openStates: string;
  allStates: string;
  showHidden: string;
  countsLabel: string;
  sortBy: (col: string) => string;
  soundOn: string;
  soundLabel: string;
  shortcutsButton: string;
  shortcutsHeading: string;
  shortcuts: [string, string][];
  close: string;
  dismiss: string;
  inboxLabel: string;
  allowNotifications: string;
  open: string;
  acknowledged: (title: string) => string;
  newCritical: (title: string) => string;
  // detail
  backToQueue: string;
  detailHeading: string;
  loading: string;
  notFound: string;
  fieldRule: string;
  fieldSubject: string;
  fieldZone: string;
  fieldOfficer: string;
  fieldLastSeen: string;
  evidenceHeading: string;
  fixesHeading: string;
  fixesNone: string;
  colTime: string;
  colLat: string;
  colLon: string;
  colAcc: string;
  fixesMapLabel: (n: number) => string;
  zoomIn: string;
  zoomOut: string;
  eventsHeading: string;
  colType: string;
  colDetail: string;
  snapshotsHeading: string;
  snapshotAlt: (label: string, camera: string, time: string) => string;
  newAlertAnnounce: (severity: string, title: string) => string;
  colCamera: string;
  colLabel: string;
  colScore: string;
  timelineHeading: string;
  timelineNone: string;
  by: (actor: string) => string;
  actionsHeading: string;
  shelveFor: string;
  reason: string;
  hours: (n: number) => string;
  dispatchHeading: string;
  suggested: string;
  available: string;
  unavailable: string;
  distance: (m: number | null) => string;
  noOfficers: string;
  assign: string;
  dispositionHeading: string;
  dispositionCode: string;
  chooseCode: string;
  note: string;
  closeAlert: string;
  done: (action: string) => string;
  // notification link
  notifyHeading: string;
  notifyNoAlerts: string;
  accept: string;
  // officer's phone
  mineHeading: string;
  mineEmpty: string;
  mineDispatched: string;
  mineOthers: string;
  navigate: string;
  noPosition: string;
  sharePosition: string;
  positionShared: string;
  positionFailed: string;
  details: string;
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
    noMatch: '没有符合筛选条件的告警。',
    colSeverity: '级别',
    colAlert: '告警',
    colSite: '场所',
    colDevice: '设备',
    colRaised: '发生时间',
    colCount: '次数',
    countTimes: (n) => `${n} 次`,
    age: (ms) => (ms < 60_000 ? '不到 1 分钟前' : ms < 3_600_000 ? `${Math.floor(ms / 60_000)} 分钟前` : ms < 86_400_000 ? `${Math.floor(ms / 3_600_000)} 小时前` : `${Math.floor(ms / 86_400_000)} 天前`),
    total: (n) => `共 ${n} 条`,
    shown: (n, all) => `显示 ${n} / ${all} 条`,
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
    action: {
      acknowledge: '确认',
      shelve: '搁置',
      unshelve: '取消搁置',
      dispatch: '派警',
      arrive: '到达现场',
      resolve: '处置完毕',
      out_of_service: '停用维护',
      return_to_service: '恢复使用',
    },
    disposition: {
      violation_confirmed: '确认违规',
      false_alarm: '误报',
      equipment_fault: '设备故障',
      authorised: '已获批准',
      test: '测试',
      duplicate: '重复告警',
      other: '其他',
    },
    signInHeading: '登录',
    username: '用户名',
    password: '密码',
    signIn: '登录',
    signingIn: '正在登录…',
    totpHeading: '第二重身份验证',
    totpHelp: '请输入身份验证器应用中显示的 6 位验证码。',
    totpCode: '验证码',
    verify: '验证',
    back: '返回',
    enrolHeading: '绑定第二重身份验证',
    enrolIntro: '此角色必须使用第二重身份验证。请在手机上的身份验证器应用（TOTP）中添加此账户，然后输入其显示的验证码。',
    enrolStart: '开始绑定',
    enrolQrLabel: '用身份验证器应用扫描此二维码',
    enrolManual: '无法扫描时，请手动输入以下密钥：',
    enrolOpenApp: '在本机的身份验证器中打开',
    enrolConfirm: '确认并登录',
    signOut: '退出登录',
    role: { administrator: '管理员', supervisor: '督导', operator: '值班员', officer: '民警', auditor: '审计员' },
    tooMany: '尝试次数过多，请稍后再试。/ Too many attempts; try again later.',
    fieldAckedBy: '确认人',
    fieldShelved: (until, by) => `搁置至 ${until}（${by}）`,
    fieldEscalated: (level, unit) => `已上报 ${level} 级，至 ${unit}`,
    responseHeading: '响应时间',
    toAck: '确认用时',
    toArrive: '到场用时',
    toClose: '处置用时',
    duration: (ms) => (ms < 60_000 ? `${Math.round(ms / 1000)} 秒` : ms < 3_600_000 ? `${Math.floor(ms / 60_000)} 分 ${Math.round((ms % 60_000) / 1000)} 秒` : `${Math.floor(ms / 3_600_000)} 小时 ${Math.round((ms % 3_600_000) / 60_000)} 分`),
    signedInAs: (name, role) => `${name}（${role}）`,
    sessionEnded: '会话已结束，请重新登录。/ Your session has ended; please sign in again.',
    networkError: '无法连接服务器。/ Cannot reach the server.',
    navLabel: '主导航',
    navQueue: '告警队列',
    navMine: '我的任务',
    navAdmin: '系统管理',
    skipToContent: '跳到主要内容',
    noViews: '此角色没有可用的页面。',
    notFoundView: '没有这个页面。',
    filtersLabel: '筛选',
    filterState: '状态',
    filterSeverity: '级别',
    filterSite: '场所',
    filterType: '类型',
    any: '全部',
    openStates: '待处理',
    allStates: '全部状态',
    showHidden: '显示已搁置和已抑制',
    countsLabel: '各状态数量',
    sortBy: (col) => `按${col}排序`,
    soundOn: '紧急告警声音',
    soundLabel: '声音',
    shortcutsButton: '快捷键 (?)',
    shortcutsHeading: '键盘快捷键',
    shortcuts: [
      ['j / n', '下一条告警'],
      ['k', '上一条告警'],
      ['a', '确认所选告警（详情页：确认本告警）'],
      ['Enter', '打开所选告警详情'],
      ['?', '显示或隐藏本帮助'],
      ['Esc', '关闭帮助 / 返回队列'],
    ],
    close: '关闭',
    dismiss: '知道了',
    inboxLabel: '我的通知',
    allowNotifications: '允许系统通知',
    open: '打开',
    acknowledged: (title) => `已确认：${title}`,
    newCritical: (title) => `新的紧急告警：${title}`,
    backToQueue: '← 返回告警队列',
    detailHeading: '告警详情',
    loading: '正在加载…',
    notFound: '未找到该告警，或不在您的权限范围内。',
    fieldRule: '规则',
    fieldSubject: '监管对象',
    fieldZone: '区域',
    fieldOfficer: '处置民警',
    fieldLastSeen: '最后更新',
    evidenceHeading: '证据',
    fixesHeading: '定位点',
    fixesNone: '没有定位证据。',
    colTime: '时间',
    colLat: '纬度',
    colLon: '经度',
    colAcc: '精度（米）',
    fixesMapLabel: (n) => `${n} 个定位点的轨迹地图`,
    zoomIn: '放大',
    zoomOut: '缩小',
    eventsHeading: '设备事件',
    colType: '类型',
    colDetail: '内容',
    snapshotsHeading: '摄像机抓拍',
    snapshotAlt: (label, camera, time) => `${camera} 于 ${time} 抓拍：${label}`,
    newAlertAnnounce: (severity, title) => `新告警（${severity}）：${title}`,
    colCamera: '摄像机',
    colLabel: '目标',
    colScore: '置信度',
    timelineHeading: '处置时间线',
    timelineNone: '尚无状态变化。',
    by: (actor) => `操作人：${actor}`,
    actionsHeading: '操作',
    shelveFor: '搁置时长',
    reason: '原因',
    hours: (n) => `${n} 小时`,
    dispatchHeading: '派警',
    suggested: '推荐（最近且可用）',
    available: '可用',
    unavailable: '不可用',
    distance: (m) => (m === null ? '位置未知' : m >= 1000 ? `${(m / 1000).toFixed(1)} 公里` : `${m} 米`),
    noOfficers: '该场所没有可派的民警。',
    assign: '派警',
    dispositionHeading: '处置结果',
    dispositionCode: '处置结果代码',
    chooseCode: '请选择…',
    note: '处置说明',
    closeAlert: '处置完毕并关闭',
    done: (action) => `已完成：${action}`,
    notifyHeading: '通知中的告警',
    notifyNoAlerts: '此通知没有告警。',
    accept: '接受派警',
    mineHeading: '我的任务',
    mineEmpty: '目前没有派给您的告警。',
    mineDispatched: '派给我的',
    mineOthers: '我负责对象的其他告警',
    navigate: '导航到最后位置',
    noPosition: '无位置',
    sharePosition: '上报我的位置（可接警）',
    positionShared: '位置已上报。',
    positionFailed: '无法获取位置。',
    details: '详情',
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
    noMatch: 'No alert matches the filters.',
    colSeverity: 'Severity',
    colAlert: 'Alert',
    colSite: 'Site',
    colDevice: 'Device',
    colRaised: 'Raised',
    colCount: 'Count',
    countTimes: (n) => (n === 1 ? '1 time' : `${n} times`),
    age: (ms) => (ms < 60_000 ? 'under a minute ago' : ms < 3_600_000 ? `${Math.floor(ms / 60_000)} min ago` : ms < 86_400_000 ? `${Math.floor(ms / 3_600_000)} h ago` : `${Math.floor(ms / 86_400_000)} d ago`),
    total: (n) => (n === 1 ? '1 alert' : `${n} alerts`),
    shown: (n, all) => `${n} of ${all} shown`,
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
    action: {
      acknowledge: 'Acknowledge',
      shelve: 'Shelve',
      unshelve: 'Unshelve',
      dispatch: 'Dispatch',
      arrive: 'Arrived',
      resolve: 'Close',
      out_of_service: 'Out of service',
      return_to_service: 'Return to service',
    },
    disposition: {
      violation_confirmed: 'Violation confirmed',
      false_alarm: 'False alarm',
      equipment_fault: 'Equipment fault',
      authorised: 'Authorised (permission given)',
      test: 'Test',
      duplicate: 'Duplicate',
      other: 'Other',
    },
    signInHeading: 'Sign in',
    username: 'User name',
    password: 'Password',
    signIn: 'Sign in',
    signingIn: 'Signing in…',
    totpHeading: 'Second factor',
    totpHelp: 'Enter the 6-digit code shown in your authenticator app.',
    totpCode: 'Code',
    verify: 'Verify',
    back: 'Back',
    enrolHeading: 'Set up the second factor',
    enrolIntro: 'This role must use a second factor. Add this account to the authenticator (TOTP) app on your phone, then enter the code it shows.',
    enrolStart: 'Set it up',
    enrolQrLabel: 'QR code to scan with the authenticator app',
    enrolManual: 'If you cannot scan it, type this key:',
    enrolOpenApp: 'Open in an authenticator on this device',
    enrolConfirm: 'Confirm and sign in',
    signOut: 'Sign out',
    role: { administrator: 'administrator', supervisor: 'supervisor', operator: 'operator', officer: 'officer', auditor: 'auditor' },
    tooMany: 'Too many attempts; try again later. / 尝试次数过多，请稍后再试。',
    fieldAckedBy: 'Acknowledged by',
    fieldShelved: (until, by) => `Shelved until ${until} (${by})`,
    fieldEscalated: (level, unit) => `Escalated ${level} level(s), to ${unit}`,
    responseHeading: 'Response times',
    toAck: 'To acknowledge',
    toArrive: 'To arrive',
    toClose: 'To close',
    duration: (ms) => (ms < 60_000 ? `${Math.round(ms / 1000)} s` : ms < 3_600_000 ? `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s` : `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`),
    signedInAs: (name, role) => `${name} (${role})`,
    sessionEnded: 'Your session has ended; please sign in again. / 会话已结束，请重新登录。',
    networkError: 'Cannot reach the server. / 无法连接服务器。',
    navLabel: 'Main navigation',
    navQueue: 'Alert queue',
    navMine: 'My tasks',
    navAdmin: 'Administration',
    skipToContent: 'Skip to main content',
    noViews: 'No page is available to this role.',
    notFoundView: 'There is no such page.',
    filtersLabel: 'Filters',
    filterState: 'State',
    filterSeverity: 'Severity',
    filterSite: 'Site',
    filterType: 'Type',
    any: 'All',
    openStates: 'Open',
    allStates: 'All states',
    showHidden: 'Show shelved and suppressed',
    countsLabel: 'Alerts by state',
    sortBy: (col) => `Sort by ${col}`,
    soundOn: 'Sound for critical alerts',
    soundLabel: 'Sound',
    shortcutsButton: 'Shortcuts (?)',
    shortcutsHeading: 'Keyboard shortcuts',
    shortcuts: [
      ['j / n', 'Next alert'],
      ['k', 'Previous alert'],
      ['a', 'Acknowledge the selected alert (in the detail: this alert)'],
      ['Enter', 'Open the selected alert'],
      ['?', 'Show or hide this help'],
      ['Esc', 'Close the help / back to the queue'],
    ],
    close: 'Close',
    dismiss: 'Dismiss',
    inboxLabel: 'My notifications',
    allowNotifications: 'Allow system notifications',
    open: 'Open',
    acknowledged: (title) => `Acknowledged: ${title}`,
    newCritical: (title) => `New critical alert: ${title}`,
    backToQueue: '← Back to the queue',
    detailHeading: 'Alert detail',
    loading: 'Loading…',
    notFound: 'No such alert, or it is outside your scope.',
    fieldRule: 'Rule',
    fieldSubject: 'Subject',
    fieldZone: 'Zone',
    fieldOfficer: 'Officer',
    fieldLastSeen: 'Last update',
    evidenceHeading: 'Evidence',
    fixesHeading: 'Position fixes',
    fixesNone: 'No position evidence.',
    colTime: 'Time',
    colLat: 'Latitude',
    colLon: 'Longitude',
    colAcc: 'Accuracy (m)',
    fixesMapLabel: (n) => `Map of the track of ${n} fixes`,
    zoomIn: 'Zoom in',
    zoomOut: 'Zoom out',
    eventsHeading: 'Device events',
    colType: 'Type',
    colDetail: 'Detail',
    snapshotsHeading: 'Camera snapshots',
    snapshotAlt: (label, camera, time) => `Snapshot from ${camera} at ${time}: ${label}`,
    newAlertAnnounce: (severity, title) => `New ${severity} alert: ${title}`,
    colCamera: 'Camera',
    colLabel: 'Object',
    colScore: 'Score',
    timelineHeading: 'Timeline',
    timelineNone: 'No transition yet.',
    by: (actor) => `by ${actor}`,
    actionsHeading: 'Actions',
    shelveFor: 'Shelve for',
    reason: 'Reason',
    hours: (n) => (n === 1 ? '1 hour' : `${n} hours`),
    dispatchHeading: 'Dispatch',
    suggested: 'Suggested (nearest available)',
    available: 'Available',
    unavailable: 'Unavailable',
    distance: (m) => (m === null ? 'position unknown' : m >= 1000 ? `${(m / 1000).toFixed(1)} km` : `${m} m`),
    noOfficers: 'No officer can be dispatched to this site.',
    assign: 'Assign',
    dispositionHeading: 'Disposition',
    dispositionCode: 'Disposition code',
    chooseCode: 'Choose…',
    note: 'Note',
    closeAlert: 'Close with disposition',
    done: (action) => `Done: ${action}`,
    notifyHeading: 'Alerts of the notification',
    notifyNoAlerts: 'This notification holds no alert.',
    accept: 'Accept dispatch',
    mineHeading: 'My tasks',
    mineEmpty: 'Nothing is dispatched to you now.',
    mineDispatched: 'Dispatched to me',
    mineOthers: 'Other alerts of my subjects',
    navigate: 'Navigate to last position',
    noPosition: 'No position',
    sharePosition: 'Share my position (available)',
    positionShared: 'Position shared.',
    positionFailed: 'Could not get the position.',
    details: 'Details',
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
