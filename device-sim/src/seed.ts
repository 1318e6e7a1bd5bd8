import type pg from 'pg';
import type { DemoWorld } from './demo.js';

/** How a device is put in the registry (the broker's `registerDevice`, handed in). */
export type RegisterDevice = (pool: pg.Pool, device: { id: string; siteId: string; kind: 'tag' | 'sensor'; subjectId?: string; secret: string }) => Promise<void>;

/**
 * Put the demo world into the registry: organisation units, sites, zones,
 * each tag (the three scripted ones and the caseload's) and each victim's
 * phone (kind `sensor`) with the given secret. Safe to run again. Devices are
 * registered four at a time: each one costs a scrypt hash.
 */
export async function seedDemo(pool: pg.Pool, world: DemoWorld, tagSecret: string, registerDevice: RegisterDevice): Promise<void> {
  for (const u of world.orgUnits) {
    await pool.query(
      `INSERT INTO org_units (id, parent_id, level, name_en, name_zh) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET name_en = EXCLUDED.name_en, name_zh = EXCLUDED.name_zh`,
      [u.id, u.parentId, u.level, u.name.en, u.name['zh-CN']],
    );
  }
  for (const s of world.sites) {
    await pool.query(
      `INSERT INTO sites (id, org_unit_id, kind, name_en, name_zh) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET name_en = EXCLUDED.name_en, name_zh = EXCLUDED.name_zh`,
      [s.id, s.orgUnitId, s.kind, s.name.en, s.name['zh-CN']],
    );
  }
  // A subject's zone (their home) binds only their tag (zones.device_ids, migration 017); others bind the whole site.
  const tagOfSubject = new Map(world.subjects.map((s) => [s.id, s.tagId]));
  for (const z of world.zones) {
    const geometry = { type: 'Polygon', coordinates: [z.ring] };
    const tag = z.subjectId ? tagOfSubject.get(z.subjectId) : undefined;
    await pool.query(
      `INSERT INTO zones (id, site_id, kind, name_en, name_zh, geometry, device_ids) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (id) DO UPDATE SET geometry = EXCLUDED.geometry, name_en = EXCLUDED.name_en, name_zh = EXCLUDED.name_zh, device_ids = EXCLUDED.device_ids`,
      [z.id, z.siteId, z.kind, z.name.en, z.name['zh-CN'], JSON.stringify(geometry), tag ? [tag] : null],
    );
  }
  const devices: Array<Parameters<RegisterDevice>[1]> = [
    ...world.tags.map((t) => ({ id: t.id, siteId: t.siteId, kind: 'tag' as const, subjectId: t.subjectId, secret: tagSecret })),
    ...world.subjects.map((s) => ({ id: s.tagId, siteId: s.siteId, kind: 'tag' as const, subjectId: s.id, secret: tagSecret })),
    ...world.subjects.flatMap((s) => (s.victim ? [{ id: s.victim.phoneId, siteId: s.siteId, kind: 'sensor' as const, secret: tagSecret }] : [])),
  ];
  let next = 0;
  const worker = async () => {
    while (next < devices.length) await registerDevice(pool, devices[next++]!);
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}
