import type { RgbFrame } from './image.js';

/** A decoded frame and when it arrived (ms, this process's clock). */
export interface TimedFrame {
  frame: RgbFrame;
  ts: number;
}

/**
 * The newest decoded frame of one camera, for looking at a door when a card
 * is read. Holds one frame only (the decoder makes a fresh buffer per frame,
 * so memory stays at one frame per gate camera) and the callers waiting for
 * the next one.
 */
export class LatestFrame {
  private last: TimedFrame | undefined;
  private waiting: Array<(f: TimedFrame) => void> = [];

  /** Keep a new frame and hand it to whoever waits for one. */
  put(frame: RgbFrame, ts: number): void {
    this.last = { frame, ts };
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) w(this.last);
  }

  /** The newest frame if it is at most `maxAgeMs` old at `nowMs`. */
  fresh(maxAgeMs: number, nowMs: number): TimedFrame | undefined {
    return this.last && nowMs - this.last.ts <= maxAgeMs ? this.last : undefined;
  }

  /** The newest frame if fresh, else the next one to arrive within `timeoutMs`, else undefined. */
  async get(maxAgeMs: number, timeoutMs: number, nowMs: number): Promise<TimedFrame | undefined> {
    const f = this.fresh(maxAgeMs, nowMs);
    if (f) return f;
    return new Promise((resolve) => {
      const take = (next: TimedFrame) => {
        clearTimeout(timer);
        resolve(next);
      };
      const timer = setTimeout(() => {
        this.waiting = this.waiting.filter((w) => w !== take);
        resolve(undefined);
      }, timeoutMs);
      this.waiting.push(take);
    });
  }
}
