import { randomUUID } from 'node:crypto';
import type { Aedes, AedesOptions, AuthenticateError, Client } from 'aedes';
import type { Redis } from 'ioredis';
import { principalName } from './acl.js';
import { AuthError } from './errors.js';
import type { HookContext } from './hooks/context.js';
import { recordRefusal } from './hooks/context.js';
import type { Logger } from './logger.js';

type Authenticate = NonNullable<AedesOptions['authenticate']>;

/** Hash per client id: broker process id -> the account holding that id on that process. */
const HOLDERS = 'vigil:client-id:';
/** Present while a broker process runs; entries of a process whose key expired are stale. */
const ALIVE = 'vigil:broker-alive:';
const ALIVE_TTL_S = 30;
const RENEW_MS = 10_000;

/** Who holds each connected client id on the other broker processes. */
export interface ClusterClientIds {
  /** Wrap authenticate: refuse (CONNACK 2) a client id held by another account on another live process. */
  guard(inner: Authenticate, ctx: HookContext): Authenticate;
  /** Record the ids this process's clients hold, as they connect and leave. */
  watch(aedes: Aedes, ctx: HookContext): void;
  /** Stop renewing, and mark this process gone so its entries no longer count. */
  stop(): Promise<void>;
}

/**
 * The cross-process half of authenticate's client-id rule. Aedes closes an older
 * connection with the same client id on every process [MQTT-3.1.4-2] (it announces
 * each CONNECT on `$SYS/<broker>/new/clients`), but each process only knows its own
 * connections; without this, a device could evict a service connected through
 * another process and take over its persistent session.
 */
export async function createClusterClientIds(redis: Redis, log: Logger): Promise<ClusterClientIds> {
  const self = randomUUID();
  const renew = () => redis.set(`${ALIVE}${self}`, '1', 'EX', ALIVE_TTL_S);
  await renew();
  const timer = setInterval(() => {
    renew().catch((err: Error) => log.warn({ err: err.message }, 'cannot renew broker liveness in Redis / 无法在 Redis 中续期存活标记'));
  }, RENEW_MS);
  timer.unref();

  /** The account holding `clientId` on another live process, other than `name`. */
  async function heldElsewhere(clientId: string, name: string): Promise<string | undefined> {
    const holders = await redis.hgetall(`${HOLDERS}${clientId}`);
    for (const [owner, holder] of Object.entries(holders)) {
      if (owner === self || holder === name) continue;
      if ((await redis.exists(`${ALIVE}${owner}`)) === 1) return holder;
      // a process that ended without cleaning up
      await redis.hdel(`${HOLDERS}${clientId}`, owner);
    }
    return undefined;
  }

  return {
    guard: (inner, ctx) => (client, username, password, done) =>
      inner(client, username, password, (err, ok) => {
        const principal = ctx.principals.get(client);
        if (err !== null || ok !== true || principal === undefined) return done(err, ok);
        const name = principalName(principal);
        const refuse = (authErr: AuthError) => {
          recordRefusal(ctx, 'auth', { client, principal, rule: authErr.rule });
          done(authErr as unknown as AuthenticateError, false);
        };
        heldElsewhere(client.id, name).then(
          (holder) => {
            if (holder === undefined) return done(null, true);
            ctx.log.warn({ clientId: client.id, device: name, holder }, 'client id held through another broker process / 客户端标识已在其他代理进程上使用');
            refuse(new AuthError(2, 'client-id-in-use', 'client id in use by another account / 客户端标识已被其他账户使用'));
          },
          (lookupErr: Error) => {
            ctx.log.error({ err: lookupErr.message, clientId: client.id }, 'client id lookup in Redis failed / 在 Redis 中查询客户端标识失败');
            refuse(new AuthError(3, 'cluster-state-unavailable', 'server unavailable / 服务器不可用'));
          },
        );
      }),
    watch(aedes, ctx) {
      const local = new Map<string, Client>();
      const report = (err: Error) => log.warn({ err: err.message }, 'client id record in Redis failed / 在 Redis 中记录客户端标识失败');
      aedes.on('clientReady', (client) => {
        const principal = ctx.principals.get(client);
        if (principal === undefined) return;
        local.set(client.id, client);
        redis.hset(`${HOLDERS}${client.id}`, self, principalName(principal)).catch(report);
      });
      aedes.on('clientDisconnect', (client) => {
        // a takeover on this process disconnects the old client after the new one is ready
        if (local.get(client.id) !== client) return;
        local.delete(client.id);
        redis.hdel(`${HOLDERS}${client.id}`, self).catch(report);
      });
    },
    async stop() {
      clearInterval(timer);
      await redis.del(`${ALIVE}${self}`).catch(() => undefined);
    },
  };
}
