import type { BodyOf } from '@vigil/schemas';
import { check, GateAccessBody } from '@vigil/schemas';
import type { DoorField } from './config.js';

type Alarm = BodyOf<'gate.alarm'>['alarm'];
type StateBody = BodyOf<'gate.state'>;

/** What one value change of a door produces. */
export type DoorOutput =
  | { type: 'gate.access'; body: BodyOf<'gate.access'>; ts: number | undefined }
  | { type: 'gate.alarm'; body: BodyOf<'gate.alarm'>; ts: number | undefined }
  | { type: 'gate.state'; body: StateBody; ts: number | undefined }
  | { type: 'bad'; reason: string; detail: string };

const ALARMS: Partial<Record<DoorField, Alarm>> = {
  forced: 'forced',
  heldOpen: 'held_open',
  tamper: 'tamper',
  antiPassback: 'anti_passback',
  deniedRepeatedly: 'denied_repeatedly',
};
const STATE_FIELDS = ['state', 'locked', 'forced', 'heldOpen', 'tamper', 'lockdown'] as const;

const MIN_TS = 946_684_800_000;
const MAX_TS = 4_102_444_800_000;
const validTs = (ms: number | undefined) => (ms !== undefined && Number.isInteger(ms) && ms >= MIN_TS && ms <= MAX_TS ? ms : undefined);

/**
 * Turns one door's variable changes into Vigil messages. Kept across
 * reconnections, so the values re-read after a PLC restart only produce
 * messages for what really changed meanwhile:
 *
 * - `gate.access` for each new `LastCard` (told apart by its `seq` and `time`);
 *   the read already there when the driver first connects is history and is not sent.
 * - `gate.alarm` when an alarm variable changes; on first sight only an active one.
 * - `gate.state` (coalesced by `flush()`) when open/locked/forced/held-open/tamper/lockdown changed.
 */
export class DoorTracker {
  readonly door: string;
  readonly #values = new Map<DoorField, boolean>();
  #lastCardKey: string | undefined;
  #cardSeen = false;
  #sentState: string | undefined;
  #stateTs: number | undefined;

  constructor(door: string) {
    this.door = door;
  }

  /** One monitored value of this door changed (`sourceTs` from the PLC, epoch ms). */
  update(field: DoorField, value: unknown, sourceTs: number | undefined): DoorOutput[] {
    if (field === 'lastCard') return this.#card(value);
    let b: boolean;
    if (field === 'state') {
      if (value === 'open' || value === true) b = true;
      else if (value === 'closed' || value === false) b = false;
      else return [{ type: 'bad', reason: 'bad_value', detail: `${this.door}.${field} = ${JSON.stringify(value)}` }];
    } else if (typeof value === 'boolean') b = value;
    else return [{ type: 'bad', reason: 'bad_value', detail: `${this.door}.${field} = ${JSON.stringify(value)}` }];
    const before = this.#values.get(field);
    this.#values.set(field, b);
    if (before !== b) this.#stateTs = validTs(sourceTs) ?? this.#stateTs;
    const alarm = ALARMS[field];
    if (alarm && before !== b && (before !== undefined || b)) return [{ type: 'gate.alarm', body: { door: this.door, alarm, active: b }, ts: validTs(sourceTs) }];
    return [];
  }

  /** After a batch of updates: the door's state, if every part is known and it differs from the last one sent. */
  flush(): DoorOutput[] {
    if (STATE_FIELDS.some((f) => !this.#values.has(f))) return [];
    const v = (f: DoorField) => this.#values.get(f)!;
    const body: StateBody = {
      door: this.door,
      open: v('state'),
      locked: v('locked'),
      forced: v('forced'),
      held_open: v('heldOpen'),
      tamper: v('tamper'),
      lockdown: v('lockdown'),
    };
    const key = JSON.stringify(body);
    if (key === this.#sentState) return [];
    this.#sentState = key;
    return [{ type: 'gate.state', body, ts: this.#stateTs }];
  }

  /** The last known value of a boolean field (`state` as open = true). */
  value(field: Exclude<DoorField, 'lastCard'>): boolean | undefined {
    return this.#values.get(field);
  }

  #card(value: unknown): DoorOutput[] {
    const first = !this.#cardSeen;
    this.#cardSeen = true;
    if (value === '' || value === null || value === undefined) return [];
    let raw: { seq?: unknown; card?: unknown; direction?: unknown; granted?: unknown; reason?: unknown; time?: unknown };
    try {
      raw = typeof value === 'string' ? JSON.parse(value) : (value as typeof raw);
      if (typeof raw !== 'object' || raw === null) throw new Error('not an object');
    } catch {
      return [{ type: 'bad', reason: 'bad_card_read', detail: `${this.door}.LastCard is not JSON: ${String(value).slice(0, 200)}` }];
    }
    const key = `${String(raw.seq)}|${String(raw.time)}|${String(raw.card)}`;
    if (key === this.#lastCardKey) return [];
    this.#lastCardKey = key;
    if (first) return [];
    const body = { door: this.door, card: raw.card, direction: raw.direction, granted: raw.granted, reason: raw.reason };
    if (body.direction === undefined) delete body.direction;
    if (body.reason === undefined) delete body.reason;
    const ok = check(GateAccessBody, body);
    if (!ok.ok) return [{ type: 'bad', reason: 'bad_card_read', detail: `${this.door}.LastCard ${ok.error.message}` }];
    const ts = typeof raw.time === 'string' ? validTs(Date.parse(raw.time)) : undefined;
    return [{ type: 'gate.access', body: ok.value, ts }];
  }
}
