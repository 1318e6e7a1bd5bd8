import type pg from 'pg';
import type { EngineSnapshot } from './engine.js';

/** Store this partition's snapshot (one row per partition, replaced). */
export async function saveSnapshot(pool: pg.Pool, partition: string, snap: EngineSnapshot): Promise<void> {
  await pool.query(
    `INSERT INTO analytics_snapshots (partition, watermark, state) VALUES ($1, $2, $3)
     ON CONFLICT (partition) DO UPDATE SET watermark = EXCLUDED.watermark, state = EXCLUDED.state, taken_at = now()`,
    [partition, Math.round(snap.now), JSON.stringify(snap)],
  );
}

/** This partition's last snapshot, if any. */
export async function loadSnapshot(pool: pg.Pool, partition: string): Promise<EngineSnapshot | undefined> {
  const { rows } = await pool.query<{ state: EngineSnapshot }>(`SELECT state FROM analytics_snapshots WHERE partition = $1`, [partition]);
  return rows[0]?.state;
}
