import type { Lang } from '../i18n';

/** Strings of the map view, in both languages. */
export const mapText: Record<Lang, {
  heading: string;
  site: string;
  loading: string;
  loadFailed: string;
  baseFloorPlan: string;
  baseTiles: string;
  baseOutlines: string;
  tileUrl: string;
  tileHint: string;
  useTiles: string;
  subjects: string;
  noSubjects: string;
  noFix: string;
  fixes: (n: number) => string;
  lastFix: (ago: string) => string;
  track: string;
  trackNone: string;
  trackEmpty: string;
  trackAt: (i: number, n: number, time: string) => string;
  trackSlider: string;
  trackWindow: string;
  lastHours: (h: number) => string;
  play: string;
  pause: string;
  zones: string;
  exclusion: string;
  inclusion: string;
  inactive: string;
  newZone: string;
  redraw: string;
  drawing: (n: number) => string;
  undo: string;
  addCentre: string;
  zoneToRedraw: string;
  cancel: string;
  save: string;
  zoneId: string;
  nameEn: string;
  nameZh: string;
  kind: string;
  saved: string;
  needVertices: string;
  fitAll: string;
  zoomIn: string;
  zoomOut: string;
  mapLabel: string;
  live: string;
  devicesOnPlan: (online: number, all: number) => string;
}> = {
  en: {
    heading: 'Map',
    site: 'Site',
    loading: 'Loading the map…',
    loadFailed: 'Could not load the map data; retrying.',
    baseFloorPlan: 'Floor plan',
    baseTiles: 'Street map (self-hosted tiles)',
    baseOutlines: 'Offline outlines (no tile server set)',
    tileUrl: 'Tile server URL',
    tileHint: 'On this server, e.g. /tiles/{z}/{x}/{y}.png; empty for the offline outlines',
    useTiles: 'Apply',
    subjects: 'Subjects',
    noSubjects: 'No subjects at this site.',
    noFix: 'no fix in 24 h',
    fixes: (n) => (n === 1 ? '1 fix in 24 h' : `${n} fixes in 24 h`),
    lastFix: (a) => `last ${a}`,
    track: 'Track history',
    trackNone: 'Choose a subject',
    trackEmpty: 'No fixes in the last 24 hours.',
    trackAt: (i, n, time) => `Fix ${i} of ${n} · ${time}`,
    trackSlider: 'Time along the track',
    trackWindow: 'Period',
    lastHours: (h) => (h < 48 ? `Last ${h} h` : `Last ${h / 24} days`),
    play: 'Replay',
    pause: 'Pause',
    zones: 'Zones',
    exclusion: 'Exclusion',
    inclusion: 'Inclusion',
    inactive: 'inactive',
    newZone: 'Draw new zone',
    redraw: 'Redraw outline',
    drawing: (n) => `Click the map to add corners (${n} so far)`,
    undo: 'Undo corner',
    addCentre: 'Add corner at map centre',
    zoneToRedraw: 'Zone to redraw',
    cancel: 'Cancel',
    save: 'Save zone',
    zoneId: 'Zone id',
    nameEn: 'Name (English)',
    nameZh: 'Name (Chinese)',
    kind: 'Kind',
    saved: 'Zone saved.',
    needVertices: 'A zone needs at least 3 corners.',
    fitAll: 'Show all',
    zoomIn: 'Zoom in',
    zoomOut: 'Zoom out',
    mapLabel: 'Map of the site',
    live: 'Live, every 15 s',
    devicesOnPlan: (on, all) => `${on} of ${all} devices online`,
  },
  'zh-CN': {
    heading: '地图',
    site: '场所',
    loading: '正在加载地图…',
    loadFailed: '地图数据加载失败，正在重试。',
    baseFloorPlan: '平面图',
    baseTiles: '街道地图（自建瓦片服务）',
    baseOutlines: '离线轮廓（未配置瓦片服务）',
    tileUrl: '瓦片服务地址',
    tileHint: '须在本服务器上，例如 /tiles/{z}/{x}/{y}.png；留空则用离线轮廓',
    useTiles: '应用',
    subjects: '监管对象',
    noSubjects: '该场所没有监管对象。',
    noFix: '24 小时内无定位',
    fixes: (n) => `24 小时内 ${n} 个定位点`,
    lastFix: (a) => `最近 ${a}`,
    track: '轨迹回放',
    trackNone: '选择监管对象',
    trackEmpty: '最近 24 小时没有定位点。',
    trackAt: (i, n, time) => `第 ${i} / ${n} 个定位点 · ${time}`,
    trackSlider: '轨迹时间',
    trackWindow: '时段',
    lastHours: (h) => (h < 48 ? `最近 ${h} 小时` : `最近 ${h / 24} 天`),
    play: '回放',
    pause: '暂停',
    zones: '电子围栏',
    exclusion: '禁入区',
    inclusion: '限定区',
    inactive: '已停用',
    newZone: '绘制新围栏',
    redraw: '重新绘制轮廓',
    drawing: (n) => `在地图上点击添加顶点（已有 ${n} 个）`,
    undo: '撤销顶点',
    addCentre: '在地图中心添加顶点',
    zoneToRedraw: '要重绘的围栏',
    cancel: '取消',
    save: '保存围栏',
    zoneId: '围栏编号',
    nameEn: '名称（英文）',
    nameZh: '名称（中文）',
    kind: '类型',
    saved: '围栏已保存。',
    needVertices: '围栏至少需要 3 个顶点。',
    fitAll: '显示全部',
    zoomIn: '放大',
    zoomOut: '缩小',
    mapLabel: '场所地图',
    live: '实时，每 15 秒刷新',
    devicesOnPlan: (on, all) => `${on} / ${all} 台设备在线`,
  },
};
