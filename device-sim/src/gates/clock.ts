/** A scheduled callback; `cancel()` removes it if it has not run. */
export interface Timer {
  cancel(): void;
}

interface Entry {
  atMs: number;
  order: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A discrete-event clock for the simulators. Simulated time starts at
 * `startMs` (epoch ms) and moves only through `advance()`; `run()` advances it
 * by `speed` times the real time that passed, so a test can run a day in a
 * minute. Callbacks due at the same instant run in the order they were
 * scheduled, so a run from the same seed is the same whatever the machine's
 * load.
 */
export class SimClock {
  #nowMs: number;
  #order = 0;
  #queue: Entry[] = [];
  #ticker: NodeJS.Timeout | undefined;

  constructor(startMs: number) {
    this.#nowMs = startMs;
  }

  /** Simulated time, epoch ms. */
  now(): number {
    return this.#nowMs;
  }

  /** Run `fn` `delayMs` of simulated time from now. */
  after(delayMs: number, fn: () => void): Timer {
    const entry: Entry = { atMs: this.#nowMs + Math.max(0, delayMs), order: this.#order++, fn, cancelled: false };
    let lo = 0;
    let hi = this.#queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.#queue[mid]!;
      if (m.atMs < entry.atMs || (m.atMs === entry.atMs && m.order < entry.order)) lo = mid + 1;
      else hi = mid;
    }
    this.#queue.splice(lo, 0, entry);
    return { cancel: () => (entry.cancelled = true) };
  }

  /** Move simulated time forward by `ms`, running every callback that falls due, in order. */
  advance(ms: number): void {
    const until = this.#nowMs + ms;
    for (;;) {
      const next = this.#queue[0];
      if (!next || next.atMs > until) break;
      this.#queue.shift();
      if (next.cancelled) continue;
      this.#nowMs = Math.max(this.#nowMs, next.atMs);
      next.fn();
    }
    this.#nowMs = until;
  }

  /** Advance with the real clock, `speed` simulated ms per real ms, every `tickMs` of real time. */
  run(speed: number, tickMs = 50): void {
    this.stop();
    if (speed <= 0) return;
    let last = performance.now();
    this.#ticker = setInterval(() => {
      const t = performance.now();
      this.advance(Math.round((t - last) * speed));
      last = t;
    }, tickMs);
    this.#ticker.unref();
  }

  /** Stop following the real clock (scheduled callbacks stay). */
  stop(): void {
    if (this.#ticker) clearInterval(this.#ticker);
    this.#ticker = undefined;
  }
}
