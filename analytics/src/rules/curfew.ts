import type { EvidenceFix, MessageOf } from '@vigil/schemas';
import { routingKey, type Compiled, type PreparedZone } from '../compiled.js';
import { placeOn } from '../geo/placement.js';
import { nextWindow, windowAt, type Window } from '../schedule.js';
import { keepLast, type Rule, type RuleStep } from './rule.js';
import type { AlertDraft } from './types.js';

/**
 * Per device and curfew zone, for the current (or next) window: where the
 * subject was last known to be, whether any fix came in the window, and
 * which of the three alerts are open.
 */
export interface CurfewState {
  site: string;
  dev: string;
  zone: string;
  win: Window;
  /** Last certain placement: 'inside', 'outside' or unknown (no certain fix yet). */
  at?: 'inside' | 'outside';
  fixesInWindow: number;
  /** Consecutive certain fixes outside during the window, and since when. */
  outN: number;
  outSince: number;
  wasInside: boolean;
  late: boolean;
  left: boolean;
  lateChecked: boolean;
  fixes: EvidenceFix[];
}

export const CURFEW_RULES = { late: 'curfew.late', left: 'curfew.left', nofix: 'curfew.no_fix' } as const;

const entityOf = (dev: string, zone: string) => `${dev}|${zone}`;

const NONE: readonly PreparedZone[] = [];

function curfewZones(c: Compiled, dev: string, site: string): readonly PreparedZone[] {
  const own = c.curfewsByDevice.get(dev);
  const all = c.curfewsBySite.get(site);
  if (!own && !all) return NONE;
  return [...(own ?? []).filter((z) => z.cfg.site === site), ...(all ?? [])];
}

/** The window containing `ts`, else the next one. */
function windowFor(z: PreparedZone, ts: number, c: Compiled): Window | undefined {
  return windowAt(z.cfg.schedule!, ts, c.ruleSet.timezone) ?? nextWindow(z.cfg.schedule!, ts, c.ruleSet.timezone);
}

function fresh(site: string, dev: string, zone: string, win: Window, at: CurfewState['at']): CurfewState {
  return { site, dev, zone, win, at, fixesInWindow: 0, outN: 0, outSince: 0, wasInside: false, late: false, left: false, lateChecked: false, fixes: [] };
}

/** When to wake next: the late-arrival check, the end of the window. */
function wakeOf(s: CurfewState, z: PreparedZone): number {
  const lateAt = s.win.start + (z.cfg.grace_s ?? 0) * 1000;
  return !s.lateChecked && lateAt < s.win.end ? lateAt : s.win.end;
}

/**
 * Curfew as a state: an inclusion zone with a schedule ("home, 21:00 to
 * 06:00"). At the start of the window (plus grace) the subject must be
 * inside: otherwise **late arrival** (cleared on arrival). Certainly outside
 * for `min_fixes` fixes (or `min_duration_s`) after being inside in the
 * window: **left during curfew** (cleared on return). No fix at all in the
 * window: **no fix during curfew**, at its end. One alert of each per window.
 * A subject never located (a fresh start) is not "late": the no-fix alert covers it.
 */
