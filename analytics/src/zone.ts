import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon';
import { point } from '@turf/helpers';
import type { Feature, LineString, MultiLineString, MultiPolygon, Polygon, Position } from 'geojson';
import { pointToLineDistance } from '@turf/point-to-line-distance';
import { polygonToLine } from '@turf/polygon-to-line';

/** A zone as the rules see it: GeoJSON geometry in WGS 84. */
export interface Zone {
  id: string;
  siteId: string;
  kind: 'exclusion' | 'inclusion';
  name: { en: string; 'zh-CN': string };
  geometry: Polygon | MultiPolygon;
}

/** Where a fix lies relative to a zone, its accuracy circle taken into account. */
export type Placement = 'inside' | 'outside' | 'uncertain';

/**
 * Place a fix: `inside` only if the whole accuracy circle is inside the
 * zone, `outside` only if the whole circle is outside; a circle that
 * overlaps the boundary is `uncertain` and is never a breach on its own.
 */
export function placeFix(zone: Zone, lat: number, lon: number, accM: number): Placement {
  const p = point([lon, lat]);
  const inside = booleanPointInPolygon(p, zone.geometry);
  if (accM <= 0) return inside ? 'inside' : 'outside';
  const lines = polygonToLine(zone.geometry) as Feature<LineString | MultiLineString> | { features: Feature<LineString | MultiLineString>[] };
  const parts = 'features' in lines ? lines.features : [lines];
  let boundaryM = Infinity;
  for (const part of parts) {
    const segments = part.geometry.type === 'LineString' ? [part.geometry.coordinates] : part.geometry.coordinates;
    for (const coords of segments) {
      boundaryM = Math.min(boundaryM, pointToLineDistance(p, { type: 'LineString', coordinates: coords as Position[] }, { units: 'meters' }));
    }
  }
  if (boundaryM < accM) return 'uncertain';
  return inside ? 'inside' : 'outside';
}
