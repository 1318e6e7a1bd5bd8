import type { Pool } from 'pg';
import { randomUUID } from 'node:crypto';
import type { Role } from '../access/roles.js';
import { newSecret, tokenHash } from './tokens.js';

/** Prefix of every API token, so a leaked one is recognisable (secret scanners, logs). */
export const API_TOKEN_PREFIX = 'vgt_';

/** An API token as listed (never the secret). */
export interface ApiTokenInfo {
  id: string;
  name: string;
  scopes: string[];
  created_ts: number;
  expires_ts: number;
  last_used_ts: number | null;
  revoked: boolean;
}

/** Issue a token for `userId` limited to `scopes`; the secret is returned once and stored only as its SHA-256. */
export async function issueApiToken(pool: Pool, t: { userId: string; name: string; scopes: string[]; expiresAt: Date }): Promise<{ id: string; token: string }> {
  const id = randomUUID();
  const token = `${API_TOKEN_PREFIX}${newSecret()}`;
  await pool.query('INSERT INTO api_tokens (id, token_hash, user_id, name, scopes, expires_at) VALUES ($1, $2, $3, $4, $5, $6)', [
    id,
    tokenHash(token),
    t.userId,
    t.name,
    t.scopes,
    t.expiresAt,
  ]);
  return { id, token };
}

interface TokenRow {
  id: string;
  name: string;
  scopes: string[];
  created_at: Date;
  expires_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export async function listApiTokens(pool: Pool, userId: string): Promise<ApiTokenInfo[]> {
  const { rows } = await pool.query<TokenRow>(
    'SELECT id, name, scopes, created_at, expires_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY created_at, id',
    [userId],
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    scopes: r.scopes,
    created_ts: r.created_at.getTime(),
    expires_ts: r.expires_at.getTime(),
    last_used_ts: r.last_used_at?.getTime() ?? null,
    revoked: r.revoked_at !== null,
  }));
}

/** Revoke one of the user's tokens; false if they have no such token. */
export async function revokeApiToken(pool: Pool, userId: string, id: string): Promise<boolean> {
  const res = await pool.query('UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 AND user_id = $2', [id, userId]);
  return (res.rowCount ?? 0) > 0;
}

/** Who a bearer token acts as, if it is live: not revoked, not expired, its user enabled. */
export async function findApiToken(
  pool: Pool,
  token: string,
): Promise<{ id: string; userId: string; username: string; role: Role; orgUnitId: string; scopes: string[] } | null> {
  if (!token.startsWith(API_TOKEN_PREFIX)) return null;
  const { rows } = await pool.query<{ id: string; user_id: string; username: string; role: Role; org_unit_id: string; scopes: string[] }>(
    `UPDATE api_tokens t SET last_used_at = now()
       FROM users u
      WHERE t.token_hash = $1 AND u.id = t.user_id AND t.revoked_at IS NULL AND t.expires_at > now() AND u.disabled_at IS NULL
      RETURNING t.id, t.user_id, u.username, u.role, u.org_unit_id, t.scopes`,
    [tokenHash(token)],
  );
  const r = rows[0];
  return r ? { id: r.id, userId: r.user_id, username: r.username, role: r.role, orgUnitId: r.org_unit_id, scopes: r.scopes } : null;
}
