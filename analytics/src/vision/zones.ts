import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import { polygon as turfPolygon } from '@turf/helpers';
import type { Box } from './image.js';

/** A point in image coordinates (pixels of the analysed frame). */
export type Point = [number, number];
/** A closed or open ring of points in image coordinates. */
export type Polygon = Point[];

/** What a camera zone is for. */
export type ZoneKind = 'restricted' | 'crowd' | 'loiter';

/** A zone drawn on a camera's picture. */
export interface ImageZone {
  /** Id used in messages and alert keys (letters, digits, `_.-`). */
  id: string;
  kind: ZoneKind;
  /** The polygon in pixels of the frame size the camera is analysed at. */
  polygon: Polygon;
  /** Crowd: alert when more than this many people are in the zone… */
  maxPeople?: number;
  /** …for at least this long; loiter: one person in the zone this long; restricted: dwell before alerting (default 0). */
  minMs?: number;
}

const closed = (p: Polygon): Polygon => {
  const first = p[0]!;
  const last = p[p.length - 1]!;
  return first[0] === last[0] && first[1] === last[1] ? p : [...p, first];
};

const cache = new WeakMap<Polygon, ReturnType<typeof turfPolygon>>();

/** Is the point inside the polygon? (turf: planar ray casting, which is what image coordinates need.) */
export function pointInPolygon(pt: Point, poly: Polygon): boolean {
  let f = cache.get(poly);
  if (!f) {
    f = turfPolygon([closed(poly)]);
    cache.set(poly, f);
  }
  return booleanPointInPolygon(pt, f);
}

/** Where a person stands: the bottom centre of the box. */
export function footPoint(box: Box): Point {
  return [box.x + box.w / 2, box.y + box.h];
}

/** Check a zone's shape: at least three points, all finite. Returns the problem, or undefined. */
export function zoneProblem(z: ImageZone): string | undefined {
  if (!Array.isArray(z.polygon) || z.polygon.length < 3) return `zone ${z.id}: polygon needs at least 3 points`;
  if (!z.polygon.every((p) => Array.isArray(p) && p.length === 2 && p.every(Number.isFinite))) return `zone ${z.id}: polygon points must be [x, y] numbers`;
  if (z.kind === 'crowd' && !(Number.isInteger(z.maxPeople) && z.maxPeople! >= 0)) return `zone ${z.id}: maxPeople must be a whole number for a crowd zone`;
  if (z.minMs !== undefined && !(Number.isFinite(z.minMs) && z.minMs >= 0)) return `zone ${z.id}: minMs must be 0 or more`;
  return undefined;
}
