import type { Message, MessageKind } from '@vigil/schemas';
import type { Compiled } from '../compiled.js';
import type { AlertDraft } from './types.js';

/** One step of a rule: its entity's next state (undefined drops it), alerts, and when to wake it next. */
export interface RuleStep<S> {
  state: S | undefined;
  alerts: AlertDraft[];
  /** Event time to call `wake` at; undefined cancels any pending wake. */
  wakeAt?: number;
}

/**
 * A rule: pure functions of (state, message, configuration, time). No wall
 * clock, no I/O. State is kept per entity (a device, a door, an area, a
 * device and zone); `now` is event time (the engine's watermark).
 */
export interface Rule<S = unknown> {
  name: string;
  kinds: readonly MessageKind[];
  /** The entities of this rule a message concerns. */
  entities(msg: Message, site: string, c: Compiled): string[];
  step(state: S | undefined, entity: string, msg: Message, site: string, c: Compiled, now: number): RuleStep<S>;
  /** A timer set by `wakeAt` fired; `now` is the time it was due. */
  wake?(state: S, entity: string, c: Compiled, now: number): RuleStep<S>;
  /** Entities that need timers before any message arrives (roll calls, curfews of listed devices), with their routing key. */
  bootstrap?(c: Compiled, now: number): Array<{ entity: string; routingKey: string; step: RuleStep<S> }>;
}

/** Evidence fixes: keep the last `n`. */
export function keepLast<T>(items: T[], n: number): T[] {
  return items.length > n ? items.slice(items.length - n) : items;
}
