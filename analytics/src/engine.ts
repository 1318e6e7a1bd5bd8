import type { Message, MessageKind } from '@vigil/schemas';
import { compile, routingKey, type Compiled } from './compiled.js';
import type { RuleSet } from './ruleset.js';
import { batteryRule } from './rules/battery.js';
import { curfewRule } from './rules/curfew.js';
import { gatesRule } from './rules/gates.js';
import { headcountRule } from './rules/headcount.js';
import { panicRule } from './rules/panic.js';
import type { Rule, RuleStep } from './rules/rule.js';
import { signalRule } from './rules/signal.js';
import { tamperRule } from './rules/tamper.js';
import type { AlertDraft } from './rules/types.js';
import { victimRule } from './rules/victim.js';
import { zonesRule } from './rules/zones.js';
import { TimerWheel } from './timer-wheel.js';

/** Every rule the engine runs, in the order they see a message. */
export const RULES: readonly Rule<never>[] = [zonesRule, curfewRule, victimRule, tamperRule, batteryRule, signalRule, gatesRule, headcountRule, panicRule] as unknown as Rule<never>[];

/** Which share of the work this engine does; `owns(routingKey)`. */
export type Owns = (routingKey: string) => boolean;

/** Everything needed to carry on after a restart: rule states, pending timers, the watermark. */
export interface EngineSnapshot {
  v: 1;
  now: number;
  states: Array<[string, unknown]>;
  timers: Array<[string, number]>;
  /** Recently seen message ids per device, so a redelivered or replayed message is not applied twice. */
  seen: Array<[string, string[]]>;
}

const SEEN_PER_DEVICE = 64;

/**
 * The dispatch from message kind to the rules that read it, the rules'
 * state per entity and a timer wheel. Deterministic: no wall clock, no I/O;
 * time moves only with the messages' event time and explicit `tick`s, so a
 * recorded stream gives the same alerts every time.
 */
export class Engine {
  private compiled: Compiled;
  private readonly byKind = new Map<MessageKind, Rule<unknown>[]>();
  private readonly states = new Map<string, unknown>();
  private readonly wheel = new TimerWheel(1000);
  private readonly seen = new Map<string, SeenRing>();
  private watermark = -Infinity;

  constructor(ruleSet: RuleSet, private readonly owns: Owns = () => true) {
    this.compiled = compile(ruleSet);
    for (const r of RULES as unknown as Rule<unknown>[]) for (const k of r.kinds) (this.byKind.get(k) ?? this.byKind.set(k, []).get(k)!).push(r);
  }

  /** Event time the engine has reached. */
  get now(): number {
    return this.watermark;
  }

  get timers(): number {
    return this.wheel.size;
  }

  get compiledRules(): Compiled {
    return this.compiled;
  }

  /** Swap in a new rule set (zones reloaded); states and timers stay. */
  setRuleSet(ruleSet: RuleSet): void {
    this.compiled = compile(ruleSet);
  }

  /** True if this engine handles the device's messages. */
  ownsDevice(dev: string): boolean {
    return this.owns(routingKey(this.compiled, dev));
  }

  /** Start the entities that need timers before any message (roll calls, listed curfews); only missing ones. */
  bootstrap(now: number): AlertDraft[] {
    const alerts: AlertDraft[] = [];
    for (const r of RULES as unknown as Rule<unknown>[]) {
      for (const b of r.bootstrap?.(this.compiled, now) ?? []) {
        const key = `${r.name}|${b.entity}`;
        if (!this.owns(b.routingKey) || this.states.has(key)) continue;
        this.apply(key, b.step, alerts);
      }
    }
    if (now > this.watermark) this.watermark = now;
    return alerts;
  }

  /**
   * Run one message: fire the timers due by its time, then every rule that reads its kind.
   * `notAfter` caps how far the message may move time forward: a device whose clock runs
   * ahead must not fire everyone's timers early (the service passes its clock plus a margin;
   * a replay passes nothing).
   */
  handle(msg: Message, site: string, notAfter?: number): AlertDraft[] {
    let seen = this.seen.get(msg.dev);
    if (!seen) this.seen.set(msg.dev, (seen = new SeenRing(SEEN_PER_DEVICE)));
    if (!seen.add(msg.id)) return [];
    const alerts = this.advance(notAfter === undefined ? msg.ts : Math.min(msg.ts, notAfter));
    const rules = this.byKind.get(msg.type);
    if (!rules) return alerts;
    for (const r of rules) {
      for (const entity of r.entities(msg, site, this.compiled)) {
        const key = r.name + '|' + entity;
        this.apply(key, r.step(this.states.get(key), entity, msg, site, this.compiled, this.watermark), alerts);
      }
    }
    return alerts;
  }

  /** A clock tick: time passes with no message (fires communication-loss timers and the like). */
  tick(ts: number): AlertDraft[] {
    return this.advance(ts);
  }

  private advance(ts: number): AlertDraft[] {
    const alerts: AlertDraft[] = [];
    if (ts <= this.watermark) return alerts;
    // Timers may set timers that are due too: loop until none is due.
    for (let due = this.wheel.takeDue(ts); due.length; due = this.wheel.takeDue(ts)) {
      for (const { key, at } of due) {
        const state = this.states.get(key);
        const bar = key.indexOf('|');
        const rule = (RULES as unknown as Rule<unknown>[]).find((r) => r.name === key.slice(0, bar));
        if (state === undefined || !rule?.wake) continue;
        this.watermark = Math.max(this.watermark, at);
        this.apply(key, rule.wake(state, key.slice(bar + 1), this.compiled, at), alerts);
      }
    }
    this.watermark = ts;
    return alerts;
  }

  private apply(key: string, step: RuleStep<unknown>, alerts: AlertDraft[]): void {
    if (step.state === undefined) this.states.delete(key);
    else this.states.set(key, step.state);
    this.wheel.set(key, step.state === undefined ? undefined : step.wakeAt);
    for (const a of step.alerts) alerts.push(a);
  }

  /** A JSON-able copy of the whole state. */
  snapshot(): EngineSnapshot {
    return {
      v: 1,
      now: Number.isFinite(this.watermark) ? this.watermark : 0,
      states: [...this.states.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
      timers: this.wheel.entries(),
      seen: [...this.seen.entries()].map(([d, ring]) => [d, ring.ids()]),
    };
  }

  /** Load a snapshot (replacing the current state). */
  restore(s: EngineSnapshot): void {
    this.states.clear();
    this.seen.clear();
    for (const [k, v] of s.states) this.states.set(k, v);
    for (const [k, at] of s.timers) this.wheel.set(k, at);
    for (const [d, ids] of s.seen) {
      const ring = new SeenRing(SEEN_PER_DEVICE);
      for (const id of ids) ring.add(id);
      this.seen.set(d, ring);
    }
    this.watermark = s.now || -Infinity;
  }
}

/** The last `n` message ids of a device, oldest first, with O(1) lookup. */
class SeenRing {
  private readonly set = new Set<string>();
  private readonly ring: string[] = [];
  private pos = 0;

  constructor(private readonly n: number) {}

  /** False if `id` was already seen. */
  add(id: string): boolean {
    if (this.set.has(id)) return false;
    if (this.ring.length < this.n) this.ring.push(id);
    else {
      this.set.delete(this.ring[this.pos]!);
      this.ring[this.pos] = id;
      this.pos = (this.pos + 1) % this.n;
    }
    this.set.add(id);
    return true;
  }

  ids(): string[] {
    return [...this.ring.slice(this.pos), ...this.ring.slice(0, this.pos)];
  }
}
