import { along } from '@turf/along';
import { destination } from '@turf/destination';
import { lineString } from '@turf/helpers';
import { length } from '@turf/length';

/** A walk along waypoints ([lon, lat], WGS 84), looped from the start when it ends. */
export interface Route {
  waypoints: Array<[number, number]>;
  speedMps: number;
}

/** Where a walker on `route` is after `elapsedMs`, as { lat, lon }. */
export function positionAt(route: Route, elapsedMs: number): { lat: number; lon: number } {
  const line = lineString(route.waypoints);
  const totalM = length(line, { units: 'meters' });
  const travelledM = totalM === 0 ? 0 : ((route.speedMps * elapsedMs) / 1000) % totalM;
  const [lon, lat] = along(line, travelledM, { units: 'meters' }).geometry.coordinates as [number, number];
  return { lat, lon };
}

/** Move a point by `distanceM` towards `bearingDeg` (GPS noise, outliers). */
export function offset(p: { lat: number; lon: number }, distanceM: number, bearingDeg: number): { lat: number; lon: number } {
  const [lon, lat] = destination([p.lon, p.lat], distanceM, bearingDeg, { units: 'meters' }).geometry.coordinates as [number, number];
  return { lat, lon };
}

/** A small seeded PRNG (mulberry32), so a simulation replays the same noise. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
