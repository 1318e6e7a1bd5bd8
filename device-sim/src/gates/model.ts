import { GateError } from './errors.js';
import type { SimClock, Timer } from './clock.js';
import type { GateLayout } from './layout.js';

export type Direction = 'in' | 'out';

/** Why a card read was granted or denied, as the controller reports it. */
export type CardReason = 'granted' | 'unknown_card' | 'not_authorised' | 'anti_passback' | 'lockdown';

/** One card read at a door, as the `LastCard` variable carries it. */
export interface CardRead {
  /** Per-controller read counter, so two identical reads are still two changes. */
  seq: number;
  card: string;
  direction: Direction;
  granted: boolean;
  reason: CardReason;
  /** Simulated time of the read, ISO 8601. */
  time: string;
}

/** Everything the controller knows about one door. */
export interface DoorSnapshot {
  id: string;
  area: string;
  open: boolean;
  locked: boolean;
  forced: boolean;
  heldOpen: boolean;
  tamper: boolean;
  antiPassback: boolean;
  deniedRepeatedly: boolean;
  lockdown: boolean;
  lastCard: CardRead | null;
}

/** Timing and thresholds of the controller, in simulated ms. */
export interface GateModelOptions {
  /** How long a granted read releases a locked door's strike. Default 5 s. */
  grantMs?: number;
  /** A door open longer than this raises HeldOpen. Default 30 s. */
  heldOpenMs?: number;
  /** This many denied reads at one door within `deniedWindowMs` raise DeniedRepeatedly. Default 3. */
  deniedThreshold?: number;
  deniedWindowMs?: number;
}

/** What changed: a door's variables, or an area's lockdown flag. */
export type GateChange = { kind: 'door'; id: string } | { kind: 'area'; id: string };

interface Door extends DoorSnapshot {
  grantUntilMs: number;
  openedAtMs: number;
  heldTimer: Timer | undefined;
  denials: number[];
}

/**
 * The door controller (the PLC's logic) for one site: lock state, strike
 * release on a granted card, forced and held-open detection, anti-passback per
 * area, repeated denials, tamper and lockdown. Pure state over a `SimClock`;
 * the OPC UA server mirrors it.
 */
export class GateModel {
  readonly layout: GateLayout;
  readonly #clock: SimClock;
  readonly #doors = new Map<string, Door>();
  readonly #areaLockdown = new Map<string, boolean>();
  readonly #cards = new Map<string, Set<string>>();
  /** card -> area -> last direction granted */
  readonly #passback = new Map<string, Map<string, Direction>>();
  readonly #listeners = new Set<(c: GateChange) => void>();
  readonly #grantMs: number;
  readonly #heldOpenMs: number;
  readonly #deniedThreshold: number;
  readonly #deniedWindowMs: number;
  #seq = 0;

