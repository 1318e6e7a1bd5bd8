import type pg from 'pg';
import { inTransaction } from '../db.js';
import type { Candidate } from './match.js';

/** Give a card to a person at a site (migration 039); the card's previous live holder there is revoked at the same time. */
export async function issueCard(pool: pg.Pool, site: string, card: string, personId: string, atMs: number): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query(`UPDATE access_cards SET revoked_at = to_timestamp($3 / 1000.0) WHERE site_id = $1 AND card = $2 AND revoked_at IS NULL`, [site, card, atMs]);
    await client.query(`INSERT INTO access_cards (card, site_id, person_id, issued_at) VALUES ($2, $1, $3, to_timestamp($4 / 1000.0))`, [site, card, personId, atMs]);
  });
}

/** Revoke a card at a site; false if it had no live holder. */
export async function revokeCard(pool: pg.Pool, site: string, card: string, atMs: number): Promise<boolean> {
  const r = await pool.query(`UPDATE access_cards SET revoked_at = to_timestamp($3 / 1000.0) WHERE site_id = $1 AND card = $2 AND revoked_at IS NULL`, [site, card, atMs]);
  return (r.rowCount ?? 0) > 0;
}

/**
 * The person a card belonged to at a site when it was read (`atMs`, the
 * read's event time): not revoked by then, the latest issued before it
 * (or, with a device clock behind ours, the live one).
 */
export async function cardHolder(pool: pg.Pool, site: string, card: string, atMs: number): Promise<string | undefined> {
  const { rows } = await pool.query<{ person_id: string }>(
    `SELECT person_id FROM access_cards
      WHERE site_id = $1 AND card = $2 AND (revoked_at IS NULL OR revoked_at > to_timestamp($3 / 1000.0))
      ORDER BY (issued_at <= to_timestamp($3 / 1000.0)) DESC, issued_at DESC LIMIT 1`,
    [site, card, atMs],
  );
  return rows[0]?.person_id;
}

/** The people expected at a site, for 1:N: holders of a live card there who have a face template. */
export async function expectedPeople(pool: pg.Pool, site: string): Promise<Candidate[]> {
  const { rows } = await pool.query<{ person_id: string; descriptors: number[][] }>(
    `SELECT t.person_id, t.descriptors FROM face_templates t
      WHERE t.person_id IN (SELECT person_id FROM access_cards WHERE site_id = $1 AND revoked_at IS NULL)
      ORDER BY t.person_id`,
    [site],
  );
  return rows.map((r) => ({ id: r.person_id, template: { model: 'human-faceres', descriptors: r.descriptors } }));
}

/** One judged card read at a gate camera, as kept in `gate_face_checks` (migration 039). */
export interface GateFaceCheckRow {
  msgId: string;
  ts: number;
  site: string;
  door: string;
  dev: string;
  camera: string;
  granted: boolean;
  holder: string | undefined;
  outcome: 'matched' | 'not_matched' | 'uncertain' | 'no_face' | 'no_template' | 'unknown_card' | 'no_frame';
  score?: number;
  threshold?: number;
  faces: number;
  seen?: string;
  seenScore?: number;
  snapshotRef?: string;
  alertId?: string;
}

/** Keep a judged card read; stored once per gate.access message. */
export async function recordGateFaceCheck(pool: pg.Pool, r: GateFaceCheckRow): Promise<void> {
  await pool.query(
    `INSERT INTO gate_face_checks (time, msg_id, site_id, door_id, device_id, camera_id, granted, holder_id, outcome, score, threshold, faces, seen_id, seen_score, snapshot_ref, alert_id)
     VALUES (to_timestamp($1 / 1000.0), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) ON CONFLICT DO NOTHING`,
    [r.ts, r.msgId, r.site, r.door, r.dev, r.camera, r.granted, r.holder ?? null, r.outcome, r.score ?? null, r.threshold ?? null, r.faces, r.seen ?? null, r.seenScore ?? null, r.snapshotRef ?? null, r.alertId ?? null],
  );
}
