import { MESSAGE_KINDS, type MessageKind } from '@vigil/schemas';
import type { Priority } from './driver.js';

/** Rank stored in the queue: the lowest rank is dropped first when it is full. */
export const PRIORITY_RANK: Readonly<Record<Priority, number>> = { telemetry: 0, event: 1, alarm: 2 };
export const RANK_PRIORITY: readonly Priority[] = ['telemetry', 'event', 'alarm'];

/** Kinds that are alarms whatever their channel. */
const ALARM_KINDS: ReadonlySet<string> = new Set(['gate.alarm', 'tag.tamper', 'panic.press']);

/** The default priority of a kind: alarms/tamper -> alarm, other events and status -> event, telemetry -> telemetry. */
export function defaultPriority(kind: MessageKind): Priority {
  if (ALARM_KINDS.has(kind)) return 'alarm';
  return MESSAGE_KINDS[kind].channel === 'telemetry' ? 'telemetry' : 'event';
}
