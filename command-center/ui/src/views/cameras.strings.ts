import type { Lang } from '../i18n';

/** Strings of the camera wall, in both languages. */
export const camerasText: Record<Lang, {
  heading: string;
  loadFailed: string;
  empty: string;
  layout: string;
  cols: (n: number) => string;
  video: (id: string) => string;
  play: string;
  stop: string;
  connecting: string;
  live: string;
  stopped: string;
  online: string;
  offline: string;
  unknown: string;
  site: string;
  maxLive: (n: number) => string;
}> = {
  en: {
    heading: 'Camera wall',
    loadFailed: 'Could not load the cameras; retrying.',
    empty: 'No cameras with a live stream.',
    layout: 'Columns',
    cols: (n) => `${n} across`,
    video: (id) => `Live video of camera ${id}`,
    play: 'Play',
    stop: 'Stop',
    connecting: 'Connecting…',
    live: 'Live',
    stopped: 'Stopped',
    online: 'online',
    offline: 'offline',
    unknown: 'never connected',
    site: 'Site',
    maxLive: (n) => `The first ${n} cameras play on opening; start the others with Play.`,
  },
  'zh-CN': {
    heading: '视频墙',
    loadFailed: '摄像机列表加载失败，正在重试。',
    empty: '没有可播放实时视频的摄像机。',
    layout: '每行',
    cols: (n) => `每行 ${n} 路`,
    video: (id) => `摄像机 ${id} 实时视频`,
    play: '播放',
    stop: '停止',
    connecting: '正在连接…',
    live: '实时',
    stopped: '已停止',
    online: '在线',
    offline: '离线',
    unknown: '从未连接',
    site: '场所',
    maxLive: (n) => `打开时自动播放前 ${n} 路，其余请点击“播放”。`,
  },
};
