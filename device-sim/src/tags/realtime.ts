import type { SimFleet } from './fleet-sim.js';

/** A fleet stepping with the wall clock. */
export interface Realtime {
  /** Sim time now. */
  simNow(): number;
  /** Resolves once sim time reaches `t` (all devices due by then stepped). */
  advanceTo(t: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Step `fleet` every `tickMs` of wall time up to sim time
 * `startMs + elapsed × speed` (speed 1: real time). Ticks never overlap: a
 * slow tick delays the next, and the lag shows in `simNow()` vs the fleet's clock.
 */
export function runRealtime(fleet: SimFleet, opts: { startMs: number; speed: number; tickMs?: number; onError?(err: Error): void }): Realtime {
  const realStart = Date.now();
  const simNow = () => opts.startMs + (Date.now() - realStart) * opts.speed;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | null = null;
  const waiters: Array<{ t: number; resolve: () => void }> = [];
  const tick = () => {
    running = fleet.runUntil(simNow()).then(
      () => {
        for (let i = waiters.length - 1; i >= 0; i--) {
          if (fleet.now() >= waiters[i]!.t) waiters.splice(i, 1)[0]!.resolve();
        }
        if (!stopped) timer = setTimeout(tick, opts.tickMs ?? 100);
      },
      (err: Error) => {
        opts.onError?.(err);
        if (!stopped) timer = setTimeout(tick, opts.tickMs ?? 100);
      },
    );
  };
  tick();
  return {
    simNow,
    advanceTo: (t) => (fleet.now() >= t ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ t, resolve }))),
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      for (const w of waiters.splice(0)) w.resolve();
    },
  };
}
