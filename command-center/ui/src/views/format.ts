import type { Lang } from '../i18n';

const rel = new Map<Lang, Intl.RelativeTimeFormat>();
const short = new Map<string, Intl.DateTimeFormat>();

/** "5 minutes ago" / "5分钟前", to the largest whole unit. */
export function ago(ms: number, lang: Lang, now = Date.now()): string {
  let f = rel.get(lang);
  if (!f) {
    f = new Intl.RelativeTimeFormat(lang, { numeric: 'auto', style: 'short' });
    rel.set(lang, f);
  }
  const s = Math.round((ms - now) / 1000);
  const a = Math.abs(s);
  if (a < 60) return f.format(s, 'second');
  if (a < 3600) return f.format(Math.round(s / 60), 'minute');
  if (a < 86_400) return f.format(Math.round(s / 3600), 'hour');
  return f.format(Math.round(s / 86_400), 'day');
}

/** A time as the locale writes it; `withDate` false for clock time only. */
export function clock(ms: number, lang: Lang, withDate = true): string {
  const key = `${lang}|${withDate}`;
  let f = short.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(lang, withDate ? { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' } : { hour: '2-digit', minute: '2-digit' });
    short.set(key, f);
  }
  return f.format(ms);
}

/** Seconds as "42 s", "3.5 min", "1.2 h". */
export function duration(s: number | null, lang: Lang): string {
  if (s === null) return '—';
  const zh = lang === 'zh-CN';
  if (s < 120) return zh ? `${Math.round(s)} 秒` : `${Math.round(s)} s`;
  if (s < 7200) return zh ? `${(s / 60).toFixed(1)} 分钟` : `${(s / 60).toFixed(1)} min`;
  return zh ? `${(s / 3600).toFixed(1)} 小时` : `${(s / 3600).toFixed(1)} h`;
}
