export { startAnalytics, type AnalyticsOptions, type AnalyticsService, type AnalyticsStats } from './service.js';
export { step, initialEngineState, type EngineConfig, type EngineState } from './engine.js';
export { exclusionZoneRule, EXCLUSION_ZONE_RULE, type ExclusionZoneConfig, type ExclusionZoneState } from './rules/exclusion-zone.js';
export type { AlertDraft, RuleResult } from './rules/types.js';
export { placeFix, type Zone, type Placement } from './zone.js';
export { raiseAlert, rowToAlert, ALERT_COLUMNS, type AlertRow, type RaiseOutcome, type RaiseOptions } from './alert-store.js';
export { applyAlertAction, expireShelves, type AlertActionInput, type AlertActionResult, type ApplyOptions } from './lifecycle/apply.js';
export { escalateOverdue, type EscalationOptions } from './lifecycle/escalation.js';
export {
  nextState,
  allowedActions,
  settledState,
  checkActionFields,
  TRANSITIONS,
  ALERT_ACTIONS,
  CLOSED_STATES,
  DISPOSITIONS,
  MAX_SHELVE_MS,
  type ActionFields,
  type LifecycleRefusal,
  type LifecycleView,
} from './lifecycle/transitions.js';
export { loadZones } from './zone-store.js';
export * from './vision/index.js';
export * from './biometrics/index.js';
