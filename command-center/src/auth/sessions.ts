import type { Pool } from 'pg';
import type { Role } from '../access/roles.js';
import { newSecret, tokenHash } from './tokens.js';

/** A session as the request pipeline sees it. */
export interface SessionInfo {
  tokenHash: string;
  stage: 'mfa' | 'full';
  userId: string;
  username: string;
  role: Role;
  orgUnitId: string;
  lastSeenAt: number;
  expiresAt: number;
}

/** Start a session; returns the cookie value (only its hash is stored). */
export async function createSession(
  pool: Pool,
  s: { userId: string; stage: 'mfa' | 'full'; maxMs: number; ip: string; userAgent: string | undefined },
): Promise<string> {
  const token = newSecret();
  await pool.query(
    `INSERT INTO sessions (token_hash, user_id, stage, expires_at, ip, user_agent)
     VALUES ($1, $2, $3, now() + make_interval(secs => $4::double precision / 1000), $5, $6)`,
    [tokenHash(token), s.userId, s.stage, s.maxMs, s.ip, s.userAgent?.slice(0, 256) ?? null],
  );
  return token;
}

/** Promote a session once the second factor is given (or enrolled). */
export async function promoteSession(pool: Pool, hash: string): Promise<void> {
  await pool.query("UPDATE sessions SET stage = 'full', last_seen_at = now() WHERE token_hash = $1", [hash]);
}

/** End a session (logout, idle timeout). */
export async function endSession(pool: Pool, hash: string): Promise<void> {
  await pool.query('UPDATE sessions SET ended_at = COALESCE(ended_at, now()) WHERE token_hash = $1', [hash]);
}

interface SessionRow {
  token_hash: string;
  stage: 'mfa' | 'full';
  user_id: string;
  username: string;
  role: Role;
  org_unit_id: string;
  last_seen_at: Date;
  expires_at: Date;
}

/** A live session by its cookie value: not ended, not past its absolute limit, its user not disabled. */
export async function findSession(pool: Pool, token: string): Promise<SessionInfo | null> {
  const { rows } = await pool.query<SessionRow>(
    `SELECT s.token_hash, s.stage, s.user_id, u.username, u.role, u.org_unit_id, s.last_seen_at, s.expires_at
       FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.token_hash = $1 AND s.ended_at IS NULL AND s.expires_at > now() AND u.disabled_at IS NULL`,
    [tokenHash(token)],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    tokenHash: r.token_hash,
    stage: r.stage,
    userId: r.user_id,
    username: r.username,
    role: r.role,
    orgUnitId: r.org_unit_id,
    lastSeenAt: r.last_seen_at.getTime(),
    expiresAt: r.expires_at.getTime(),
  };
}

/** Record activity (idle timeout counts from here). */
export async function touchSession(pool: Pool, hash: string): Promise<void> {
  await pool.query('UPDATE sessions SET last_seen_at = now() WHERE token_hash = $1 AND ended_at IS NULL', [hash]);
}