  constructor(layout: GateLayout, clock: SimClock, opts: GateModelOptions = {}) {
    this.layout = layout;
    this.#clock = clock;
    this.#grantMs = opts.grantMs ?? 5000;
    this.#heldOpenMs = opts.heldOpenMs ?? 30_000;
    this.#deniedThreshold = opts.deniedThreshold ?? 3;
    this.#deniedWindowMs = opts.deniedWindowMs ?? 60_000;
    for (const area of layout.areas) {
      this.#areaLockdown.set(area.id, false);
      for (const d of area.doors) {
        if (this.#doors.has(d.id)) throw new GateError('BAD_ARGUMENT', `door id ${d.id} appears twice / 门编号 ${d.id} 重复`);
        this.#doors.set(d.id, {
          id: d.id,
          area: area.id,
          open: false,
          locked: true,
          forced: false,
          heldOpen: false,
          tamper: false,
          antiPassback: false,
          deniedRepeatedly: false,
          lockdown: false,
          lastCard: null,
          grantUntilMs: 0,
          openedAtMs: 0,
          heldTimer: undefined,
          denials: [],
        });
      }
    }
    for (const c of layout.cards) this.#cards.set(c.card, new Set(c.areas));
  }

  /** Be told after every change. Returns an unsubscribe function. */
  onChange(listener: (c: GateChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  doorIds(): string[] {
    return [...this.#doors.keys()];
  }

  /** A copy of one door's state. */
  door(id: string): DoorSnapshot {
    const d = this.#door(id);
    return {
      id: d.id,
      area: d.area,
      open: d.open,
      locked: d.locked,
      forced: d.forced,
      heldOpen: d.heldOpen,
      tamper: d.tamper,
      antiPassback: d.antiPassback,
      deniedRepeatedly: d.deniedRepeatedly,
      lockdown: d.lockdown,
      lastCard: d.lastCard && { ...d.lastCard },
    };
  }

  areaLockdown(area: string): boolean {
    const v = this.#areaLockdown.get(area);
    if (v === undefined) throw new GateError('UNKNOWN_AREA', `unknown area ${area} / 未知区域 ${area}`);
    return v;
  }

  /** The last direction `card` was granted in `area`, if any (for anti-passback). */
  lastDirection(card: string, area: string): Direction | undefined {
    return this.#passback.get(card)?.get(area);
  }

  /** A card is presented at a door; returns the controller's decision. */
  cardRead(doorId: string, card: string, direction: Direction): CardRead {
    const d = this.#door(doorId);
    const now = this.#clock.now();
    let reason: CardReason = 'granted';
    const areas = this.#cards.get(card);
    if (d.lockdown) reason = 'lockdown';
    else if (!areas) reason = 'unknown_card';
    else if (!areas.has(d.area)) reason = 'not_authorised';
    else if (this.lastDirection(card, d.area) === direction) reason = 'anti_passback';
    const granted = reason === 'granted';
    const read: CardRead = { seq: ++this.#seq, card, direction, granted, reason, time: new Date(now).toISOString() };
    d.lastCard = read;
    if (granted) {
      let byArea = this.#passback.get(card);
      if (!byArea) this.#passback.set(card, (byArea = new Map()));
      byArea.set(d.area, direction);
      d.grantUntilMs = now + this.#grantMs;
      d.antiPassback = false;
      d.deniedRepeatedly = false;
      d.denials = [];
    } else {
      if (reason === 'anti_passback') d.antiPassback = true;
      d.denials = d.denials.filter((t) => t > now - this.#deniedWindowMs);
      d.denials.push(now);
      if (d.denials.length >= this.#deniedThreshold) d.deniedRepeatedly = true;
    }
    this.#changed({ kind: 'door', id: d.id });
    return read;
  }

  /**
   * The door swings open. Opening a locked door outside a granted read's
   * release window is forced. `openedAgoMs` back-dates the opening (a door
   * found already held open).
   */
  open(doorId: string, openedAgoMs = 0): void {
    const d = this.#door(doorId);
    if (d.open) return;
    const now = this.#clock.now();
    d.open = true;
    d.openedAtMs = now - openedAgoMs;
    if (d.locked && now > d.grantUntilMs) d.forced = true;
    d.heldTimer?.cancel();
    const heldInMs = d.openedAtMs + this.#heldOpenMs - now;
    if (heldInMs <= 0) d.heldOpen = true;
    else
      d.heldTimer = this.#clock.after(heldInMs, () => {
        d.heldTimer = undefined;
        if (!d.open) return;
        d.heldOpen = true;
        this.#changed({ kind: 'door', id: d.id });
      });
    this.#changed({ kind: 'door', id: d.id });
  }

  /** The door shuts; forced and held-open clear. */
  close(doorId: string): void {
    const d = this.#door(doorId);
    if (!d.open) return;
    d.open = false;
    d.forced = false;
    d.heldOpen = false;
    d.heldTimer?.cancel();
    d.heldTimer = undefined;
    this.#changed({ kind: 'door', id: d.id });
  }

  lock(doorId: string): void {
    const d = this.#door(doorId);
    if (d.locked) return;
    d.locked = true;
    d.grantUntilMs = 0;
    this.#changed({ kind: 'door', id: d.id });
  }

  /** Free passage; refused while the door's area is locked down. */
  unlock(doorId: string): void {
    const d = this.#door(doorId);
    if (d.lockdown) throw new GateError('LOCKDOWN', `door ${d.id} is in lockdown / 门 ${d.id} 处于封锁状态`);
    if (!d.locked) return;
    d.locked = false;
    this.#changed({ kind: 'door', id: d.id });
  }

  setTamper(doorId: string, active: boolean): void {
    const d = this.#door(doorId);
    if (d.tamper === active) return;
    d.tamper = active;
    this.#changed({ kind: 'door', id: d.id });
  }

  /** Lock every door of `area` (or of the whole site when null) and refuse cards and unlocks until released. Returns the doors affected. */
  lockdown(area: string | null): number {
    return this.#setLockdown(area, true);
  }

  /** End a lockdown; doors stay locked. */
  release(area: string | null): number {
    return this.#setLockdown(area, false);
  }

  #setLockdown(area: string | null, on: boolean): number {
    const areas = area === null ? [...this.#areaLockdown.keys()] : [area];
    let n = 0;
    for (const a of areas) {
      if (!this.#areaLockdown.has(a)) throw new GateError('UNKNOWN_AREA', `unknown area ${a} / 未知区域 ${a}`);
      this.#areaLockdown.set(a, on);
      for (const d of this.#doors.values()) {
        if (d.area !== a) continue;
        n++;
        const changed = d.lockdown !== on || (on && !d.locked);
        d.lockdown = on;
        if (on) {
          d.locked = true;
          d.grantUntilMs = 0;
        }
        if (changed) this.#changed({ kind: 'door', id: d.id });
      }
      this.#changed({ kind: 'area', id: a });
    }
    return n;
  }

  #door(id: string): Door {
    const d = this.#doors.get(id);
    if (!d) throw new GateError('UNKNOWN_DOOR', `unknown door ${id} / 未知门 ${id}`);
    return d;
  }

  #changed(c: GateChange): void {
    for (const l of this.#listeners) l(c);
  }
}
