// aedes-persistence-redis ships no types; only what cluster.ts uses is declared.
declare module 'aedes-persistence-redis' {
  import type { Redis } from 'ioredis';

  /** The persistence Aedes is handed; Aedes calls its methods, Vigil only destroys it. */
  interface RedisPersistence {
    setup(broker: unknown): Promise<void>;
    destroy(): Promise<void>;
  }

  interface RedisPersistenceOptions {
    /** A connection made by the caller (otherwise it opens its own from ioredis options). */
    conn?: Redis;
    /** Most queued messages delivered to a persistent session on CONNECT. Default 1000. */
    maxSessionDelivery?: number;
    /** Seconds a queued message may wait; 0 keeps it until delivered. */
    packetTTL?: (packet: unknown) => number;
  }

  export default function aedesPersistenceRedis(opts?: RedisPersistenceOptions): RedisPersistence;
}
