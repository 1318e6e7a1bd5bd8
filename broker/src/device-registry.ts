import type { DeviceRecord, Queryable } from './registry.js';
import { findDevice, gatewayChildren } from './registry.js';

/** A cached view of the device registry for the CONNECT path. */
export interface DeviceRegistry {
  /** The device, or null if unknown; at most `ttlMs` old. */
  findDevice(id: string): Promise<DeviceRecord | null>;
  /** Drop a cached entry (e.g. when the device is known to be revoked). */
  forget(id: string): void;
  /** The devices an edge agent speaks for, read now (not cached). */
  gatewayChildren(id: string): Promise<string[]>;
}

/** Cache lifetime upper bound: a revocation must take effect within seconds. */
export const MAX_CACHE_TTL_MS = 10_000;
const MAX_ENTRIES = 10_000;

/**
 * Cache registry lookups (hits and misses) for `ttlMs`, so a reconnect storm
 * does not queue hundreds of queries on the single embedded-DB connection;
 * concurrent lookups of one id share one query.
 */
export function createDeviceRegistry(pool: Queryable, ttlMs = 5_000, now: () => number = Date.now): DeviceRegistry {
  const ttl = Math.min(Math.max(ttlMs, 0), MAX_CACHE_TTL_MS);
  const cache = new Map<string, { value: DeviceRecord | null; expiresAt: number }>();
  const pending = new Map<string, Promise<DeviceRecord | null>>();

  function sweep(t: number): void {
    if (cache.size < MAX_ENTRIES) return;
    for (const [id, e] of cache) if (e.expiresAt <= t) cache.delete(id);
    // still full of live entries (a flood of unknown ids): start over rather than grow without bound
    if (cache.size >= MAX_ENTRIES) cache.clear();
  }

  return {
    async findDevice(id) {
      const t = now();
      const hit = cache.get(id);
      if (hit !== undefined && hit.expiresAt > t) return hit.value;
      const inflight = pending.get(id);
      if (inflight !== undefined) return inflight;
      const lookup = findDevice(pool, id)
        .then((value) => {
          if (ttl > 0) {
            sweep(now());
            cache.set(id, { value, expiresAt: now() + ttl });
          }
          return value;
        })
        .finally(() => pending.delete(id));
      pending.set(id, lookup);
      return lookup;
    },
    forget(id) {
      cache.delete(id);
    },
    gatewayChildren: (id) => gatewayChildren(pool, id),
  };
}
