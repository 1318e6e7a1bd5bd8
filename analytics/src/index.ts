export { startAnalytics, type AnalyticsOptions, type AnalyticsService, type AnalyticsStats } from './service.js';
export { Engine, RULES, type EngineSnapshot, type Owns } from './engine.js';
export type { AlertDraft, RuleResult } from './rules/types.js';
export type { Rule, RuleStep } from './rules/rule.js';
export { zonesRule, ZONE_RULES, verdict, type ZonesState } from './rules/zones.js';
export { curfewRule, CURFEW_RULES, type CurfewState } from './rules/curfew.js';
export { tamperRule } from './rules/tamper.js';
export { batteryRule } from './rules/battery.js';
export { signalRule } from './rules/signal.js';
export { victimRule } from './rules/victim.js';
export { gatesRule } from './rules/gates.js';
export { headcountRule } from './rules/headcount.js';
export { panicRule } from './rules/panic.js';
export { compile, routingKey, zonesNear, type Compiled, type PreparedZone } from './compiled.js';
export { parseRuleSet, emptyRuleSet, RuleSetSchema, DEFAULTS, type RuleSet, type RuleSetInput, type ZoneConfig, type DoorConfig, type AreaConfig, type VictimConfig } from './ruleset.js';
export { windowAt, nextWindow, nextDailyTime, DEFAULT_TIMEZONE, type Schedule, type Window } from './schedule.js';
export { placeOn, preparePolygon, prepareCircle, distanceM, type PreparedShape } from './geo/placement.js';
export { TimerWheel } from './timer-wheel.js';
/** The turf-based placement the fast one (`placeOn`) is checked against. */
export { placeFix, type Zone, type Placement } from './zone.js';
export { loadRuleSet } from './rule-set-store.js';
export { saveSnapshot, loadSnapshot } from './snapshot-store.js';
export { readStoredStream, type StoredMessage } from './history.js';
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
export * from './vision/index.js';
export * from './biometrics/index.js';
