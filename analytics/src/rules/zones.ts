import type { EvidenceFix, Message, MessageOf } from '@vigil/schemas';
import { zonesNear, type Compiled, type PreparedZone } from '../compiled.js';
import { placeOn, type Placement } from '../geo/placement.js';
import { windowAt } from '../schedule.js';
import { keepLast, type Rule, type RuleStep } from './rule.js';
import type { AlertDraft } from './types.js';

/** A device's breach tracking for one zone. */
export interface ZoneTrack {
  /** Consecutive certain fixes in breach, and the time of the first. */
  n: number;
  since: number;
  breached: boolean;
  fixes: EvidenceFix[];
}

/** Per device: one track per zone it is (or was) in breach of. */
export interface ZonesState {
  tracks: Record<string, ZoneTrack>;
}

const NONE: readonly PreparedZone[] = [];

export const ZONE_RULES = { exclusion: 'zone.exclusion', inclusion: 'zone.inclusion' } as const;

/** Whether a placement breaks the zone (`exclusion`: inside; `inclusion`: outside), keeps it, or cannot tell. */
export function verdict(kind: 'inclusion' | 'exclusion', p: Placement): 'breach' | 'ok' | 'unknown' {
  if (p === 'uncertain') return 'unknown';
  return (kind === 'exclusion') === (p === 'inside') ? 'breach' : 'ok';
}

/** True if the zone is in force at `ts` (no schedule: always). */
export function inForce(z: PreparedZone, ts: number, c: Compiled): boolean {
  return !z.cfg.schedule || windowAt(z.cfg.schedule, ts, c.ruleSet.timezone) !== undefined;
}

function applies(z: PreparedZone, dev: string, site: string): boolean {
  return z.cfg.site === site && !z.cfg.curfew && (!z.cfg.devices || z.cfg.devices.includes(dev));
}

/**
 * Inclusion and exclusion zones, polygon or circle, optionally scheduled.
 * A fix whose accuracy circle overlaps the boundary counts neither way; a
 * breach needs `min_fixes` consecutive certain fixes or `min_duration_s`
 * in breach; it returns to normal on a certain fix on the right side (or
 * when the zone's schedule ends). Each alert carries the fixes that prove it.
 */
export const zonesRule: Rule<ZonesState> = {
  name: 'zones',
  kinds: ['tag.fix'],
  entities: (msg) => [msg.dev],
  step(state, _entity, m, site, c) {
    const msg = m as MessageOf<'tag.fix'>;
    const { lat, lon, acc_m } = msg.body;
    const candidates: PreparedZone[] = [];
    const add = (z: PreparedZone) => {
      if (!candidates.includes(z)) candidates.push(z);
    };
    for (const z of zonesNear(c, lat, lon, acc_m)) if (applies(z, msg.dev, site)) add(z);
    for (const z of c.zonesByDevice.get(msg.dev) ?? NONE) if (applies(z, msg.dev, site)) add(z);
    for (const z of c.siteInclusion.get(site) ?? NONE) if (!z.cfg.curfew) add(z);
    const prev = state?.tracks ?? {};
    if (state) {
      for (const id in prev) {
        const z = c.zoneById.get(id);
        if (z) add(z);
      }
    }
    if (candidates.length === 0) return { state, alerts: [] };
    let tracks: Record<string, ZoneTrack> | undefined;
    const alerts: AlertDraft[] = [];
    const fix: EvidenceFix = { msg_id: msg.id, ts: msg.ts, lat, lon, acc_m };
    const d = c.ruleSet.defaults;
    for (const z of candidates) {
      const id = z.cfg.id;
      const track = prev[id];
      const v = inForce(z, msg.ts, c) ? verdict(z.cfg.kind, placeOn(z.shape, lat, lon, acc_m)) : 'ok';
      if (v === 'ok') {
        if (!track) continue;
        tracks ??= { ...prev };
        delete tracks[id];
        if (track.breached) alerts.push(draft(z, msg, site, c, [...track.fixes, fix], true));
        continue;
      }
      tracks ??= { ...prev };
      const base = track ?? { n: 0, since: msg.ts, breached: false, fixes: [] };
      if (v === 'unknown') {
        if (track) tracks[id] = { ...base, fixes: keepLast([...base.fixes, fix], d.evidence_fixes) };
        continue;
      }
      const next: ZoneTrack = { n: base.n + 1, since: base.n === 0 ? msg.ts : base.since, breached: base.breached, fixes: keepLast([...base.fixes, fix], d.evidence_fixes) };
      const minFixes = z.cfg.min_fixes ?? d.min_fixes;
      const minMs = z.cfg.min_duration_s !== undefined ? z.cfg.min_duration_s * 1000 : undefined;
      if (!next.breached && (next.n >= minFixes || (minMs !== undefined && msg.ts - next.since >= minMs))) {
        next.breached = true;
        alerts.push(draft(z, msg, site, c, next.fixes, false));
      }
      tracks[id] = next;
    }
    if (!tracks) return { state, alerts };
    return { state: Object.keys(tracks).length ? { tracks } : undefined, alerts };
  },
};

function draft(z: PreparedZone, msg: Message, site: string, c: Compiled, fixes: EvidenceFix[], clear: boolean): AlertDraft {
  const excl = z.cfg.kind === 'exclusion';
  const rule = excl ? ZONE_RULES.exclusion : ZONE_RULES.inclusion;
  const subject = c.ruleSet.subjects[msg.dev];
  return {
    rule,
    key: `${rule}:${msg.dev}:${z.cfg.id}`,
    severity: 'high',
    site,
    dev: msg.dev,
    ...(subject ? { subject } : {}),
    title: excl
      ? { en: `Entered exclusion zone "${z.cfg.name.en}"`, 'zh-CN': `进入禁止区域"${z.cfg.name['zh-CN']}"` }
      : { en: `Left inclusion zone "${z.cfg.name.en}"`, 'zh-CN': `离开限定区域"${z.cfg.name['zh-CN']}"` },
    ts: msg.ts,
    evidence: { fixes: fixes.slice(-c.ruleSet.defaults.evidence_fixes), zone_id: z.cfg.id, zone_name: z.cfg.name.en, msg_ids: fixes.slice(-c.ruleSet.defaults.evidence_fixes).map((f) => f.msg_id) },
    cause: msg.id,
    ...(clear ? { clear: true } : {}),
  };
}

export type { RuleStep };
