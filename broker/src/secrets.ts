import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { BrokerError } from './errors.js';

/**
 * scrypt cost: N=2^15, r=8, p=1 needs 128·N·r = 32 MiB per hash, which makes
 * guessing a stolen hash on a GPU expensive (RFC 7914 §2; OWASP password
 * storage cheat sheet). Node refuses more than 32 MiB by default, so maxmem
 * is raised with a little headroom.
 */
const DEFAULT_COST = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
const PREFIX = 'scrypt';
/** Refuse stored parameters that would let a tampered row exhaust memory or CPU. */
const MAX_LOG2_N = 20;

function maxmemFor(N: number, r: number, p: number): number {
  return 128 * N * r * p + 16 * 1024 * 1024;
}

function derive(secret: string, salt: Buffer, keyBytes: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret.normalize('NFC'), salt, keyBytes, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** Hash a device secret for storage as `scrypt$N$r$p$<salt b64>$<hash b64>`. */
export async function hashSecret(secret: string): Promise<string> {
  const { N, r, p } = DEFAULT_COST;
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(secret, salt, KEY_BYTES, { N, r, p, maxmem: maxmemFor(N, r, p) });
  return [PREFIX, N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
}

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function parseHash(encoded: string): ParsedHash {
  const parts = encoded.split('$');
  const [prefix, n, r, p, salt, key] = parts;
  const bad = (why: string) => new BrokerError('VIGIL_BROKER_SECRET', `malformed secret hash: ${why} / 密钥哈希格式错误：${why}`);
  if (parts.length !== 6 || prefix !== PREFIX) throw bad('expected scrypt$N$r$p$salt$hash');
  const nums = [n, r, p].map((s) => (/^\d{1,8}$/.test(s ?? '') ? Number(s) : Number.NaN));
  const [N, R, P] = nums as [number, number, number];
  if (!Number.isInteger(N) || N < 2 || (N & (N - 1)) !== 0 || N > 2 ** MAX_LOG2_N) throw bad('N must be a power of two up to 2^20');
  if (!Number.isInteger(R) || R < 1 || R > 32 || !Number.isInteger(P) || P < 1 || P > 16) throw bad('r or p out of range');
  const saltBuf = Buffer.from(salt ?? '', 'base64');
  const keyBuf = Buffer.from(key ?? '', 'base64');
  if (saltBuf.length < 8 || keyBuf.length < 16 || keyBuf.length > 64) throw bad('salt or hash too short');
  return { N, r: R, p: P, salt: saltBuf, key: keyBuf };
}

/**
 * True if `secret` matches `encoded` (made by hashSecret). Compares in constant
 * time so response timing does not reveal how many bytes matched. A malformed
 * hash throws a BrokerError (VIGIL_BROKER_SECRET): it is a registry fault, not a wrong secret.
 */
export async function verifySecret(secret: string, encoded: string): Promise<boolean> {
  const { N, r, p, salt, key } = parseHash(encoded);
  const candidate = await derive(secret, salt, key.length, { N, r, p, maxmem: maxmemFor(N, r, p) });
  return timingSafeEqual(candidate, key);
}

/** A fresh random device secret: 32 bytes, base64url (43 characters). */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}
