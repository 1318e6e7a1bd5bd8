import type pg from 'pg';
import type { MessageOf } from '@vigil/schemas';

/**
 * Keep what a camera said: the envelope in `device_events` (as ingest stores
 * events) and, for a detection, one `detections` row per person (migration
 * 010; label = the detection kind). Stored once per message id.
 */
export async function recordCameraMessage(pool: pg.Pool, site: string, msg: MessageOf<'cam.detection'> | MessageOf<'cam.health'>): Promise<void> {
  await pool.query(
    `INSERT INTO device_events (time, msg_id, device_id, site_id, seq, type, body) VALUES (to_timestamp($1 / 1000.0), $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
    [msg.ts, msg.id, msg.dev, site, msg.seq, msg.type, JSON.stringify(msg.body)],
  );
  if (msg.type !== 'cam.detection' || !msg.body.active) return;
  const b = msg.body;
  for (const [i, o] of b.objects.entries()) {
    await pool.query(
      `INSERT INTO detections (time, msg_id, det_idx, device_id, site_id, zone_id, label, score, box, snapshot_ref)
       VALUES (to_timestamp($1 / 1000.0), $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
      [msg.ts, msg.id, i, msg.dev, site, b.zone ?? null, b.detection, o.score, JSON.stringify(o.box), b.snapshot_ref ?? null],
    );
  }
}
