import type { RgbFrame } from './image.js';
import { pointInPolygon, type Polygon } from './zones.js';

/** Settings of motion gating. */
export interface MotionOptions {
  /** A sampled pixel changed when its luma moved by more than this (0–255). Default 25. */
  pixelThreshold?: number;
  /** Something moved when more than this fraction of the sampled, unmasked pixels changed. Default 0.003. */
  minChangedFraction?: number;
  /** Areas ignored (a flag in the wind, a clock, a TV): polygons in image coordinates. */
  masks?: Polygon[];
  /** Compare every n-th pixel in each direction. Default 4. */
  sampleStep?: number;
}

/** The verdict on one frame. */
export interface MotionResult {
  moved: boolean;
  /** Fraction of the sampled, unmasked pixels that changed. */
  changedFraction: number;
}

/**
 * Frame differencing on a sampled luma grid against the last frame that was
 * analysed, so slow drift adds up until it counts. The first frame always counts as moved.
 */
export class MotionGate {
  readonly stats = { moved: 0, still: 0 };
  private readonly threshold: number;
  private readonly minFraction: number;
  private readonly step: number;
  private readonly masks: Polygon[];
  private ref: Uint8Array | undefined;
  private sampleIdx: Uint32Array | undefined;
  private dims = '';

  constructor(opts: MotionOptions = {}) {
    this.threshold = opts.pixelThreshold ?? 25;
    this.minFraction = opts.minChangedFraction ?? 0.003;
    this.step = Math.max(1, Math.floor(opts.sampleStep ?? 4));
    this.masks = opts.masks ?? [];
  }

  private samples(frame: RgbFrame): Uint32Array {
    const dims = `${frame.width}x${frame.height}`;
    if (this.sampleIdx && this.dims === dims) return this.sampleIdx;
    const idx: number[] = [];
    for (let y = 0; y < frame.height; y += this.step) {
      for (let x = 0; x < frame.width; x += this.step) {
        if (this.masks.some((m) => pointInPolygon([x, y], m))) continue;
        idx.push(y * frame.width + x);
      }
    }
    this.sampleIdx = Uint32Array.from(idx);
    this.dims = dims;
    this.ref = undefined;
    return this.sampleIdx;
  }

  /** Did something move since the last frame that was let through? */
  check(frame: RgbFrame): MotionResult {
    const idx = this.samples(frame);
    const luma = new Uint8Array(idx.length);
    const d = frame.data;
    for (let i = 0; i < idx.length; i++) {
      const p = idx[i]! * 3;
      luma[i] = (d[p]! * 77 + d[p + 1]! * 150 + d[p + 2]! * 29) >> 8;
    }
    if (!this.ref) {
      this.ref = luma;
      this.stats.moved++;
      return { moved: true, changedFraction: 1 };
    }
    let changed = 0;
    for (let i = 0; i < luma.length; i++) if (Math.abs(luma[i]! - this.ref[i]!) > this.threshold) changed++;
    const changedFraction = luma.length > 0 ? changed / luma.length : 0;
    const moved = changedFraction > this.minFraction;
    if (moved) {
      this.ref = luma;
      this.stats.moved++;
    } else {
      this.stats.still++;
    }
    return { moved, changedFraction };
  }
}
