import type pg from 'pg';
import type { MessageOf } from '@vigil/schemas';
import { VisionError } from '../vision/errors.js';
import type { FaceTemplate } from './enrol.js';
import type { Candidate } from './match.js';

/** Store (replace) a subject's or staff member's face template. Descriptors only. */
export async function saveTemplate(pool: pg.Pool, personId: string, template: FaceTemplate, enrolledBy: string): Promise<void> {
  if (template.descriptors.length === 0) throw new VisionError('VIGIL_BIOMETRICS_INPUT', 'template.descriptors: empty', { field: 'template.descriptors' });
  await pool.query(
    `INSERT INTO face_templates (person_id, model, descriptors, enrolled_by) VALUES ($1, $2, $3, $4)
     ON CONFLICT (person_id) DO UPDATE SET model = EXCLUDED.model, descriptors = EXCLUDED.descriptors, enrolled_by = EXCLUDED.enrolled_by, enrolled_at = now()`,
    [personId, template.model, JSON.stringify(template.descriptors), enrolledBy],
  );
}

/** Load the templates of these people (the people expected at a site), for 1:N. */
export async function loadTemplates(pool: pg.Pool, personIds: string[]): Promise<Candidate[]> {
  const { rows } = await pool.query<{ person_id: string; model: string; descriptors: number[][] }>(
    `SELECT person_id, model, descriptors FROM face_templates WHERE person_id = ANY($1::text[]) ORDER BY person_id`,
    [personIds],
  );
  return rows.map((r) => ({ id: r.person_id, template: { model: 'human-faceres', descriptors: r.descriptors } }));
}

/**
 * Record a judged check-in in `checkins` (migration 010); anything but a pass
 * goes to the officers' review queue (review_state 'pending'). Stored once per message id.
 */
export async function recordCheckin(pool: pg.Pool, site: string, msg: MessageOf<'checkin.result'>): Promise<void> {
  const b = msg.body;
  await pool.query(
    `INSERT INTO checkins (time, msg_id, subject_id, device_id, site_id, result, liveness_score, face_match_score, lat, lon, acc_m, review_state)
     VALUES (to_timestamp($1 / 1000.0), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     ON CONFLICT DO NOTHING`,
    [msg.ts, msg.id, b.subject, msg.dev, site, b.result, b.liveness?.score ?? null, b.match?.score ?? null, b.lat ?? null, b.lon ?? null, b.acc_m ?? null, b.result === 'pass' ? 'none' : 'pending'],
  );
}

/** A check-in waiting for an officer. */
export interface PendingCheckin {
  msgId: string;
  ts: number;
  subject: string;
  result: string;
  faceMatchScore: number | null;
  livenessScore: number | null;
}

/** The review queue of a site, oldest first. */
export async function pendingCheckins(pool: pg.Pool, site: string): Promise<PendingCheckin[]> {
  const { rows } = await pool.query<{ msg_id: string; ms: string; subject_id: string; result: string; face_match_score: number | null; liveness_score: number | null }>(
    `SELECT msg_id, (extract(epoch FROM time) * 1000)::bigint AS ms, subject_id, result, face_match_score, liveness_score
       FROM checkins WHERE site_id = $1 AND review_state = 'pending' ORDER BY time`,
    [site],
  );
  return rows.map((r) => ({ msgId: r.msg_id, ts: Number(r.ms), subject: r.subject_id, result: r.result, faceMatchScore: r.face_match_score, livenessScore: r.liveness_score }));
}

/** An officer's decision on a pending check-in; false if it was not pending (already reviewed or unknown). */
export async function reviewCheckin(pool: pg.Pool, msgId: string, officer: string, approve: boolean, atMs: number): Promise<boolean> {
  const r = await pool.query(
    `UPDATE checkins SET review_state = $3, reviewed_by = $2, reviewed_at = to_timestamp($4 / 1000.0) WHERE msg_id = $1 AND review_state = 'pending'`,
    [msgId, officer, approve ? 'approved' : 'rejected', atMs],
  );
  return (r.rowCount ?? 0) > 0;
}
