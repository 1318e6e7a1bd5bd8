import { along } from '@turf/along';
import { distance } from '@turf/distance';
import { lineString } from '@turf/helpers';
import { length } from '@turf/length';
import type { Feature, LineString } from 'geojson';
import type { Rand } from './rng.js';

/** A path between two points with its length. */
export interface Path {
  line: Feature<LineString>;
  lengthM: number;
}

type LonLat = [number, number];

/**
 * A street-like path from `a` to `b`: along one axis then the other (a city
 * grid), with a kink part-way, so walks look like walks along streets rather
 * than straight lines. `rand` picks which axis comes first and where the kink is.
 */
export function streetPath(a: LonLat, b: LonLat, rand: Rand, avoid?: (p: LonLat) => boolean): Path {
  const candidates: LonLat[][] = [];
  const f = 0.3 + 0.4 * rand();
  const midLon = a[0] + (b[0] - a[0]) * f;
  const midLat = a[1] + (b[1] - a[1]) * f;
  const lonFirst: LonLat[] = [a, [midLon, a[1]], [midLon, b[1]], b];
  const latFirst: LonLat[] = [a, [a[0], midLat], [b[0], midLat], b];
  if (rand() < 0.5) candidates.push(lonFirst, latFirst);
  else candidates.push(latFirst, lonFirst);
  candidates.push([a, [a[0], b[1]], b], [a, [b[0], a[1]], b], [a, b]);
  const pick = (avoid && candidates.find((c) => !crosses(c, avoid))) || candidates[0]!;
  const line = lineString(dedupe(pick));
  return { line, lengthM: length(line, { units: 'meters' }) };
}

/** The point `m` metres along the path, clamped to its ends. */
export function pointAlong(path: Path, m: number): LonLat {
  return along(path.line, Math.min(Math.max(m, 0), path.lengthM), { units: 'meters' }).geometry.coordinates as LonLat;
}

/** Metres between two [lon, lat] points. */
export function metresBetween(a: LonLat, b: LonLat): number {
  return distance(a, b, { units: 'meters' });
}

function dedupe(points: LonLat[]): LonLat[] {
  const out: LonLat[] = [];
  for (const p of points) {
    const last = out[out.length - 1];
    if (!last || last[0] !== p[0] || last[1] !== p[1]) out.push(p);
  }
  if (out.length === 1) out.push([out[0]![0], out[0]![1]]);
  return out;
}

function crosses(points: LonLat[], avoid: (p: LonLat) => boolean): boolean {
  const line = lineString(dedupe(points));
  const total = length(line, { units: 'meters' });
  for (let m = 0; m <= total; m += 10) {
    if (avoid(along(line, m, { units: 'meters' }).geometry.coordinates as LonLat)) return true;
  }
  return false;
}
