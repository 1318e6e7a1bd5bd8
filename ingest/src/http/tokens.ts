import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';
import { IngestError } from '../errors.js';

/** Who a line-protocol token writes as: the registered device and its site. */
export interface LpTokenIdentity {
  tokenId: string;
  deviceId: string;
  siteId: string;
}

/** One row of `lp_tokens`, without the hash. */
export interface LpTokenInfo extends LpTokenIdentity {
  createdAt: Date;
  revokedAt: Date | null;
}

// A prefix makes a leaked token recognisable (secret scanners, logs); 32 random bytes follow.
const TOKEN_PREFIX = 'vlp_';

/** SHA-256 of a token, hex: what `lp_tokens.token_hash` holds (see migration 009 for why a fast hash). */
export function hashLpToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Create a token for a registered, not revoked device; the site is the device's.
 * The token is returned once and only its hash is stored.
 */
export async function createLpToken(pool: pg.Pool, deviceId: string): Promise<LpTokenIdentity & { token: string }> {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const res = await pool.query<{ id: string; site_id: string }>(
    `INSERT INTO lp_tokens (token_hash, device_id, site_id)
       SELECT $1, id, site_id FROM devices WHERE id = $2 AND revoked_at IS NULL
     RETURNING id::text, site_id`,
    [hashLpToken(token), deviceId],
  );
  const row = res.rows[0];
  if (!row) throw new IngestError('VIGIL_INGEST_LP_TOKEN', `device ${JSON.stringify(deviceId)} is not registered or is revoked`);
  return { token, tokenId: row.id, deviceId, siteId: row.site_id };
}

/** Revoke one token by id, or every token of a device; returns how many were revoked now. */
export async function revokeLpTokens(pool: pg.Pool, which: { tokenId: string } | { deviceId: string }): Promise<number> {
  const [column, value] = 'tokenId' in which ? ['id::text', which.tokenId] : ['device_id', which.deviceId];
  const res = await pool.query(`UPDATE lp_tokens SET revoked_at = now() WHERE ${column} = $1 AND revoked_at IS NULL`, [value]);
  return res.rowCount ?? 0;
}

/** Every token (optionally of one device), oldest first. */
export async function listLpTokens(pool: pg.Pool, deviceId?: string): Promise<LpTokenInfo[]> {
  const res = await pool.query<{ id: string; device_id: string; site_id: string; created_at: Date; revoked_at: Date | null }>(
    `SELECT id::text, device_id, site_id, created_at, revoked_at FROM lp_tokens
      WHERE $1::text IS NULL OR device_id = $1 ORDER BY id`,
    [deviceId ?? null],
  );
  return res.rows.map((r) => ({ tokenId: r.id, deviceId: r.device_id, siteId: r.site_id, createdAt: r.created_at, revokedAt: r.revoked_at }));
}

/** The identity a token writes as, or undefined if it is unknown, revoked, or its device is revoked. */
export function findLpToken(pool: pg.Pool, token: string): Promise<LpTokenIdentity | undefined> {
  return findByHash(pool, hashLpToken(token));
}

async function findByHash(pool: pg.Pool, tokenHash: string): Promise<LpTokenIdentity | undefined> {
  const res = await pool.query<{ id: string; device_id: string; site_id: string }>(
    `SELECT t.id::text, t.device_id, t.site_id FROM lp_tokens t JOIN devices d ON d.id = t.device_id
      WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND d.revoked_at IS NULL`,
    [tokenHash],
  );
  const row = res.rows[0];
  return row && { tokenId: row.id, deviceId: row.device_id, siteId: row.site_id };
}

/** Options for `lpTokenCache`. */
export interface LpTokenCacheOptions {
  /** How long a found token is trusted without asking the database again, in ms; a revocation applies within it. Default 5000. */
  ttlMs?: number;
  /** Most tokens remembered. Default 10 000. */
  maxEntries?: number;
  /** The clock, for tests. */
  now?(): number;
}

/**
 * `findLpToken` behind a short cache of found tokens, so each write does not
 * take the single embedded database connection for a lookup. Unknown tokens
 * are not cached (a guessed token costs one indexed lookup).
 */
export function lpTokenCache(pool: pg.Pool, opts: LpTokenCacheOptions = {}): (token: string) => Promise<LpTokenIdentity | undefined> {
  const ttlMs = opts.ttlMs ?? 5_000;
  const maxEntries = opts.maxEntries ?? 10_000;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { identity: LpTokenIdentity; expiresAt: number }>();
  return async (token) => {
    const key = hashLpToken(token);
    const hit = cache.get(key);
    if (hit && hit.expiresAt > now()) return hit.identity;
    cache.delete(key);
    const identity = await findByHash(pool, key);
    if (identity) {
      if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!);
      cache.set(key, { identity, expiresAt: now() + ttlMs });
    }
    return identity;
  };
}