export const curfewRule: Rule<CurfewState> = {
  name: 'curfew',
  kinds: ['tag.fix'],
  entities(msg, site, c) {
    return curfewZones(c, msg.dev, site).map((z) => entityOf(msg.dev, z.cfg.id));
  },
  step(state, entity, m, site, c, now) {
    const msg = m as MessageOf<'tag.fix'>;
    const zoneId = entity.slice(entity.indexOf('|') + 1);
    const z = c.zoneById.get(zoneId);
    if (!z) return { state: undefined, alerts: [] };
    const alerts: AlertDraft[] = [];
    let s = state;
    if (!s) {
      const win = windowFor(z, Math.max(msg.ts, now), c);
      if (!win) return { state: undefined, alerts };
      s = fresh(site, msg.dev, zoneId, win, undefined);
    } else if (msg.ts >= s.win.end) {
      // A fix after the window: the window closes first (its no-fix check runs at wake; here only on a replay gap).
      const closed = closeWindow(s, z, c, s.win.end);
      alerts.push(...closed.alerts);
      s = closed.state;
    }
    const p = placeOn(z.shape, msg.body.lat, msg.body.lon, msg.body.acc_m);
    const fix: EvidenceFix = { msg_id: msg.id, ts: msg.ts, lat: msg.body.lat, lon: msg.body.lon, acc_m: msg.body.acc_m };
    const inWindow = msg.ts >= s.win.start && msg.ts < s.win.end;
    s = { ...s, fixes: keepLast([...s.fixes, fix], c.ruleSet.defaults.evidence_fixes), at: p === 'uncertain' ? s.at : p };
    if (inWindow) {
      s.fixesInWindow++;
      if (p === 'inside') {
        s.wasInside = true;
        s.outN = 0;
        if (s.late) alerts.push(curfewDraft('late', s, z, c, msg.ts, msg.id, true));
        if (s.left) alerts.push(curfewDraft('left', s, z, c, msg.ts, msg.id, true));
        s.late = false;
        s.left = false;
      } else if (p === 'outside') {
        s.outSince = s.outN === 0 ? msg.ts : s.outSince;
        s.outN++;
        const minFixes = z.cfg.min_fixes ?? c.ruleSet.defaults.min_fixes;
        const minMs = z.cfg.min_duration_s !== undefined ? z.cfg.min_duration_s * 1000 : undefined;
        if (s.wasInside && !s.left && (s.outN >= minFixes || (minMs !== undefined && msg.ts - s.outSince >= minMs))) {
          s.left = true;
          alerts.push(curfewDraft('left', s, z, c, msg.ts, msg.id, false));
        }
      }
    }
    return { state: s, alerts, wakeAt: wakeOf(s, z) };
  },
  wake(state, _entity, c, now) {
    const z = c.zoneById.get(state.zone);
    if (!z) return { state: undefined, alerts: [] };
    const alerts: AlertDraft[] = [];
    let s = state;
    const lateAt = s.win.start + (z.cfg.grace_s ?? 0) * 1000;
    if (!s.lateChecked && now >= lateAt && now < s.win.end) {
      s = { ...s, lateChecked: true };
      // Known to be outside (or on the boundary) at the start. Never seen at all is not "late": no fix during the window covers it.
      if (s.at === 'outside' || (s.at === undefined && s.fixes.length > 0)) {
        s.late = true;
        alerts.push(curfewDraft('late', s, z, c, now, `timer:curfew.late:${s.dev}:${s.zone}:${s.win.start}`, false));
      }
    }
    if (now >= s.win.end) {
      const closed = closeWindow(s, z, c, now);
      alerts.push(...closed.alerts);
      s = closed.state;
    }
    return { state: s, alerts, wakeAt: wakeOf(s, z) };
  },
  bootstrap(c, now) {
    const out: Array<{ entity: string; routingKey: string; step: RuleStep<CurfewState> }> = [];
    for (const z of c.zones) {
      if (!z.cfg.curfew || !z.cfg.devices) continue;
      const win = windowFor(z, now, c);
      if (!win) continue;
      for (const dev of z.cfg.devices) {
        const s = fresh(z.cfg.site, dev, z.cfg.id, win, undefined);
        out.push({ entity: entityOf(dev, z.cfg.id), routingKey: routingKey(c, dev), step: { state: s, alerts: [], wakeAt: wakeOf(s, z) } });
      }
    }
    return out;
  },
};

/** End of a window: no fix at all is an alert; then move to the next window, keeping where the subject is. */
function closeWindow(s: CurfewState, z: PreparedZone, c: Compiled, now: number): { state: CurfewState; alerts: AlertDraft[] } {
  const alerts: AlertDraft[] = [];
  if (s.fixesInWindow === 0) alerts.push(curfewDraft('nofix', s, z, c, s.win.end, `timer:curfew.nofix:${s.dev}:${s.zone}:${s.win.start}`, false));
  const win = windowFor(z, Math.max(now, s.win.end), c) ?? { start: Number.MAX_SAFE_INTEGER - 1, end: Number.MAX_SAFE_INTEGER };
  return { state: { ...fresh(s.site, s.dev, s.zone, win, s.at), fixes: s.fixes }, alerts };
}

const TITLES = {
  late: { en: 'Late for curfew at', zh: '宵禁迟到：' },
  left: { en: 'Left during curfew:', zh: '宵禁期间离开：' },
  nofix: { en: 'No position during curfew at', zh: '宵禁期间无定位：' },
};

function curfewDraft(kind: 'late' | 'left' | 'nofix', s: CurfewState, z: PreparedZone, c: Compiled, ts: number, cause: string, clear: boolean): AlertDraft {
  const rule = CURFEW_RULES[kind];
  const subject = c.ruleSet.subjects[s.dev];
  return {
    rule,
    key: `${rule}:${s.dev}:${s.zone}:${s.win.start}`,
    severity: kind === 'late' ? 'medium' : 'high',
    site: s.site,
    dev: s.dev,
    ...(subject ? { subject } : {}),
    title: { en: `${TITLES[kind].en} "${z.cfg.name.en}"`, 'zh-CN': `${TITLES[kind].zh}"${z.cfg.name['zh-CN']}"` },
    ts,
    evidence: {
      fixes: s.fixes,
      msg_ids: s.fixes.map((f) => f.msg_id),
      zone_id: z.cfg.id,
      zone_name: z.cfg.name.en,
      window_start_ts: s.win.start,
      window_end_ts: s.win.end,
    },
    cause,
    ...(clear ? { clear: true } : {}),
  };
}
