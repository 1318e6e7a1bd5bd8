import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { createUser } from '@vigil/command-center';
import type { DemoWorld } from '@vigil/device-sim';

/** What `seedDemoPeople` created: the officers' shared first password, only on the run that created them. */
export interface DemoPeople {
  officers: string[];
  officerPassword: string | null;
}

/**
 * The people of the demo community-correction office in the registry: each
 * officer a user (role officer, at the site's unit) who can sign in on the
 * phone view, each supervised person a `subjects` row with the officer in
 * charge, and each officer's last position near their caseload (for the
 * nearest-officer suggestion). Idempotent: what exists is left alone.
 */
export async function seedDemoPeople(pool: Pool, world: DemoWorld): Promise<DemoPeople> {
  const unitOf = new Map(world.sites.map((s) => [s.id, s.orgUnitId]));
  const officerOf = new Map(world.officers.flatMap((o) => o.subjectIds.map((s) => [s, o.id] as const)));
  const ids = world.officers.map((o) => o.id);
  const { rows } = await pool.query<{ id: string }>('SELECT id FROM users WHERE id = ANY($1::text[])', [ids]);
  const existing = new Set(rows.map((r) => r.id));
  const officerPassword = existing.size < ids.length ? `demo-${randomBytes(12).toString('base64url')}` : null;
  for (const o of world.officers.filter((x) => !existing.has(x.id))) {
    await createUser(pool, { id: o.id, username: o.id, displayName: `${o.name['zh-CN']} / ${o.name.en}`, role: 'officer', orgUnitId: unitOf.get(o.siteId)!, password: officerPassword! });
  }
  const homes = new Map<string, [number, number]>(world.subjects.map((s) => [s.id, [s.home.lon, s.home.lat]]));
  for (const t of world.tags) homes.set(t.subjectId, t.route.waypoints[0]!);
  const people = [...world.tags.map((t) => ({ id: t.subjectId, siteId: t.siteId })), ...world.subjects.map((s) => ({ id: s.id, siteId: s.siteId }))];
  for (const p of people) {
    const n = p.id.replace(/^\D+/, '');
    await pool.query(
      `INSERT INTO subjects (id, site_id, ref, display_name, officer_id) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`,
      [p.id, p.siteId, `SQ-${n}`, `矫正对象 ${n} / Subject ${n}`, officerOf.get(p.id) ?? null],
    );
  }
  for (const o of world.officers) {
    const spots = o.subjectIds.map((s) => homes.get(s)).filter((x): x is [number, number] => x !== undefined);
    if (spots.length === 0) continue;
    const [lon, lat] = [spots.reduce((a, s) => a + s[0], 0) / spots.length, spots.reduce((a, s) => a + s[1], 0) / spots.length];
    await pool.query(`INSERT INTO officer_positions (user_id, lat, lon, acc_m, at, available) VALUES ($1, $2, $3, 10, now(), true) ON CONFLICT (user_id) DO NOTHING`, [o.id, lat, lon]);
  }
  return { officers: ids, officerPassword };
}
