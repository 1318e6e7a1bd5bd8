import type { Lang } from '../i18n';

/** Strings of the device health view, in both languages. */
export const devicesText: Record<
  Lang,
  {
    heading: string;
    search: string;
    offlineOnly: string;
    refreshing: string;
    loadFailed: string;
    empty: string;
    summary: (online: number, offline: number, unknown: number, all: number) => string;
    cols: { id: string; kind: string; site: string; subject: string; status: string; battery: string; signal: string; lastSeen: string; queue: string };
    online: string;
    offline: string;
    unknown: string;
    revoked: string;
    now: string;
    notReported: string;
    sortBy: (col: string) => string;
    updated: (time: string) => string;
  }
> = {
  en: {
    heading: 'Device health',
    search: 'Find device',
    offlineOnly: 'Offline only',
    refreshing: 'Live, every 10 s',
    loadFailed: 'Could not load the devices; retrying.',
    empty: 'No devices match.',
    summary: (on, off, unk, all) => `${all} devices: ${on} online, ${off} offline${unk ? `, ${unk} never connected` : ''}`,
    cols: { id: 'Device', kind: 'Kind', site: 'Site', subject: 'Subject', status: 'Status', battery: 'Battery', signal: 'Signal', lastSeen: 'Last seen', queue: 'Queue depth' },
    online: 'Online',
    offline: 'Offline',
    unknown: 'Never connected',
    revoked: 'Revoked',
    now: 'now',
    notReported: 'not reported',
    sortBy: (c) => `Sort by ${c}`,
    updated: (t) => `Updated ${t}`,
  },
  'zh-CN': {
    heading: '设备健康',
    search: '查找设备',
    offlineOnly: '仅看离线',
    refreshing: '实时，每 10 秒刷新',
    loadFailed: '设备列表加载失败，正在重试。',
    empty: '没有符合条件的设备。',
    summary: (on, off, unk, all) => `共 ${all} 台设备：${on} 台在线，${off} 台离线${unk ? `，${unk} 台从未连接` : ''}`,
    cols: { id: '设备', kind: '类型', site: '场所', subject: '监管对象', status: '状态', battery: '电量', signal: '信号', lastSeen: '最后在线', queue: '队列积压' },
    online: '在线',
    offline: '离线',
    unknown: '从未连接',
    revoked: '已吊销',
    now: '现在',
    notReported: '未上报',
    sortBy: (c) => `按${c}排序`,
    updated: (t) => `更新于 ${t}`,
  },
};
