import type pg from 'pg';
import type { Zone } from './zone.js';

interface ZoneRow {
  id: string;
  site_id: string;
  kind: Zone['kind'];
  name_en: string;
  name_zh: string;
  geometry: Zone['geometry'];
}

/** Load the active zones of the registry. */
export async function loadZones(pool: pg.Pool): Promise<Zone[]> {
  const { rows } = await pool.query<ZoneRow>('SELECT id, site_id, kind, name_en, name_zh, geometry FROM zones WHERE active ORDER BY id');
  return rows.map((r) => ({ id: r.id, siteId: r.site_id, kind: r.kind, name: { en: r.name_en, 'zh-CN': r.name_zh }, geometry: r.geometry }));
}
