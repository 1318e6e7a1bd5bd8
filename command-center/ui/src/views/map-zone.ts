import type { Lang } from '../i18n';
import { api } from './api';
import type { MapZone } from './map-engine';

/** A zone as the zones API returns it. */
export interface Zone extends Omit<MapZone, 'name'> {
  site: string;
  name: Record<Lang, string>;
  [k: string]: unknown;
}

/** The fields of a new zone, as typed in the zone editor. */
export interface ZoneForm {
  id: string;
  en: string;
  zh: string;
  kind: string;
}

/** A polygon from the corners drawn ([lat, lon]): GeoJSON, [lon, lat], the ring closed on its first corner. */
function polygonOf(vertices: readonly [number, number][]): { type: 'Polygon'; coordinates: number[][][] } {
  const ring = [...vertices, vertices[0]!].map(([lat, lon]) => [Math.round(lon * 1e7) / 1e7, Math.round(lat * 1e7) / 1e7]);
  return { type: 'Polygon', coordinates: [ring] };
}

/** Store a new zone of `site` with the outline drawn. */
export async function createZone(site: string, form: ZoneForm, vertices: readonly [number, number][]): Promise<void> {
  const geometry = polygonOf(vertices);
  await api('/api/zones', { method: 'POST', body: { id: form.id.trim(), site, kind: form.kind, name: { en: form.en.trim(), 'zh-CN': form.zh.trim() }, geometry } });
}

/** Give `z` the outline drawn, keeping the rest of it, and whether it is active. */
export async function redrawZone(z: Zone, vertices: readonly [number, number][]): Promise<void> {
  const geometry = polygonOf(vertices);
  // `active` is left out: the zones API validates the body with the rules' own schema, which refuses it
  // (and a PUT without it makes the zone active), so an inactive zone is switched off again after.
  const { radius_m: _r, active, ...rest } = z;
  await api(`/api/zones/${encodeURIComponent(z.id)}`, { method: 'PUT', body: { ...rest, geometry } });
  if (!active) await api(`/api/zones/${encodeURIComponent(z.id)}`, { method: 'PATCH', body: { active: false } });
}
