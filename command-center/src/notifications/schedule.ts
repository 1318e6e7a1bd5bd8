/**
 * Local time in an IANA time zone (Intl, no library needed): the weekday
 * (0 = Sunday) and minutes after local midnight, DST included.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

export function localTime(timeZone: string, ms: number): { weekday: number; minute: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  let weekday = 0;
  let hour = 0;
  let minute = 0;
  for (const p of f.formatToParts(ms)) {
    if (p.type === 'weekday') weekday = WEEKDAYS.indexOf(p.value);
    else if (p.type === 'hour') hour = Number(p.value);
    else if (p.type === 'minute') minute = Number(p.value);
  }
  return { weekday, minute: hour * 60 + minute };
}
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** Is a time zone name one the runtime knows? */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Is `minute` inside [start, end) where the window may wrap past midnight (start > end)? start = end: never. */
export function inWindow(minute: number, startMin: number, endMin: number): boolean {
  if (startMin === endMin) return false;
  return startMin < endMin ? minute >= startMin && minute < endMin : minute >= startMin || minute < endMin;
}

/** A weekly schedule: the policy applies inside any of the windows (local time of `tz`). */
export interface WeeklySchedule {
  tz: string;
  windows: { days: number[]; start: string; end: string }[];
}

/** "HH:MM" -> minutes. */
export function parseHm(hm: string): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hm);
  if (!m) throw new RangeError(`not a time of day (HH:MM): ${hm}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/**
 * Is the schedule open at `ms`? A window that wraps past midnight belongs to the
 * day it starts on (Fri 22:00-06:00 covers Saturday 03:00).
 */
export function scheduleOpen(s: WeeklySchedule, ms: number): boolean {
  const { weekday, minute } = localTime(s.tz, ms);
  for (const w of s.windows) {
    const start = parseHm(w.start);
    const end = parseHm(w.end);
    if (start < end) {
      if (w.days.includes(weekday) && minute >= start && minute < end) return true;
    } else if (start > end) {
      if (w.days.includes(weekday) && minute >= start) return true;
      if (w.days.includes((weekday + 6) % 7) && minute < end) return true;
    }
  }
  return false;
}
