import { iou } from './analyse.js';
import type { PersonObservation } from './analyse.js';
import type { Box } from './image.js';

/** A person followed across frames. */
export interface Track {
  id: number;
  box: Box;
  score: number;
  horizontal: boolean;
  firstSeenTs: number;
  lastSeenTs: number;
  /** Since when the person has been lying (ms), or undefined. */
  horizontalSinceTs: number | undefined;
  /** Since when the box has stayed in place (centre within `stillPx`). */
  stillSinceTs: number;
  stillAnchor: Box;
}

/** Settings of the tracker. */
export interface TrackerOptions {
  /** Match a detection to a track at this IoU or more. Default 0.2. */
  minIou?: number;
  /** Or when the centres are closer than this fraction of the track's box diagonal. Default 0.6. */
  maxCentreJump?: number;
  /** Forget a track not seen for this long. Default 3000 ms. */
  maxAgeMs?: number;
  /** A centre moving less than this fraction of the box height counts as still. Default 0.1. */
  stillFraction?: number;
}

const centre = (b: Box) => [b.x + b.w / 2, b.y + b.h / 2] as const;
const dist = (a: Box, b: Box) => Math.hypot(centre(a)[0] - centre(b)[0], centre(a)[1] - centre(b)[1]);

/** Greedy IoU tracker with a centroid fallback: the simplest thing that follows people walking at 2–5 fps. */
export class Tracker {
  private tracks: Track[] = [];
  private nextId = 1;
  private readonly minIou: number;
  private readonly maxJump: number;
  private readonly maxAgeMs: number;
  private readonly stillFraction: number;

  constructor(opts: TrackerOptions = {}) {
    this.minIou = opts.minIou ?? 0.2;
    this.maxJump = opts.maxCentreJump ?? 0.6;
    this.maxAgeMs = opts.maxAgeMs ?? 3000;
    this.stillFraction = opts.stillFraction ?? 0.1;
  }

  /** The tracks alive now. */
  get current(): readonly Track[] {
    return this.tracks;
  }

  /** A frame motion gating skipped: nothing changed, so every track was still there. */
  carry(ts: number): readonly Track[] {
    for (const t of this.tracks) t.lastSeenTs = ts;
    return this.tracks;
  }

  /** Match this frame's people to tracks; new people start tracks; unseen tracks age out. */
  update(people: PersonObservation[], ts: number): readonly Track[] {
    const pairs: Array<{ t: number; p: number; s: number }> = [];
    this.tracks.forEach((t, ti) =>
      people.forEach((p, pi) => {
        const v = iou(t.box, p.box);
        const diag = Math.hypot(t.box.w, t.box.h);
        const near = diag > 0 ? 1 - dist(t.box, p.box) / (diag * this.maxJump) : 0;
        const s = v >= this.minIou ? 1 + v : near > 0 ? near : -1;
        if (s > 0) pairs.push({ t: ti, p: pi, s });
      }),
    );
    pairs.sort((a, b) => b.s - a.s);
    const tUsed = new Set<number>();
    const pUsed = new Set<number>();
    for (const { t, p } of pairs) {
      if (tUsed.has(t) || pUsed.has(p)) continue;
      tUsed.add(t);
      pUsed.add(p);
      this.apply(this.tracks[t]!, people[p]!, ts);
    }
    people.forEach((p, i) => {
      if (pUsed.has(i)) return;
      this.tracks.push({
        id: this.nextId++,
        box: p.box,
        score: p.score,
        horizontal: p.horizontal,
        firstSeenTs: ts,
        lastSeenTs: ts,
        horizontalSinceTs: p.horizontal ? ts : undefined,
        stillSinceTs: ts,
        stillAnchor: p.box,
      });
    });
    this.tracks = this.tracks.filter((t) => ts - t.lastSeenTs <= this.maxAgeMs);
    return this.tracks;
  }

  private apply(t: Track, p: PersonObservation, ts: number): void {
    t.box = p.box;
    t.score = p.score;
    t.lastSeenTs = ts;
    if (p.horizontal && !t.horizontal) t.horizontalSinceTs = ts;
    if (!p.horizontal) t.horizontalSinceTs = undefined;
    t.horizontal = p.horizontal;
    if (dist(t.stillAnchor, p.box) > this.stillFraction * Math.max(1, t.stillAnchor.h)) {
      t.stillAnchor = p.box;
      t.stillSinceTs = ts;
    }
  }
}
