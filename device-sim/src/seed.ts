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
  // A subject's home zone binds only their tag and is their curfew, from the routine's curfew time to 06:00
  // (zones.device_ids / schedule / curfew, migration 017); other zones bind the whole site, always.
  const subjectById = new Map(world.subjects.map((s) => [s.id, s]));
  const hhmm = (min: number) => `${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`;
  for (const z of world.zones) {
    const geometry = { type: 'Polygon', coordinates: [z.ring] };
    const subject = z.subjectId ? subjectById.get(z.subjectId) : undefined;
    const schedule = subject ? { weekly: [{ days: [1, 2, 3, 4, 5, 6, 7], start: hhmm(subject.routine.curfewMin), end: '06:00' }] } : null;
    await pool.query(
      `INSERT INTO zones (id, site_id, kind, name_en, name_zh, geometry, device_ids, schedule, curfew) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (id) DO UPDATE SET geometry = EXCLUDED.geometry, name_en = EXCLUDED.name_en, name_zh = EXCLUDED.name_zh,
         device_ids = EXCLUDED.device_ids, schedule = EXCLUDED.schedule, curfew = EXCLUDED.curfew`,
      [z.id, z.siteId, z.kind, z.name.en, z.name['zh-CN'], JSON.stringify(geometry), subject ? [subject.tagId] : null, schedule && JSON.stringify(schedule), !!subject],
    );
  }
  // Victim protection orders and who wears which tag, for the rules (analytics_rule_sets, migration 016).
  const ruleSet = {
    subjects: Object.fromEntries([...world.tags.filter((t) => t.subjectId).map((t) => [t.id, t.subjectId]), ...world.subjects.map((s) => [s.tagId, s.id])]),
    victims: world.subjects.flatMap((s) => (s.victim ? [{ id: `order-${s.id}`, site: s.siteId, offender_dev: s.tagId, victim_dev: s.victim.phoneId, distance_m: 500 }] : [])),
  };
  await pool.query(
    `INSERT INTO analytics_rule_sets (id, config) VALUES ('default', $1)
     ON CONFLICT (id) DO UPDATE SET config = analytics_rule_sets.config || EXCLUDED.config, updated_at = now()`,
    [JSON.stringify(ruleSet)],
  );
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
