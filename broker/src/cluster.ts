import aedesPersistenceRedis from 'aedes-persistence-redis';
import { Redis } from 'ioredis';
import mqemitterRedis from 'mqemitter-redis';
import type { Aedes, AedesOptions } from 'aedes';
import { createClusterClientIds, type ClusterClientIds } from './cluster-client-ids.js';
import { coalesceAddSubscriptions } from './coalesce-add-subscriptions.js';
import { clearOutgoingOnce } from './redis-clear-once.js';
import { BrokerError } from './errors.js';
import type { HookContext } from './hooks/context.js';
import type { Logger } from './logger.js';

type Authenticate = NonNullable<AedesOptions['authenticate']>;

/** How long close() waits for Redis to take the last writes (liveness key, persistence) before dropping the connections. */
const CLOSE_GRACE_MS = 2_000;

/** Share subscriptions, retained messages, persistent sessions and wills with every broker process on one Redis. */
export interface BrokerRedisOptions {
  /**
   * `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS. Give each Vigil deployment its own
   * Redis: the keys carry no prefix, and pub/sub channels are shared across db numbers.
   */
  url: string;
  /** How long start-up waits for Redis before failing, in ms. Default 10 000. */
  connectTimeoutMs?: number;
  /**
   * Most queued messages a persistent session is sent on CONNECT; the rest stay queued until its next
   * CONNECT (aedes-persistence-redis reads the queue once per CONNECT). Default: all of them, as with
   * Aedes' in-memory persistence (the library's own default of 1 000 would hold back an ingest backlog).
   */
  maxSessionDeliveryMessages?: number;
}

/** What Aedes is built with (`mq`, `persistence`), and how to let go of Redis after `aedes.close()`. */
export interface ClusterBackend {
  /** mqemitter-redis: a publish on any process reaches subscribers on every process. */
  readonly mq: unknown;
  /** aedes-persistence-redis: subscriptions, retained messages, queued QoS 1/2 messages, wills. */
  readonly persistence: unknown;
  /** Wrap authenticate so a client id held by another account on another broker process is refused (CONNACK 2). */
  guardAuthenticate(inner: Authenticate, ctx: HookContext): Authenticate;
  /**
   * Record the client ids held here; log the errors Aedes raises when Redis fails (a will sweep, an offline
   * enqueue; that message is lost, Aedes has already sent its PUBACK) instead of letting an unhandled
   * 'error' event end the process; and let `aedes.close()` finish while Redis is away.
   */
  watch(aedes: Aedes, ctx: HookContext): void;
  /** Destroy the persistence and close every Redis connection; call after `aedes.close()`, which closes `mq`. */
  close(): Promise<void>;
}

/** The URL with its password masked, for logs and errors. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * Open the three Redis connections Aedes needs to run as one of several processes
 * (publish, subscribe, persistence), wait until Redis answers, and build the
 * mqemitter and the persistence on them. Fails with VIGIL_BROKER_REDIS when Redis
 * does not answer within `connectTimeoutMs` or refuses a write.
 */
export async function createClusterBackend(opts: BrokerRedisOptions, log: Logger): Promise<ClusterBackend> {
  const where = redactRedisUrl(opts.url);
  const conns = (['pub', 'sub', 'store'] as const).map((role) => connect(opts.url, role, where, log));
  const [pubConn, subConn, storeConn] = conns as [Redis, Redis, Redis];
  let clientIds: ClusterClientIds;
  try {
    await Promise.all(conns.map((c) => ready(c, opts.connectTimeoutMs ?? 10_000)));
    clientIds = await createClusterClientIds(storeConn, log);
  } catch (err) {
    conns.forEach((c) => c.disconnect());
    const why = (err as Error).message;
    throw new BrokerError('VIGIL_BROKER_REDIS', `Redis at ${where} is not usable: ${why} / Redis（${where}）不可用：${why}`, { cause: err });
  }
  // [MQTT-4.7.1-3]: `sport/#` also matches `sport`; Aedes' own default mqemitter sets the same
  const mq = mqemitterRedis({ pubConn, subConn, matchEmptyLevels: true, concurrency: 100 });
  // mqemitter-redis re-emits connection errors on `state`; an EventEmitter without an error listener would throw
  (mq as unknown as { state: NodeJS.EventEmitter }).state.on('error', () => undefined);
  // aedes.close() ends with mq.close(), which QUITs and waits for 'end'; ioredis never emits 'end' for a
  // connection that is retrying (disconnect() only cancels the retry), so with Redis away, drop and finish
  const closeMq = mq.close.bind(mq);
  mq.close = (cb) => {
    if (pubConn.status === 'ready' && subConn.status === 'ready') return closeMq(cb);
    pubConn.disconnect();
    subConn.disconnect();
    cb();
  };
  // one SUBSCRIBE one write (coalesce-add-subscriptions.ts); a queued message counted down once per client (redis-clear-once.ts)
  const persistence = clearOutgoingOnce(
    coalesceAddSubscriptions(aedesPersistenceRedis({ conn: storeConn, maxSessionDelivery: opts.maxSessionDeliveryMessages ?? Number.MAX_SAFE_INTEGER })),
    storeConn,
  );
  log.info({ redis: where }, 'sharing broker state through Redis / 通过 Redis 共享消息代理状态');
  let closing: Promise<void> | undefined;
  return {
    mq,
    persistence,
    guardAuthenticate: (inner, ctx) => clientIds.guard(inner, ctx),
    watch: (aedes, ctx) => {
      clientIds.watch(aedes, ctx);
      // Aedes emits 'error' (from EventEmitter) though its typings list only client events
      (aedes as NodeJS.EventEmitter).on('error', (err: Error) => log.error({ redis: where, err: err.message }, 'broker state in Redis unavailable / Redis 中的消息代理状态不可用'));
    },
    close: () =>
      (closing ??= (async () => {
        const graceful = (async () => {
          await clientIds.stop();
          await persistence.destroy();
        })().catch((err: Error) => log.debug({ err: err.message }, 'redis persistence destroy failed / Redis 持久化关闭失败'));
        // with Redis away these commands wait in ioredis' queue for ever; give up on them after a while
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([graceful, new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS)))]);
        clearTimeout(timer);
        conns.forEach((c) => c.disconnect());
      })()),
  };
}

/** One connection, logging when Redis goes away and when it is back (not every retry). */
function connect(url: string, role: string, where: string, log: Logger): Redis {
  // auto-pipelining on pub as mqemitter-redis sets on connections it opens; while Redis is away, commands wait in ioredis' queue
  const conn = new Redis(url, { connectionName: `vigil-broker-${role}`, enableAutoPipelining: role === 'pub' });
  let down = false;
  conn.on('error', (err: Error) => {
    if (down) return;
    down = true;
    log.warn({ redis: where, role, err: err.message }, 'Redis connection lost, retrying / Redis 连接断开，正在重试');
  });
  conn.on('ready', () => {
    if (!down) return;
    down = false;
    log.info({ redis: where, role }, 'Redis connection back / Redis 连接已恢复');
  });
  return conn;
}

/** Resolve when the connection is ready; reject with the last connection error after `timeoutMs`. */
function ready(conn: Redis, timeoutMs: number): Promise<void> {
  if (conn.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    let last: Error | undefined;
    const onError = (err: Error) => (last = err);
    const onReady = () => {
      clearTimeout(timer);
      conn.off('error', onError);
      resolve();
    };
    const timer = setTimeout(() => {
      conn.off('ready', onReady);
      conn.off('error', onError);
      reject(last ?? new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    conn.on('error', onError);
    conn.once('ready', onReady);
  });
}
