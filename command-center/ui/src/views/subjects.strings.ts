import type { Lang } from '../i18n';

/** Strings of the subjects view, in both languages. */
export const subjectsText: Record<Lang, {
  heading: string;
  search: string;
  loadFailed: string;
  empty: string;
  cols: { name: string; ref: string; site: string; officer: string; devices: string };
  open: (name: string) => string;
  profile: string;
  back: string;
  officer: string;
  noOfficer: string;
  devices: string;
  noDevices: string;
  zones: string;
  noZones: string;
  always: string;
  curfew: string;
  exclusion: string;
  inclusion: string;
  days: string[];
  checkins: string;
  noCheckins: string;
  ccols: { time: string; result: string; liveness: string; face: string; place: string; review: string };
  review: Record<string, string>;
  alerts: string;
  noAlerts: string;
  queue: string;
  queueEmpty: string;
  subject: string;
  approve: string;
  reject: string;
  note: string;
  reviewFailed: string;
  archived: string;
  result: Record<string, string>;
}> = {
  en: {
    heading: 'Subjects',
    search: 'Find subject',
    loadFailed: 'Could not load; retrying.',
    empty: 'No subjects match.',
    cols: { name: 'Name', ref: 'Case reference', site: 'Site', officer: 'Officer', devices: 'Devices' },
    open: (n) => `Open the profile of ${n}`,
    profile: 'Profile',
    back: 'Back to the list',
    officer: 'Assigned officer',
    noOfficer: 'No officer assigned',
    devices: 'Devices',
    noDevices: 'No device assigned',
    zones: 'Zones and schedules',
    noZones: 'No zone applies.',
    always: 'always in force',
    curfew: 'curfew',
    exclusion: 'Exclusion',
    inclusion: 'Inclusion',
    days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
    checkins: 'Check-in history',
    noCheckins: 'No check-ins yet.',
    ccols: { time: 'Time', result: 'Result', liveness: 'Liveness', face: 'Face match', place: 'Position', review: 'Review' },
    review: { none: '—', pending: 'Awaiting review', approved: 'Approved', rejected: 'Rejected' },
    alerts: 'Recent alerts',
    noAlerts: 'No alerts.',
    queue: 'Check-ins to review',
    queueEmpty: 'Nothing to review.',
    subject: 'Subject',
    approve: 'Approve',
    reject: 'Reject',
    note: 'Note (optional)',
    reviewFailed: 'The review was not saved',
    archived: 'archived',
    result: { pass: 'Passed', fail: 'Failed', review: 'Uncertain' },
  },
  'zh-CN': {
    heading: '监管对象',
    search: '查找对象',
    loadFailed: '加载失败，正在重试。',
    empty: '没有符合条件的对象。',
    cols: { name: '姓名', ref: '案卷编号', site: '场所', officer: '责任民警', devices: '设备' },
    open: (n) => `查看 ${n} 的档案`,
    profile: '档案',
    back: '返回列表',
    officer: '责任民警',
    noOfficer: '未指定民警',
    devices: '设备',
    noDevices: '未绑定设备',
    zones: '电子围栏与时段',
    noZones: '没有适用的围栏。',
    always: '全天生效',
    curfew: '宵禁',
    exclusion: '禁入区',
    inclusion: '限定区',
    days: ['周一', '周二', '周三', '周四', '周五', '周六', '周日'],
    checkins: '签到记录',
    noCheckins: '暂无签到。',
    ccols: { time: '时间', result: '结果', liveness: '活体', face: '人脸比对', place: '位置', review: '审核' },
    review: { none: '—', pending: '待审核', approved: '已通过', rejected: '已驳回' },
    alerts: '近期告警',
    noAlerts: '暂无告警。',
    queue: '待审核签到',
    queueEmpty: '没有待审核的签到。',
    subject: '对象',
    approve: '通过',
    reject: '驳回',
    note: '备注（可选）',
    reviewFailed: '审核未保存',
    archived: '已归档',
    result: { pass: '通过', fail: '未通过', review: '存疑' },
  },
};
