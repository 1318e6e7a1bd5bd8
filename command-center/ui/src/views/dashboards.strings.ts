import type { Lang } from '../i18n';

/** Strings of the dashboards view, in both languages. */
export const dashText: Record<Lang, {
  heading: string;
  window: string;
  last24h: string;
  last7d: string;
  loadFailed: string;
  perHour: string;
  perHourLabel: (n: number, hours: number) => string;
  capped: (n: number) => string;
  severity: string;
  severityLabel: string;
  responseTimes: string;
  responseLabel: string;
  acknowledge: string;
  arrive: string;
  resolve: string;
  median: string;
  p90: string;
  site: string;
  alerts: string;
  none: string;
  quality: string;
  perOperatorHour: string;
  peak10: string;
  floods: string;
  chattering: string;
  rule: string;
  raised: string;
  repeats: string;
  falseAlarms: string;
  falseRatio: string;
  uptime: string;
  uptimeLabel: string;
  onlineNow: string;
  reporting: string;
  reportingLabel: string;
  devicesWord: string;
  sev: Record<'critical' | 'high' | 'medium' | 'low', string>;
  qualityHint: string;
}> = {
  en: {
    heading: 'Dashboards',
    window: 'Period',
    last24h: 'Last 24 hours',
    last7d: 'Last 7 days',
    loadFailed: 'Could not load some figures; retrying.',
    perHour: 'Alerts per hour by type',
    perHourLabel: (n, h) => `Bar chart: ${n} alerts over ${h} hours, stacked by rule`,
    capped: (n) => `Showing the latest ${n} alerts of the period.`,
    severity: 'Alerts per hour by severity (hourly aggregate)',
    severityLabel: 'Bar chart of alerts per hour, stacked by severity',
    responseTimes: 'Response times by site (median and 90th percentile)',
    responseLabel: 'Bar chart of response times by site',
    acknowledge: 'To acknowledge',
    arrive: 'To arrive',
    resolve: 'To resolve',
    median: 'median',
    p90: '90th pct',
    site: 'Site',
    alerts: 'Alerts',
    none: 'Nothing in this period.',
    quality: 'Alarm quality (ISA-18.2)',
    perOperatorHour: 'Per operator per hour',
    peak10: 'Peak in 10 min',
    floods: 'Flood windows',
    chattering: 'Chattering conditions',
    rule: 'Rule',
    raised: 'Raised',
    repeats: 'Repeats',
    falseAlarms: 'Rules closed as false alarms',
    falseRatio: 'False-alarm share',
    uptime: 'Device uptime',
    uptimeLabel: 'Bar chart of devices online and offline now, by site',
    onlineNow: 'Online now, by site',
    reporting: 'Tags reporting fixes, per hour',
    reportingLabel: 'Bar chart of tags that sent fixes in each hour',
    devicesWord: 'tags',
    sev: { critical: 'Critical', high: 'High', medium: 'Medium', low: 'Low' },
    qualityHint: 'ISA-18.2 aims for about 6 alerts per operator per hour and no floods (more than 10 in 10 minutes).',
  },
  'zh-CN': {
    heading: '统计看板',
    window: '时段',
    last24h: '最近 24 小时',
    last7d: '最近 7 天',
    loadFailed: '部分数据加载失败，正在重试。',
    perHour: '每小时告警数（按类型）',
    perHourLabel: (n, h) => `柱状图：${h} 小时内 ${n} 条告警，按规则堆叠`,
    capped: (n) => `仅显示该时段最新的 ${n} 条告警。`,
    severity: '每小时告警数（按级别，小时汇总）',
    severityLabel: '每小时告警数柱状图，按级别堆叠',
    responseTimes: '各场所响应时间（中位数与 90 分位）',
    responseLabel: '各场所响应时间柱状图',
    acknowledge: '确认用时',
    arrive: '到场用时',
    resolve: '处置用时',
    median: '中位数',
    p90: '90 分位',
    site: '场所',
    alerts: '告警数',
    none: '该时段没有数据。',
    quality: '告警质量（ISA-18.2）',
    perOperatorHour: '每名值班员每小时',
    peak10: '10 分钟峰值',
    floods: '告警泛滥时段',
    chattering: '频繁抖动的告警',
    rule: '规则',
    raised: '产生次数',
    repeats: '重复次数',
    falseAlarms: '误报较多的规则',
    falseRatio: '误报比例',
    uptime: '设备在线率',
    uptimeLabel: '各场所当前在线与离线设备柱状图',
    onlineNow: '当前在线情况（按场所）',
    reporting: '每小时上报定位的标签数',
    reportingLabel: '每小时上报定位的标签数柱状图',
    devicesWord: '标签数',
    sev: { critical: '紧急', high: '高', medium: '中', low: '低' },
    qualityHint: 'ISA-18.2 建议每名值班员每小时约 6 条告警，且无告警泛滥（10 分钟内超过 10 条）。',
  },
};
