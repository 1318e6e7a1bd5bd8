import type { Severity } from '@vigil/schemas';
import type { AlertSummary, Lang } from './types.js';

const SEVERITY: Record<Lang, Record<Severity, string>> = {
  en: { critical: 'CRITICAL', high: 'HIGH', medium: 'MEDIUM', low: 'LOW' },
  'zh-CN': { critical: '紧急', high: '高', medium: '中', low: '低' },
};

/** A message in one language: `subject` (e-mail), `text` (short: SMS, device, in-app), `body` (e-mail). */
export interface Rendered {
  subject: string;
  text: string;
  body: string;
}

export interface RenderInput {
  kind: 'single' | 'group' | 'digest';
  lang: Lang;
  timeZone: string;
  alerts: AlertSummary[];
  link?: string;
  shortCode?: string;
}

function hm(ms: number, tz: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);
}

function titleOf(a: AlertSummary, lang: Lang): string {
  return lang === 'en' ? a.title.en : a.title['zh-CN'];
}

function highest(alerts: AlertSummary[]): Severity {
  const order: Severity[] = ['critical', 'high', 'medium', 'low'];
  return order.find((s) => alerts.some((a) => a.severity === s)) ?? 'low';
}

/**
 * Write a notification in the recipient's language: the severity, what
 * happened, where, who and when (their local time), how to answer (the SMS
 * short code) and the deep link last, so a cut never breaks the link.
 */
export function render(r: RenderInput): Rendered {
  const en = r.lang === 'en';
  const first = r.alerts[0];
  if (!first) return { subject: en ? '[Vigil] no alerts' : '【Vigil】无告警', text: '', body: '' };
  const sev = SEVERITY[r.lang][highest(r.alerts)];
  const answer = r.shortCode ? (en ? ` Reply ${r.shortCode} to acknowledge.` : `回复${r.shortCode}确认。`) : '';
  const link = r.link ? ` ${r.link}` : '';
  const lines = r.alerts.map((a) => `${hm(a.raised_ts, r.timeZone)} ${SEVERITY[r.lang][a.severity]} ${titleOf(a, r.lang)} · ${a.site}${a.subject ? ` · ${a.subject}` : ''}`);
  if (r.kind === 'single') {
    const where = `${first.site}${first.subject ? ` ${first.subject}` : ''} ${hm(first.raised_ts, r.timeZone)}`;
    const subject = en ? `[Vigil] ${sev}: ${first.title.en}` : `【Vigil】${sev}：${first.title['zh-CN']}`;
    const text = en ? `[Vigil] ${sev} ${first.title.en}, ${where}.${answer}${link}` : `【Vigil】${sev} ${first.title['zh-CN']}，${where}。${answer}${link}`;
    return { subject, text, body: `${text}\n\n${lines.join('\n')}\n` };
  }
  const n = r.alerts.length;
  if (r.kind === 'group') {
    const subject = en ? `[Vigil] ${n} alerts: ${first.title.en} (${first.site})` : `【Vigil】${n}条告警：${first.title['zh-CN']}（${first.site}）`;
    const text = en ? `${subject}, last ${hm(r.alerts[n - 1]!.raised_ts, r.timeZone)}.${answer}${link}` : `${subject}，最近${hm(r.alerts[n - 1]!.raised_ts, r.timeZone)}。${answer}${link}`;
    return { subject, text, body: `${text}\n\n${lines.join('\n')}\n` };
  }
  // Digest: counts by kind, most frequent first.
  const counts = new Map<string, { n: number; a: AlertSummary }>();
  for (const a of r.alerts) {
    const k = `${a.rule}@${a.site}`;
    const c = counts.get(k);
    if (c) c.n += 1;
    else counts.set(k, { n: 1, a });
  }
  const parts = [...counts.values()].sort((x, y) => y.n - x.n).map((c) => `${c.n}× ${titleOf(c.a, r.lang)} (${c.a.site})`);
  const subject = en ? `[Vigil] ${sev} digest: ${n} alerts` : `【Vigil】${sev} 汇总：${n}条告警`;
  const text = en ? `${subject}: ${parts.slice(0, 3).join('; ')}${parts.length > 3 ? `; +${parts.length - 3} kinds` : ''}.${link}` : `${subject}：${parts.slice(0, 3).join('；')}${parts.length > 3 ? `；另${parts.length - 3}类` : ''}。${link}`;
  return { subject, text, body: `${text}\n\n${lines.join('\n')}\n` };
}
