/**
 * Weekly schedules with exceptions, in a named time zone (Asia/Shanghai by
 * default), read with the platform's Intl (ICU) so daylight saving in other
 * zones is right too. A window may cross midnight ("21:00"–"06:00"): it
 * belongs to the day it starts on.
 */

/** One weekly window: ISO weekdays (1 = Monday … 7 = Sunday), local start and end "HH:MM". */
export interface WeeklyWindow {
  days: number[];
  start: string;
  end: string;
}

/** A date that differs from the week: no window at all (`off`), or its own windows. */
export interface ScheduleException {
  /** Local date "YYYY-MM-DD". */
  date: string;
  off?: boolean;
  windows?: Array<{ start: string; end: string }>;
}

export interface Schedule {
  weekly: WeeklyWindow[];
  exceptions?: ScheduleException[];
  /** IANA zone; default the rule set's (Asia/Shanghai). */
  timezone?: string;
}

export const DEFAULT_TIMEZONE = 'Asia/Shanghai';

/** A window of time in ms since the epoch [start, end). */
export interface Window {
  start: number;
  end: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', weekday: 'short' });
    formatters.set(tz, f);
  }
  return f;
}

/** True if `tz` is a time zone this platform knows. */
export function isTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

const WEEKDAY: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

interface LocalParts {
  y: number;
  m: number;
  d: number;
  hh: number;
  mm: number;
  ss: number;
  wd: number;
}

function localParts(ts: number, tz: string): LocalParts {
  const p: Record<string, string> = {};
  for (const part of formatter(tz).formatToParts(ts)) p[part.type] = part.value;
  return { y: +p.year!, m: +p.month!, d: +p.day!, hh: +p.hour!, mm: +p.minute!, ss: +p.second!, wd: WEEKDAY[p.weekday!]! };
}

/** Offset of `tz` from UTC at `ts`, in ms. */
function offsetMs(ts: number, tz: string): number {
  const l = localParts(ts, tz);
  return Date.UTC(l.y, l.m - 1, l.d, l.hh, l.mm, l.ss) - Math.floor(ts / 1000) * 1000;
}

/** The instant of a local wall time in `tz` (two passes settle DST edges). */
export function localToUtc(y: number, m: number, d: number, minutes: number, tz: string): number {
  const naive = Date.UTC(y, m - 1, d, 0, minutes);
  let ts = naive - offsetMs(naive, tz);
  ts = naive - offsetMs(ts, tz);
  return ts;
}

/** Minutes since local midnight of "HH:MM". */
export function parseHhMm(s: string): number | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(s);
  return m ? Number(m[1]) * 60 + Number(m[2]) : s === '24:00' ? 1440 : undefined;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The windows that start on the local day containing `ts`. */
function windowsStartingOn(schedule: Schedule, y: number, m: number, d: number, wd: number, tz: string): Window[] {
  const date = `${y}-${pad(m)}-${pad(d)}`;
  const ex = schedule.exceptions?.find((e) => e.date === date);
  const spans = ex ? (ex.off ? [] : (ex.windows ?? [])) : schedule.weekly.filter((w) => w.days.includes(wd));
  const out: Window[] = [];
  for (const s of spans) {
    const a = parseHhMm(s.start)!;
    let b = parseHhMm(s.end)!;
    if (b <= a) b += 1440; // crosses midnight
    out.push({ start: localToUtc(y, m, d, a, tz), end: localToUtc(y, m, d, b, tz) });
  }
  return out;
}

/** Windows per schedule object and local day: a schedule is immutable once loaded (a reload makes new objects). */
const cache = new WeakMap<Schedule, Map<string, Window[]>>();
const DAY_MS = 86_400_000;

/** Windows starting on the local day `dayOffset` days from the one containing `ts`. */
function dayWindows(schedule: Schedule, ts: number, dayOffset: number, tzDefault: string): Window[] {
  const tz = schedule.timezone ?? tzDefault;
  const l = localParts(ts + dayOffset * DAY_MS, tz);
  const key = `${tz}|${l.y}-${l.m}-${l.d}`;
  let days = cache.get(schedule);
  if (!days) cache.set(schedule, (days = new Map()));
  let w = days.get(key);
  if (!w) {
    w = windowsStartingOn(schedule, l.y, l.m, l.d, l.wd, tz);
    if (days.size > 1000) days.clear();
    days.set(key, w);
  }
  return w;
}

/**
 * The window in force at `ts`, or undefined.
 */
export function windowAt(schedule: Schedule, ts: number, tz: string): Window | undefined {
  // Hot path: the last answer holds for a span (inside a window, or until the next one starts).
  const last = lastAnswer.get(schedule);
  if (last && last.tz === tz && ts >= last.from && ts < last.to) return last.w;
  const w = windowAtUncached(schedule, ts, tz);
  const to = w ? w.end : (nextWindow(schedule, ts, tz)?.start ?? ts + DAY_MS);
  lastAnswer.set(schedule, { tz, from: w ? w.start : ts, to, w });
  return w;
}

const lastAnswer = new WeakMap<Schedule, { tz: string; from: number; to: number; w: Window | undefined }>();

function windowAtUncached(schedule: Schedule, ts: number, tz: string): Window | undefined {
  for (const off of [0, -1]) {
    for (const w of dayWindows(schedule, ts, off, tz)) if (ts >= w.start && ts < w.end) return w;
  }
  return undefined;
}

/** The first window starting after `ts` within the next 8 days, or undefined. */
export function nextWindow(schedule: Schedule, ts: number, tz: string): Window | undefined {
  let best: Window | undefined;
  for (let off = 0; off <= 8 && !best; off++) {
    for (const w of dayWindows(schedule, ts, off, tz)) if (w.start > ts && (!best || w.start < best.start)) best = w;
  }
  return best;
}

/** Local "HH:MM" times each day (roll calls): the first one after `ts`. */
export function nextDailyTime(times: string[], ts: number, tz: string): number | undefined {
  let best: number | undefined;
  for (let off = 0; off <= 1; off++) {
    const l = localParts(ts + off * DAY_MS, tz);
    for (const t of times) {
      const at = localToUtc(l.y, l.m, l.d, parseHhMm(t)!, tz);
      if (at > ts && (best === undefined || at < best)) best = at;
    }
  }
  return best;
}
