import type { Message } from '@vigil/schemas';
import { exclusionZoneRule, type ExclusionZoneConfig, type ExclusionZoneState } from './rules/exclusion-zone.js';
import type { AlertDraft } from './rules/types.js';
import type { Zone } from './zone.js';

/** Settings of every rule the engine runs. */
export interface EngineConfig {
  zones: readonly Zone[];
  minFixesInside: number;
  evidenceFixes: number;
}

/** The state of every rule, replaced (never mutated) on each step. */
export interface EngineState {
  exclusion: ExclusionZoneState;
}

export const initialEngineState = (): EngineState => ({ exclusion: {} });

/**
 * One dispatch from message kind to the rules that read it (STYLE.md #3).
 * Pure, like each rule: a recorded stream replayed through it gives the
 * same alerts every time.
 */
export function step(state: EngineState, msg: Message, site: string, config: EngineConfig, now: number): { state: EngineState; alerts: AlertDraft[] } {
  switch (msg.type) {
    case 'tag.fix': {
      const zoneConfig: ExclusionZoneConfig = { zones: config.zones, minFixesInside: config.minFixesInside, evidenceFixes: config.evidenceFixes };
      const r = exclusionZoneRule(state.exclusion, msg, site, zoneConfig, now);
      return { state: { ...state, exclusion: r.state }, alerts: r.alerts };
    }
    default:
      return { state, alerts: [] };
  }
}
