import { createHash, randomBytes } from 'node:crypto';

/** 32 random bytes, base64url: a session cookie or the secret part of an API token. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * SHA-256 (hex) of a token. Tokens are 256-bit random, so a fast hash is enough
 * (nobody can guess one) and keeps the lookup an index probe; the table never
 * holds a usable token.
 */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
