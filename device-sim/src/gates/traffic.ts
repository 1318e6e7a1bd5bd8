import type { SimClock, Timer } from './clock.js';
import type { CardRead, Direction, GateModel } from './model.js';

/**
 * People walking through doors: a card read, and if granted the door opens a
 * second later and shuts once they are through. Several people at one door
 * keep it open until the last has passed.
 */
export class Passages {
  readonly #model: GateModel;
  readonly #clock: SimClock;
  readonly #inDoorway = new Map<string, number>();

  constructor(model: GateModel, clock: SimClock) {
    this.#model = model;
    this.#clock = clock;
  }

  /** Present `card` at `door`; on a grant, open after 1 s and close `holdOpenMs` later. */
  pass(door: string, card: string, direction: Direction, holdOpenMs = 3000): CardRead {
    const read = this.#model.cardRead(door, card, direction);
    if (read.granted) {
      this.#inDoorway.set(door, (this.#inDoorway.get(door) ?? 0) + 1);
      this.#clock.after(1000, () => {
        this.#model.open(door);
        this.#clock.after(holdOpenMs, () => {
          const left = (this.#inDoorway.get(door) ?? 1) - 1;
          this.#inDoorway.set(door, left);
          if (left === 0) this.#model.close(door);
        });
      });
    }
    return read;
  }
}

export interface TrafficOptions {
  /** Seeded random numbers in [0, 1). */
  rng: () => number;
  /** Mean simulated time between one person's passages. Default 2 min. */
  meanGapMs?: number;
}

/**
 * Scripted people: every enrolled card holder walks through a door of an area
 * they may enter, alternating in and out per area, at seeded random times.
 * The same seed and clock give the same reads.
 */
export function startTraffic(model: GateModel, clock: SimClock, passages: Passages, opts: TrafficOptions): { stop(): void } {
  const meanGapMs = opts.meanGapMs ?? 120_000;
  const timers = new Map<string, Timer>();
  let stopped = false;
  const doorsByArea = new Map(model.layout.areas.map((a) => [a.id, a.doors.map((d) => d.id)]));
  const schedule = (card: string, areas: string[]) => {
    const gap = Math.round(meanGapMs * (0.5 + opts.rng()));
    timers.set(
      card,
      clock.after(gap, () => {
        if (stopped) return;
        const area = areas[Math.floor(opts.rng() * areas.length)]!;
        const doors = doorsByArea.get(area) ?? [];
        const door = doors[Math.floor(opts.rng() * doors.length)];
        if (door) {
          const direction: Direction = model.lastDirection(card, area) === 'in' ? 'out' : 'in';
          passages.pass(door, card, direction, 2000 + Math.round(opts.rng() * 3000));
        }
        schedule(card, areas);
      }),
    );
  };
  for (const c of model.layout.cards) if (c.areas.length > 0) schedule(c.card, c.areas);
  return {
    stop() {
      stopped = true;
      for (const t of timers.values()) t.cancel();
    },
  };
}
