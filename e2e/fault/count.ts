import type pg from 'pg';
import type { EdgeRecord } from './edge.js';
import type { SentRecord } from './load.js';

/** Stored rows per envelope id (tag_fixes and device_events), for the ids given. */
export async function storedById(pool: pg.Pool, ids: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < ids.length; i += 5000) {
    const chunk = ids.slice(i, i + 5000);
    const { rows } = await pool.query<{ id: string; n: number }>(
      `SELECT msg_id::text AS id, count(*)::int AS n FROM (
         SELECT msg_id FROM tag_fixes WHERE msg_id = ANY($1::uuid[])
         UNION ALL SELECT msg_id FROM device_events WHERE msg_id = ANY($1::uuid[])) s GROUP BY msg_id`,
      [chunk],
    );
    for (const r of rows) out.set(r.id, r.n);
  }
  return out;
}

/** Stored rows per `device|ts` for the edge devices given (the agent makes the envelope ids; the test knows device and ts). */
export async function storedByDeviceTs(pool: pg.Pool, devices: readonly string[]): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ k: string; n: number }>(
    `SELECT device_id || '|' || (extract(epoch FROM time) * 1000)::bigint AS k, count(*)::int AS n FROM (
       SELECT device_id, time FROM tag_fixes WHERE device_id = ANY($1)
       UNION ALL SELECT device_id, time FROM device_events WHERE device_id = ANY($1)) s GROUP BY 1`,
    [devices],
  );
  return new Map(rows.map((r) => [r.k, r.n]));
}

/** How many acknowledged messages are not stored yet (stops counting at `limit`). */
export async function missingCount(pool: pg.Pool, load: Iterable<SentRecord>, edge: readonly EdgeRecord[], edgeDevices: readonly string[]): Promise<number> {
  const acked = [...load].filter((r) => r.ackedAt !== undefined).map((r) => r.id);
  const stored = await storedById(pool, acked);
  let missing = acked.filter((id) => !stored.has(id)).length;
  if (edge.length > 0) {
    const byKey = await storedByDeviceTs(pool, edgeDevices);
    missing += edge.filter((r) => r.committed && !byKey.has(`${r.dev}|${r.ts}`)).length;
  }
  return missing;
}

/** tamper.strap alerts per device. */
export async function tamperAlerts(pool: pg.Pool): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ dev: string; n: number }>(`SELECT device_id AS dev, count(*)::int AS n FROM alerts WHERE rule = 'tamper.strap' GROUP BY device_id`);
  return new Map(rows.map((r) => [r.dev, r.n]));
}
