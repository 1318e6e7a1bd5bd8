import type { Alert, AlertState, Severity } from '@vigil/schemas';
import { ALL_STATES, HIDDEN_STATES, OPEN_STATES } from './lifecycle';

/** Columns the queue sorts by. */
export type SortKey = 'severity' | 'raised' | 'site' | 'state' | 'count';

/** The queue's filters: `state` is a state, `open` (still to work) or `all`. */
export interface QueueFilter {
  state: AlertState | 'open' | 'all';
  severity: Severity | '';
  site: string;
  type: string;
  /** Show shelved, suppressed and out-of-service alerts in `open` and `all`. */
  showHidden: boolean;
}

export const DEFAULT_FILTER: QueueFilter = { state: 'open', severity: '', site: '', type: '', showHidden: false };

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3 };

/** Alerts matching `f`. */
export function filterAlerts(alerts: readonly Alert[], f: QueueFilter): Alert[] {
  return alerts.filter((a) => {
    if (f.state === 'open') {
      if (!OPEN_STATES.includes(a.state) && !(f.showHidden && HIDDEN_STATES.includes(a.state))) return false;
    } else if (f.state === 'all') {
      if (!f.showHidden && HIDDEN_STATES.includes(a.state)) return false;
    } else if (a.state !== f.state) return false;
    if (f.severity && a.severity !== f.severity) return false;
    if (f.site && a.site !== f.site) return false;
    if (f.type && a.rule !== f.type) return false;
    return true;
  });
}

/** Sorted copy; ties fall back to newest raised first. */
export function sortAlerts(alerts: readonly Alert[], key: SortKey, descending: boolean): Alert[] {
  const dir = descending ? -1 : 1;
  const cmp = (x: Alert, y: Alert): number => {
    switch (key) {
      case 'severity':
        return SEVERITY_RANK[y.severity] - SEVERITY_RANK[x.severity];
      case 'site':
        return x.site.localeCompare(y.site);
      case 'state':
        return ALL_STATES.indexOf(x.state) - ALL_STATES.indexOf(y.state);
      case 'count':
        return x.count - y.count;
      default:
        return x.raised_ts - y.raised_ts;
    }
  };
  return [...alerts].sort((x, y) => dir * cmp(x, y) || y.raised_ts - x.raised_ts);
}

/** How many alerts are in each state. */
export function countByState(alerts: readonly Alert[]): Map<AlertState, number> {
  const m = new Map<AlertState, number>();
  for (const a of alerts) m.set(a.state, (m.get(a.state) ?? 0) + 1);
  return m;
}

/** The distinct values of a field, sorted (for the filter menus). */
export function distinct(alerts: readonly Alert[], pick: (a: Alert) => string): string[] {
  return [...new Set(alerts.map(pick))].sort();
}

/** True if the keyboard event comes from a field where letters are typed (shortcuts stand aside). */
export function typingIn(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  if (el.tagName === 'INPUT') return !['checkbox', 'radio', 'button', 'submit', 'reset'].includes((el as HTMLInputElement).type);
  return el.isContentEditable || ['TEXTAREA', 'SELECT'].includes(el.tagName);
}
