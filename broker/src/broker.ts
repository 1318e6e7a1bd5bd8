import { createServer, type AddressInfo } from 'node:net';
import { Aedes, type Client } from 'aedes';
import type pg from 'pg';
import { principalName } from './acl.js';
import { createDeviceRegistry } from './device-registry.js';
import { createLogger, type Logger } from './logger.js';
import { createCounters, type BrokerMetrics } from './metrics.js';
import type { ServiceAccount } from './service-accounts.js';
import { AclError, AuthError } from './errors.js';
import { createAuthenticate } from './hooks/authenticate.js';
import { createAuthorizeForward } from './hooks/authorize-forward.js';
import { createAuthorizePublish } from './hooks/authorize-publish.js';
import { createAuthorizeSubscribe } from './hooks/authorize-subscribe.js';
import type { HookContext } from './hooks/context.js';
import { createPreConnect } from './hooks/pre-connect.js';
import { startRevocationWatch } from './revocation-watch.js';

/** Options of startBroker. */
export interface BrokerOptions {
  /** TCP port to listen on; 0 picks a free one (see the returned `port`). */
  port: number;
  /** Interface to bind. Default `127.0.0.1`. */
  host?: string;
  /** Pool onto the database holding the `devices` table (made by `createPool`, max 1 connection). */
  pool: pg.Pool;
  /** Service accounts allowed to log in (see serviceAccounts()). */
  services: readonly ServiceAccount[];
  /** Let clients without a username in with full rights except `$SYS`. Development only. Default false. */
  allowAnonymous?: boolean;
  /** How long a registry lookup may be reused, in ms; capped at 10 000. Default 5 000. */
  registryCacheTtlMs?: number;
  /** How often to look for newly revoked devices and disconnect them, in ms; 0 disables. Default 5 000. */
  revocationPollMs?: number;
  logger?: Logger;
}

/** A running broker. */
export interface RunningBroker {
  /** The port actually bound. */
  port: number;
  /** Disconnect every client and stop listening. */
  close(): Promise<void>;
  /** Current connection count and refusal counters. */
  metrics(): BrokerMetrics;
}

/** Start the Vigil MQTT broker: Aedes on a TCP server, with registry auth and topic ACL hooks. */
export async function startBroker(opts: BrokerOptions): Promise<RunningBroker> {
  const log = opts.logger ?? createLogger('broker');
  const allowAnonymous = opts.allowAnonymous ?? false;
  if (allowAnonymous) {
    log.warn(
      { allowAnonymous },
      '!!! ANONYMOUS MQTT ACCESS IS ENABLED: any client without a username may publish and subscribe to every Vigil topic. Never use this in production. !!! / !!! 已启用匿名 MQTT 访问：无用户名的客户端可发布和订阅所有 Vigil 主题，切勿用于生产环境 !!!',
    );
  }
  const registry = createDeviceRegistry(opts.pool, opts.registryCacheTtlMs ?? 5_000);
  const ctx: HookContext = {
    registry,
    services: new Map(opts.services.map((a) => [a.username, a])),
    allowAnonymous,
    principals: new WeakMap(),
    willTopics: new WeakMap(),
    clientIds: new Map(),
    counters: createCounters(),
    log,
  };
  const aedes = await Aedes.createBroker({
    preConnect: createPreConnect(ctx),
    authenticate: createAuthenticate(ctx),
    authorizePublish: createAuthorizePublish(ctx),
    authorizeSubscribe: createAuthorizeSubscribe(ctx),
    authorizeForward: createAuthorizeForward(ctx),
    connectTimeout: 10_000,
    drainTimeout: 30_000,
    maxTopicLevels: 16,
  });
  const devicesOnline = new Map<string, Set<Client>>();
  trackClients(aedes, ctx, devicesOnline);

  const server = createServer(aedes.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const watch = startRevocationWatch({ pool: opts.pool, registry, devicesOnline, intervalMs: opts.revocationPollMs ?? 5_000, log });
  log.info({ port, host: opts.host ?? '127.0.0.1', services: opts.services.map((s) => s.username) }, 'broker listening / 消息代理已启动');

  let closing: Promise<void> | undefined;
  return {
    port,
    metrics: () => ({ connected: aedes.connectedClients, ...ctx.counters }),
    close: () =>
      (closing ??= (async () => {
        await watch.stop();
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
        await serverClosed;
        log.info('broker closed / 消息代理已关闭');
      })()),
  };
}

/** Keep the client-id owners and the online devices up to date, and log connection errors. */
function trackClients(aedes: Aedes, ctx: HookContext, devicesOnline: Map<string, Set<Client>>): void {
  aedes.on('clientReady', (client) => {
    const principal = ctx.principals.get(client);
    if (principal === undefined) return;
    ctx.clientIds.set(client.id, { client, name: principalName(principal) });
    if (principal.kind === 'device') {
      const set = devicesOnline.get(principal.id) ?? new Set<Client>();
      set.add(client);
      devicesOnline.set(principal.id, set);
    }
  });
  aedes.on('clientDisconnect', (client) => {
    if (ctx.clientIds.get(client.id)?.client === client) ctx.clientIds.delete(client.id);
    const principal = ctx.principals.get(client);
    if (principal?.kind === 'device') {
      const set = devicesOnline.get(principal.id);
      set?.delete(client);
      if (set?.size === 0) devicesOnline.delete(principal.id);
    }
  });
  aedes.on('clientError', (client, err) => {
    // ACL refusals were logged where they were decided
    if (!(err instanceof AclError)) ctx.log.debug({ clientId: client.id, err: err.message }, 'client error / 客户端错误');
  });
  aedes.on('connectionError', (client, err) => {
    if (!(err instanceof AuthError)) ctx.log.debug({ clientId: client.id, err: err.message }, 'connection error / 连接错误');
  });
}
