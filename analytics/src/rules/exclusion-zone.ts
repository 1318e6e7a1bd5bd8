import type { EvidenceFix, MessageOf } from '@vigil/schemas';
import { placeFix, type Zone } from '../zone.js';
import type { AlertDraft, RuleResult } from './types.js';

/** Settings of the exclusion-zone rule. */
export interface ExclusionZoneConfig {
  zones: readonly Zone[];
  /** Consecutive fixes wholly inside a zone before it is a breach (one bad fix is not a violation). */
  minFixesInside: number;
  /** Fixes kept as evidence per device and zone. */
  evidenceFixes: number;
}

/** Per device and zone: how many fixes in a row were inside, and whether the breach was raised. */
export interface ZoneTrack {
  insideCount: number;
  raised: boolean;
  fixes: EvidenceFix[];
}

/** Rule state: one track per `<device>|<zone>`. */
export type ExclusionZoneState = Readonly<Record<string, ZoneTrack>>;

export const EXCLUSION_ZONE_RULE = 'zone.exclusion';

/**
 * Exclusion zones: a subject's tag must not be inside. A breach is raised
 * once per entry, after `minFixesInside` consecutive fixes whose accuracy
 * circle lies wholly inside; leaving (a fix wholly outside) re-arms it.
 * Pure: (state, message, config, now) -> (state, alerts); `now` is unused
 * because this rule is driven only by event time.
 */
export function exclusionZoneRule(
  state: ExclusionZoneState,
  msg: MessageOf<'tag.fix'>,
  site: string,
  config: ExclusionZoneConfig,
  _now: number,
): RuleResult<ExclusionZoneState> {
  const next: Record<string, ZoneTrack> = { ...state };
  const alerts: AlertDraft[] = [];
  const { lat, lon, acc_m } = msg.body;
  const fix: EvidenceFix = { msg_id: msg.id, ts: msg.ts, lat, lon, acc_m };
  for (const zone of config.zones) {
    if (zone.kind !== 'exclusion' || zone.siteId !== site) continue;
    const key = `${msg.dev}|${zone.id}`;
    const track = state[key] ?? { insideCount: 0, raised: false, fixes: [] };
    const placement = placeFix(zone, lat, lon, acc_m);
    if (placement === 'outside') {
      if (state[key]) delete next[key];
      continue;
    }
    if (placement === 'uncertain') {
      next[key] = { ...track, fixes: keepLast([...track.fixes, fix], config.evidenceFixes) };
      continue;
    }
    const updated: ZoneTrack = { insideCount: track.insideCount + 1, raised: track.raised, fixes: keepLast([...track.fixes, fix], config.evidenceFixes) };
    if (!updated.raised && updated.insideCount >= config.minFixesInside) {
      updated.raised = true;
      alerts.push(breach(msg, site, zone, updated.fixes));
    }
    next[key] = updated;
  }
  return { state: next, alerts };
}

function breach(msg: MessageOf<'tag.fix'>, site: string, zone: Zone, fixes: EvidenceFix[]): AlertDraft {
  return {
    rule: EXCLUSION_ZONE_RULE,
    key: `${EXCLUSION_ZONE_RULE}:${msg.dev}:${zone.id}`,
    severity: 'high',
    site,
    dev: msg.dev,
    title: { en: `Entered exclusion zone "${zone.name.en}"`, 'zh-CN': `进入禁止区域"${zone.name['zh-CN']}"` },
    ts: msg.ts,
    evidence: { fixes, zone_id: zone.id, zone_name: zone.name.en, msg_ids: fixes.map((f) => f.msg_id) },
  };
}

function keepLast<T>(items: T[], n: number): T[] {
  return items.length > n ? items.slice(items.length - n) : items;
}
