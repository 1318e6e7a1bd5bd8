import { streetPath, pointAlong, type Path } from './paths.js';
import { between, streamFor } from './rng.js';
import { localMidnight, SPEED_MPS, type Place, type Subject } from './world.js';

/** One piece of a day: staying at a place, or moving along a path. */
export type Segment =
  | { kind: 'stay'; startMs: number; endMs: number; place: Place }
  | { kind: 'move'; startMs: number; endMs: number; path: Path; speedMps: number; to: Place };

/** Where a subject is at one instant, before GPS error. */
export interface TruePosition {
  lon: number;
  lat: number;
  indoor: boolean;
  speedMps: number;
  /** Direction of travel in degrees from north (0 when still). */
  headingDeg: number;
  /** The place the subject is at, or null while moving. */
  placeId: string | null;
}

const MIN = 60_000;

/**
 * The segments of one local day of a subject's routine: home; to work (or a
 * late-morning errand without work); work; an errand on the way back; home
 * before curfew. Each day's times vary by the routine's jitter, drawn from a
 * stream of its own, so the plan of day N is the same whatever ran before.
 */
export function dayPlan(subject: Subject, dayStartMs: number, seed: number, avoid?: (p: [number, number]) => boolean): Segment[] {
  const rand = streamFor(seed, `${subject.id}/day/${dayStartMs}`);
  const r = subject.routine;
  const j = () => between(rand, -r.jitterMin, r.jitterMin) * MIN;
  const speed = SPEED_MPS[subject.mode];
  const segments: Segment[] = [];
  let t = dayStartMs;
  let at = subject.home;
  const stayUntil = (endMs: number) => {
    if (endMs > t) segments.push({ kind: 'stay', startMs: t, endMs, place: at });
    t = Math.max(t, endMs);
  };
  const travelTo = (to: Place) => {
    const path = streetPath([at.lon, at.lat], [to.lon, to.lat], rand, avoid);
    const endMs = t + Math.round((path.lengthM / speed) * 1000);
    segments.push({ kind: 'move', startMs: t, endMs, path, speedMps: speed, to });
    t = endMs;
    at = to;
  };
  const curfew = dayStartMs + r.curfewMin * MIN;
  const dayEnd = dayStartMs + 24 * 60 * MIN;
  stayUntil(dayStartMs + r.leaveHomeMin * MIN + j());
  if (subject.work) {
    travelTo(subject.work);
    stayUntil(dayStartMs + r.leaveWorkMin * MIN + j());
  }
  travelTo(subject.errand);
  stayUntil(t + r.errandStayMin * MIN);
  travelTo(subject.home);
  if (t > curfew) {
    // the plan never breaks curfew by itself: only an injected event does
    const late = t - curfew + 10 * MIN;
    for (const s of segments) {
      if (s.startMs > dayStartMs) s.startMs -= late;
      s.endMs -= late;
    }
    t -= late;
  }
  stayUntil(dayEnd);
  return segments;
}

/** Where the segment puts the subject at `t`. */
export function positionOn(segment: Segment, t: number): TruePosition {
  if (segment.kind === 'stay') {
    const p = segment.place;
    return { lon: p.lon, lat: p.lat, indoor: p.indoor, speedMps: 0, headingDeg: 0, placeId: p.id };
  }
  const m = ((t - segment.startMs) / 1000) * segment.speedMps;
  const [lon, lat] = pointAlong(segment.path, m);
  const [lon2, lat2] = pointAlong(segment.path, m + 5);
  return { lon, lat, indoor: false, speedMps: segment.speedMps, headingDeg: bearing(lon, lat, lon2, lat2), placeId: null };
}

/** A subject's routine with one day's plan cached. */
export class RoutineTrack {
  private dayStart = Number.NaN;
  private plan: Segment[] = [];

  constructor(
    readonly subject: Subject,
    private readonly seed: number,
    private readonly avoid?: (p: [number, number]) => boolean,
  ) {}

  /** Where the routine puts the subject at `t`. */
  at(t: number): TruePosition {
    return positionOn(this.segmentAt(t), t);
  }

  /** The segment of the routine holding `t`. */
  segmentAt(t: number): Segment {
    const day = localMidnight(t);
    if (day !== this.dayStart) {
      this.dayStart = day;
      this.plan = dayPlan(this.subject, day, this.seed, this.avoid);
    }
    return this.plan.find((s) => t >= s.startMs && t < s.endMs) ?? this.plan[this.plan.length - 1]!;
  }
}

function bearing(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const dx = (lon2 - lon1) * Math.cos((lat1 * Math.PI) / 180);
  const dy = lat2 - lat1;
  if (dx === 0 && dy === 0) return 0;
  const deg = (Math.atan2(dx, dy) * 180) / Math.PI;
  return Math.round(((deg + 360) % 360) * 10) / 10;
}
