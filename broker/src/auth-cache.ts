import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Options of createAuthCache. */
export interface AuthCacheOptions {
  /** How long a credential stays trusted after a full scrypt check, in ms; 0 disables the cache. Default 300 000 (5 min). */
  ttlMs?: number;
  /** Most devices remembered; the oldest are dropped first. Default 100 000. */
  maxEntries?: number;
  /** Clock in ms, for tests. Default `Date.now`. */
  now?: () => number;
}

/** Remembers recently verified device credentials so a reconnect does not pay for scrypt again. */
export interface AuthCache {
  /**
   * True if `secret` matches `storedHash`: from the cache when this exact
   * (id, secret, stored hash) passed `slowVerify` within the TTL, else by `slowVerify`.
   */
  verify(id: string, secret: string, storedHash: string, slowVerify: (secret: string, storedHash: string) => Promise<boolean>): Promise<boolean>;
  /** Drop what is remembered for a device (e.g. on revocation). */
  forget(id: string): void;
  /** Devices remembered now. */
  readonly size: number;
}

/**
 * A verified-credential cache in front of scrypt. A cold check costs ~80 ms of
 * CPU (N=2^15, see secrets.ts), so 10 000 devices reconnecting after a network
 * blip would queue for minutes; with the cache they cost an HMAC each.
 *
 * - Entries are an HMAC-SHA256 of (id, secret, stored hash) under a key made at
 *   start-up and never stored, so the cache holds no secret and nothing that can
 *   be checked offline without the process memory.
 * - The stored hash is part of the MAC, so re-registering a device with a new
 *   secret (rotation) makes the old entry miss; revocation is checked by the
 *   caller on every connect and calls `forget`.
 * - Only successes are cached: every wrong guess still pays for a full scrypt.
 * - Expiry counts from the last full check and is not extended by hits.
 */
export function createAuthCache(opts: AuthCacheOptions = {}): AuthCache {
  const ttlMs = Math.max(opts.ttlMs ?? 300_000, 0);
  const maxEntries = Math.max(opts.maxEntries ?? 100_000, 1);
  const now = opts.now ?? Date.now;
  const key = randomBytes(32);
  const entries = new Map<string, { mac: Buffer; expiresAt: number }>();

  const macOf = (id: string, secret: string, storedHash: string): Buffer => {
    const h = createHmac('sha256', key);
    // length-prefixed, so no two different triples share an input
    for (const part of [id, secret.normalize('NFC'), storedHash]) {
      const bytes = Buffer.from(part, 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32BE(bytes.length);
      h.update(len).update(bytes);
    }
    return h.digest();
  };

  return {
    async verify(id, secret, storedHash, slowVerify) {
      if (ttlMs === 0) return slowVerify(secret, storedHash);
      const mac = macOf(id, secret, storedHash);
      const hit = entries.get(id);
      if (hit !== undefined && hit.expiresAt > now() && timingSafeEqual(hit.mac, mac)) return true;
      const ok = await slowVerify(secret, storedHash);
      if (!ok) return false;
      const t = now();
      entries.delete(id);
      entries.set(id, { mac, expiresAt: t + ttlMs });
      // Map keeps insertion order and every entry lives ttlMs, so the first ones expire first
      for (const [oldId, e] of entries) {
        if (entries.size <= maxEntries && e.expiresAt > t) break;
        entries.delete(oldId);
      }
      return true;
    },
    forget(id) {
      entries.delete(id);
    },
    get size() {
      return entries.size;
    },
  };
}
