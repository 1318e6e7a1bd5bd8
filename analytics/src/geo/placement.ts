/**
 * Fast placement of a fix against a polygon or circle, its accuracy circle
 * taken into account. Coordinates are projected to local metres around the
 * fix (equirectangular: under 0.1 % error over the few kilometres a zone
 * spans), so one fix against one zone is a handful of multiplications
 * instead of turf's GeoJSON allocations; test/geometry.test.ts checks it
 * against turf (`placeFix`) on random fixes.
 */

const EARTH_M = 6_371_008.8;
const RAD = Math.PI / 180;

/** A polygon ring list (first ring the outside, the rest holes) as flat [lon, lat] arrays. */
export interface PreparedPolygon {
  type: 'polygon';
  /** Each polygon of a MultiPolygon: its rings, each ring a flat array lon0, lat0, lon1, lat1, ... */
  parts: Float64Array[][];
  bbox: [number, number, number, number];
}

export interface PreparedCircle {
  type: 'circle';
  lat: number;
  lon: number;
  radiusM: number;
  bbox: [number, number, number, number];
}

export type PreparedShape = PreparedPolygon | PreparedCircle;
export type Placement = 'inside' | 'outside' | 'uncertain';

/** Distance in metres between two WGS 84 points (haversine). */
export function distanceM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const dLat = (lat2 - lat1) * RAD;
  const dLon = (lon2 - lon1) * RAD;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** Metres per degree of latitude and of longitude at `lat`. */
export function metresPerDegree(lat: number): { mLat: number; mLon: number } {
  const mLat = EARTH_M * RAD;
  return { mLat, mLon: mLat * Math.cos(lat * RAD) };
}

/** Prepare a GeoJSON Polygon or MultiPolygon. */
export function preparePolygon(coordinates: number[][][] | number[][][][], multi: boolean): PreparedPolygon {
  const polys = (multi ? coordinates : [coordinates]) as number[][][][];
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  const parts = polys.map((rings) =>
    rings.map((ring) => {
      const flat = new Float64Array(ring.length * 2);
      ring.forEach((p, i) => {
        const x = p[0]!;
        const y = p[1]!;
        flat[i * 2] = x;
        flat[i * 2 + 1] = y;
        if (x < minX) minX = x;
        if (y < minY) minY = y;
        if (x > maxX) maxX = x;
        if (y > maxY) maxY = y;
      });
      return flat;
    }),
  );
  return { type: 'polygon', parts, bbox: [minX, minY, maxX, maxY] };
}

/** Prepare a circle of `radiusM` metres around a point. */
export function prepareCircle(lat: number, lon: number, radiusM: number): PreparedCircle {
  const { mLat, mLon } = metresPerDegree(lat);
  const dLat = radiusM / mLat;
  const dLon = radiusM / Math.max(mLon, 1e-9);
  return { type: 'circle', lat, lon, radiusM, bbox: [lon - dLon, lat - dLat, lon + dLon, lat + dLat] };
}

/**
 * `inside` only if the whole accuracy circle is inside, `outside` only if
 * it is wholly outside; a circle overlapping the boundary is `uncertain`.
 */
export function placeOn(shape: PreparedShape, lat: number, lon: number, accM: number): Placement {
  if (shape.type === 'circle') {
    // Local metres around the fix (zones span at most a few km; the circle test in engine.test.ts checks the error).
    const k = EARTH_M * RAD;
    const dx = (lon - shape.lon) * k * Math.cos(lat * RAD);
    const dy = (lat - shape.lat) * k;
    const d = Math.sqrt(dx * dx + dy * dy);
    if (d + accM <= shape.radiusM) return 'inside';
    if (d - accM >= shape.radiusM) return 'outside';
    return 'uncertain';
  }
  const { mLat, mLon } = metresPerDegree(lat);
  // Quick exit: wholly outside the bounding box by more than the accuracy.
  const [minX, minY, maxX, maxY] = shape.bbox;
  const dx = lon < minX ? (minX - lon) * mLon : lon > maxX ? (lon - maxX) * mLon : 0;
  const dy = lat < minY ? (minY - lat) * mLat : lat > maxY ? (lat - maxY) * mLat : 0;
  if (dx * dx + dy * dy > accM * accM && (dx > 0 || dy > 0)) return 'outside';
  let inside = false;
  let best = Infinity;
  for (const rings of shape.parts) {
    let inPoly = false;
    for (let r = 0; r < rings.length; r++) {
      const ring = rings[r]!;
      let inRing = false;
      const n = ring.length / 2;
      for (let i = 0, j = n - 1; i < n; j = i++) {
        const xi = (ring[i * 2]! - lon) * mLon;
        const yi = (ring[i * 2 + 1]! - lat) * mLat;
        const xj = (ring[j * 2]! - lon) * mLon;
        const yj = (ring[j * 2 + 1]! - lat) * mLat;
        if (yi > 0 !== yj > 0 && 0 < ((xj - xi) * (0 - yi)) / (yj - yi) + xi) inRing = !inRing;
        // Squared distance from the origin (the fix) to segment i-j.
        const sx = xj - xi;
        const sy = yj - yi;
        const len = sx * sx + sy * sy;
        let t = len > 0 ? -(xi * sx + yi * sy) / len : 0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        const px = xi + t * sx;
        const py = yi + t * sy;
        const d2 = px * px + py * py;
        if (d2 < best) best = d2;
      }
      if (r === 0) inPoly = inRing;
      else if (inRing) inPoly = false; // in a hole
    }
    if (inPoly) inside = true;
  }
  if (accM > 0 && best < accM * accM) return 'uncertain';
  return inside ? 'inside' : 'outside';
}
