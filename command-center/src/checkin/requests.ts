import { randomInt } from 'node:crypto';
import type { Pool } from 'pg';
import type { HeadTurn } from '@vigil/analytics';
import { newId } from '@vigil/schemas';
import { signCheckinToken } from './token.js';

/** A check-in request as stored in `checkin_requests` (migration 036). */
export interface CheckinRequest {
  id: string;
  subject: string;
  site: string;
  device: string;
  kind: 'scheduled' | 'random' | 'manual';
  slot: string;
  challenge: HeadTurn;
  issuedTs: number;
  dueTs: number;
  graceMs: number;
  expiresTs: number;
  usedTs: number | null;
}

/** What to ask of one subject. */
export interface IssueInput {
  subject: string;
  kind: CheckinRequest['kind'];
  /** Names the planned slot; a second request for the same subject and slot is not made. */
  slot: string;
  /** Event time of issue, ms. */
  nowMs: number;
  /** The selfie is due this long after issue. */
  dueMs: number;
  /** Then missed after this much more (the link stays valid until then). */
  graceMs: number;
  /** The portal device the result is recorded under. */
  deviceId: string;
  /** Default: left or right at random. */
  challenge?: HeadTurn;
}

/** An issued request with the token for its link. */
export interface IssuedCheckin {
  request: CheckinRequest;
  token: string;
}

type Row = {
  id: string; subject_id: string; site_id: string; device_id: string; kind: CheckinRequest['kind']; slot: string; challenge: HeadTurn;
  issued_at: Date; due_at: Date; grace_ms: number; expires_at: Date; used_at: Date | null;
};
const COLS = 'id, subject_id, site_id, device_id, kind, slot, challenge, issued_at, due_at, grace_ms, expires_at, used_at';
const toRequest = (r: Row): CheckinRequest => ({
  id: r.id, subject: r.subject_id, site: r.site_id, device: r.device_id, kind: r.kind, slot: r.slot, challenge: r.challenge,
  issuedTs: r.issued_at.getTime(), dueTs: r.due_at.getTime(), graceMs: r.grace_ms, expiresTs: r.expires_at.getTime(), usedTs: r.used_at?.getTime() ?? null,
});

/**
 * Create a request for a (not archived) subject of the registry, valid until
 * its deadline plus grace; undefined if that slot was issued already or the
 * subject is unknown or archived.
 */
export async function issueCheckin(pool: Pool, secret: Buffer, input: IssueInput): Promise<IssuedCheckin | undefined> {
  const id = newId();
  const dueTs = input.nowMs + input.dueMs;
  const expiresTs = dueTs + input.graceMs;
  const challenge = input.challenge ?? (randomInt(2) === 0 ? 'turn_left' : 'turn_right');
  const { rows } = await pool.query<Row>(
    `INSERT INTO checkin_requests (id, subject_id, site_id, device_id, kind, slot, challenge, issued_at, due_at, grace_ms, expires_at)
     SELECT $1, s.id, s.site_id, $3, $4, $5, $6, to_timestamp($7 / 1000.0), to_timestamp($8 / 1000.0), $9, to_timestamp($10 / 1000.0)
       FROM subjects s WHERE s.id = $2 AND s.archived_at IS NULL
     ON CONFLICT (subject_id, slot) DO NOTHING
     RETURNING ${COLS}`,
    [id, input.subject, input.deviceId, input.kind, input.slot, challenge, input.nowMs, dueTs, input.graceMs, expiresTs],
  );
  if (!rows[0]) return undefined;
  const request = toRequest(rows[0]);
  // The link's own expiry is whole seconds, rounded up: the row's expiry is the one enforced.
  return { request, token: signCheckinToken(secret, id, request.expiresTs) };
}

/** One request by id. */
export async function findRequest(pool: Pool, id: string): Promise<CheckinRequest | undefined> {
  const { rows } = await pool.query<Row>(`SELECT ${COLS} FROM checkin_requests WHERE id = $1`, [id]);
  return rows[0] ? toRequest(rows[0]) : undefined;
}

/** Take a request for answering: false if it was answered (or taken) already. */
export async function claimRequest(pool: Pool, id: string, nowMs: number): Promise<boolean> {
  const r = await pool.query(`UPDATE checkin_requests SET used_at = to_timestamp($2 / 1000.0) WHERE id = $1 AND used_at IS NULL`, [id, nowMs]);
  return (r.rowCount ?? 0) > 0;
}

/** Give a claimed request back (judging failed for a reason that is not the subject's). */
export async function releaseRequest(pool: Pool, id: string): Promise<void> {
  await pool.query(`UPDATE checkin_requests SET used_at = NULL WHERE id = $1 AND result IS NULL`, [id]);
}

/** What became of a request. */
export interface RequestOutcome {
  result: 'pass' | 'fail' | 'review';
  msgId: string;
  challengeMet: boolean;
  turnDeg: number | undefined;
  reason: string | undefined;
}

/** Store the outcome beside the request (the check-in itself is in `checkins`). */
export async function finishRequest(pool: Pool, id: string, o: RequestOutcome): Promise<void> {
  await pool.query(
    `UPDATE checkin_requests SET result = $2, result_msg_id = $3, challenge_met = $4, challenge_turn_deg = $5, reason = $6 WHERE id = $1`,
    [id, o.result, o.msgId, o.challengeMet, o.turnDeg ?? null, o.reason ?? null],
  );
}
