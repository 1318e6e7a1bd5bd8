import type { Alert, AlertAction, AlertState, Disposition } from '@vigil/schemas';

/** A lifecycle action, or `accept`: an officer dispatching an alert to themselves (`POST /api/alerts/:id/accept`). */
export type UiAction = AlertAction | 'accept';

/**
 * From which states each action is allowed: a copy of `TRANSITIONS` in
 * analytics/src/lifecycle/transitions.ts (ISA-18.2 plus dispatch), only to
 * decide which buttons to show; the API checks again and has the last word.
 */
const FROM: Record<UiAction, readonly AlertState[]> = {
  acknowledge: ['raised'],
  shelve: ['raised', 'acknowledged'],
  unshelve: ['shelved'],
  dispatch: ['raised', 'acknowledged', 'dispatched'],
  arrive: ['dispatched'],
  resolve: ['raised', 'acknowledged', 'dispatched', 'on_scene', 'shelved'],
  out_of_service: ['raised', 'acknowledged', 'shelved', 'suppressed'],
  return_to_service: ['out_of_service'],
  // Not once dispatched: taking a colleague's dispatch over is the dispatcher's call (the API answers 409).
  accept: ['raised', 'acknowledged'],
};

/** The permission each action needs (routes/alerts.ts `ACTION_PERMISSION`, and `alerts.accept` for the accept route). */
const PERMISSION: Record<UiAction, string> = {
  acknowledge: 'alerts.acknowledge',
  shelve: 'alerts.shelve',
  unshelve: 'alerts.shelve',
  dispatch: 'alerts.dispatch',
  arrive: 'alerts.arrive',
  out_of_service: 'alerts.shelve',
  return_to_service: 'alerts.shelve',
  resolve: 'alerts.resolve',
  accept: 'alerts.accept',
};

/** True if the alert's state allows `action` and the user holds its permission. */
export function can(alert: Pick<Alert, 'state'>, action: UiAction, permissions: readonly string[]): boolean {
  return FROM[action].includes(alert.state) && permissions.includes(PERMISSION[action]);
}

/** Disposition codes in the order the form lists them. */
export const DISPOSITIONS: readonly Disposition[] = ['violation_confirmed', 'false_alarm', 'equipment_fault', 'authorised', 'test', 'duplicate', 'other'];

/** States the queue shows by default: the ones someone still has to work. */
export const OPEN_STATES: readonly AlertState[] = ['raised', 'acknowledged', 'dispatched', 'on_scene'];

/** States kept out of sight unless asked for (ISA-18.2 shelving and suppression by design). */
export const HIDDEN_STATES: readonly AlertState[] = ['shelved', 'suppressed', 'out_of_service'];

/** Every state, in lifecycle order (for the counts). */
export const ALL_STATES: readonly AlertState[] = ['raised', 'acknowledged', 'dispatched', 'on_scene', 'resolved', 'normal', 'shelved', 'suppressed', 'out_of_service'];

/** Result of `POST /api/alerts/:id/<action>`. */
export interface ActionResult {
  alert: Alert;
}
