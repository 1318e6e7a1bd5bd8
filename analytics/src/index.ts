export { startAnalytics, type AnalyticsOptions, type AnalyticsService, type AnalyticsStats } from './service.js';
export { step, initialEngineState, type EngineConfig, type EngineState } from './engine.js';
export { exclusionZoneRule, EXCLUSION_ZONE_RULE, type ExclusionZoneConfig, type ExclusionZoneState } from './rules/exclusion-zone.js';
export type { AlertDraft, RuleResult } from './rules/types.js';
export { placeFix, type Zone, type Placement } from './zone.js';
export { raiseAlert, rowToAlert, type AlertRow } from './alert-store.js';
export { loadZones } from './zone-store.js';
