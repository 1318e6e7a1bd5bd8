import { createServer as createHttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type Client } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type pg from 'pg';
import { principalName } from './acl.js';
import { createDeviceRegistry } from './device-registry.js';
import { createLogger, type Logger } from './logger.js';
import { createCounters, type BrokerMetrics } from './metrics.js';
import type { ServiceAccount } from './service-accounts.js';
import { AclError, AuthError, BrokerError, LimitError } from './errors.js';
import { createAuthenticate } from './hooks/authenticate.js';
import { createAuthorizeForward } from './hooks/authorize-forward.js';
import { createAuthorizePublish } from './hooks/authorize-publish.js';
import { createAuthorizeSubscribe } from './hooks/authorize-subscribe.js';
import type { HookContext } from './hooks/context.js';
import { createPreConnect } from './hooks/pre-connect.js';
import { startRevocationWatch } from './revocation-watch.js';
import { indexOutgoing } from './outgoing-index.js';
import { createLimitGuard } from './limits/guard.js';
import type { BrokerLimits } from './limits/options.js';
import { startMetricsServer, type MetricsServer } from './metrics-http.js';
import { createBrokerPrometheus } from './prometheus.js';
import { exactDedupe } from './exact-dedupe.js';
import { trackPresence } from './presence.js';
import { markRedeliveries } from './redelivery.js';
import memoryPersistenceModule from 'aedes-persistence';
import { createClusterBackend, type BrokerRedisOptions } from './cluster.js';
import { coalesceWrites } from './coalesce-writes.js';
import { trampolineMq } from './mq-trampoline.js';
import mqemitter from 'mqemitter';
import { ackAfterQueued } from './ack-after-queued.js';
import { openSqlitePersistence } from './persistence-sqlite.js';
// aedes-persistence is CommonJS: at run time the default import is its factory (as Aedes itself imports it);
// its typings describe an ES default export instead.
const memoryPersistence = memoryPersistenceModule as unknown as () => object;

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
  /** How often to look for revoked devices and rotated secrets and disconnect their sessions, in ms; 0 disables. Default 1 000. */
  revocationPollMs?: number;
  /** Also listen for MQTT over TLS (mqtts). Clients may present a certificate issued by `caPem` (see pki.ts) instead of a password. */
  tls?: BrokerTlsOptions;
  /** Also listen for MQTT over WebSocket (ws://); same authentication and ACL as TCP. */
  ws?: BrokerWsOptions;
  /**
   * Run as one of several broker processes sharing subscriptions, retained messages and persistent
   * sessions through Redis (see docs/scaling.md). The registry cache and the revocation watch stay per
   * process: each process disconnects its own clients.
   */
  redis?: BrokerRedisOptions;
  /**
   * Where a single broker keeps persistent sessions (subscriptions, queued QoS 1/2 messages), retained
   * messages and unfinished QoS 2 packets. `memory` (the default) loses them when the process dies;
   * `sqlite` keeps them in a file, so a killed broker restarts with them (docs/broker-persistence.md).
   * Not with `redis`, which keeps them in Redis.
   */
  persistence?: BrokerPersistence;
  /** Serve Prometheus `GET /metrics` and `GET /healthz` over HTTP on this port; 0 picks a free one (see the returned `metricsPort`). Default: off. */
  metricsPort?: number;
  /** Interface the metrics listener binds. Default `127.0.0.1`, whatever `host` is. */
  metricsHost?: string;
  /** Size and rate limits; a client over one is disconnected, logged and counted in `limitDisconnects`. Missing ones take their defaults (see BrokerLimits). */
  limits?: Partial<BrokerLimits>;
  logger?: Logger;
}

/** Where a single broker keeps its session state (see BrokerOptions.persistence). */
export type BrokerPersistence = { kind: 'memory' } | { kind: 'sqlite'; file: string };

/** The MQTT-over-TLS listener. */
export interface BrokerTlsOptions {
  /** TLS port; 0 picks a free one (see the returned `tlsPort`). */
  port: number;
  /** Interface to bind. Default: the broker's `host`. */
  host?: string;
  /** The server certificate (PEM, may include intermediates). */
  certPem: string;
  /** The server certificate's private key (PEM). */
  keyPem: string;
  /** The site CA(s) client certificates must verify against (PEM). */
  caPem: string;
}

/** The MQTT-over-WebSocket listener. */
export interface BrokerWsOptions {
  /** HTTP port for the WebSocket upgrade; 0 picks a free one (see the returned `wsPort`). */
  port: number;
  /** Interface to bind. Default: the broker's `host`. */
  host?: string;
}

/** A running broker. */
export interface RunningBroker {
  /** The port actually bound. */
  port: number;
  /** The TLS port actually bound, when `tls` was given. */
  tlsPort?: number;
  /** The WebSocket port actually bound, when `ws` was given. */
  wsPort?: number;
  /** The metrics HTTP port actually bound, when `metricsPort` was given. */
  metricsPort?: number;
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
  const prom = createBrokerPrometheus();
  const registry = createDeviceRegistry(opts.pool, opts.registryCacheTtlMs ?? 5_000);
  const ctx: HookContext = {
    registry,
    services: new Map(opts.services.map((a) => [a.username, a])),
    allowAnonymous,
    principals: new WeakMap(),
    secretHashes: new WeakMap(),
    willTopics: new WeakMap(),
    clientIds: new Map(),
    counters: createCounters(),
    onRefusal: prom.onRefusal,
    log,
  };
  const guard = createLimitGuard({ limits: opts.limits, counters: ctx.counters, log });
  if (opts.redis !== undefined && opts.persistence !== undefined && opts.persistence.kind !== 'memory') {
    throw new BrokerError('VIGIL_BROKER_PERSISTENCE', `persistence ${opts.persistence.kind} cannot be combined with redis: a cluster keeps sessions in Redis / 集群模式下会话保存在 Redis 中，不能同时使用 ${opts.persistence.kind}`);
  }
  const durable = opts.persistence?.kind === 'sqlite' ? openSqlitePersistence(opts.persistence.file) : undefined;
  if (durable !== undefined) log.info({ file: opts.persistence?.kind === 'sqlite' ? opts.persistence.file : undefined }, 'sessions kept on disk / 会话保存在磁盘上');
  const cluster = opts.redis !== undefined ? await createClusterBackend(opts.redis, log) : undefined;
  const acks = ackAfterQueued(guard.authorizePublish(createAuthorizePublish(ctx)));
  // a message delivered once per client by its identity, not dropped for being overtaken (exact-dedupe.ts)
  const dedupe = exactDedupe();
  const aedes = await Aedes.createBroker({
    // Aedes' own bus (concurrency 100, [MQTT-4.7.1-3] empty levels) or Redis', drained on a flat stack (mq-trampoline.ts)
    mq: trampolineMq(cluster?.mq ?? mqemitter({ concurrency: 100, matchEmptyLevels: true })),
    persistence: markRedeliveries(cluster?.persistence ?? durable?.persistence ?? indexOutgoing(memoryPersistence())),
    preConnect: dedupe.preConnect(guard.preConnect(createPreConnect(ctx))),
    authenticate: cluster !== undefined ? cluster.guardAuthenticate(createAuthenticate(ctx), ctx) : createAuthenticate(ctx),
    authorizePublish: acks.authorizePublish,
    authorizeSubscribe: guard.authorizeSubscribe(createAuthorizeSubscribe(ctx)),
    authorizeForward: prom.countForward(dedupe.authorizeForward(createAuthorizeForward(ctx))),
    connectTimeout: 10_000,
    ...guard.aedesOptions,
  }).catch(async (err: unknown) => {
    await cluster?.close();
    await durable?.close();
    throw err;
  });
  acks.attach(aedes);
  cluster?.watch(aedes, ctx);
  guard.attach(aedes);
  const devicesOnline = new Map<string, Set<Client>>();
  trackClients(aedes, ctx, devicesOnline);
  prom.watch(aedes, () => ({ connected: aedes.connectedClients, ...ctx.counters }));
  trackPresence(aedes, ctx);

  const host = opts.host ?? '127.0.0.1';
  const servers: Server[] = [];
  // every TCP/TLS connection's packets of one event-loop turn go out in one write (coalesce-writes.ts)
  const handle = (socket: Duplex) => aedes.handle(coalesceWrites(socket));
  const server = createServer((socket) => handle(socket));
  servers.push(server);
  let listeners: { tlsPort?: number | undefined; wsPort?: number | undefined; wss?: WebSocketServer | undefined; metrics?: MetricsServer | undefined };
  try {
    await listen(server, opts.port, host);
    let tlsPort: number | undefined;
    if (opts.tls !== undefined) {
      const tlsServer = createTlsServer(
        {
          cert: opts.tls.certPem,
          key: opts.tls.keyPem,
          ca: opts.tls.caPem,
          minVersion: 'TLSv1.2',
          // ask for a certificate but let password devices in too; authenticate reads socket.authorized
          requestCert: true,
          rejectUnauthorized: false,
        },
        (socket) => handle(socket),
      );
      tlsServer.on('tlsClientError', (err) => log.debug({ err: err.message }, 'TLS handshake failed / TLS 握手失败'));
      servers.push(tlsServer);
      tlsPort = await listen(tlsServer, opts.tls.port, opts.tls.host ?? host);
    }
    let wsPort: number | undefined;
    let wss: WebSocketServer | undefined;
    if (opts.ws !== undefined) {
      const httpServer = createHttpServer((_req, res) => {
        res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket only / 仅支持 WebSocket 上的 MQTT\n');
      });
      servers.push(httpServer);
      // ws buffers a whole message before handing it on (100 MiB by default); one MQTT packet per message is the norm
      wss = new WebSocketServer({ server: httpServer, maxPayload: guard.limits.maxPacketBytes });
      wss.on('connection', (socket, req) => {
        const stream = createWebSocketStream(socket);
        stream.on('error', (err) => log.debug({ err: err.message }, 'websocket stream error / WebSocket 流错误'));
        // not coalesced: through ws' stream adapter the held writes did not go out (tls.test.ts's ws:// login hung); WebSocket clients are few
        aedes.handle(stream, req);
      });
      wsPort = await listen(httpServer, opts.ws.port, opts.ws.host ?? host);
    }
    const metrics =
      opts.metricsPort !== undefined
        ? await startMetricsServer({ port: opts.metricsPort, host: opts.metricsHost ?? '127.0.0.1', registry: prom.registry, healthy: () => !aedes.closed, log })
        : undefined;
    listeners = { tlsPort, wsPort, wss, metrics };
  } catch (err) {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()))));
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await cluster?.close();
    await durable?.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const watch = startRevocationWatch({
    pool: opts.pool,
    registry,
    devicesOnline,
    secretHashes: ctx.secretHashes,
    intervalMs: opts.revocationPollMs ?? 1_000,
    log,
    onChanges: () => refreshGateways(ctx, devicesOnline),
  });
  log.info({ port, tlsPort: listeners.tlsPort, wsPort: listeners.wsPort, host, services: opts.services.map((s) => s.username) }, 'broker listening / 消息代理已启动');

  let closing: Promise<void> | undefined;
  return {
    port,
    ...(listeners.tlsPort !== undefined ? { tlsPort: listeners.tlsPort } : {}),
    ...(listeners.wsPort !== undefined ? { wsPort: listeners.wsPort } : {}),
    ...(listeners.metrics !== undefined ? { metricsPort: listeners.metrics.port } : {}),
    metrics: () => ({ connected: aedes.connectedClients, ...ctx.counters }),
    close: () =>
      (closing ??= (async () => {
        await watch.stop();
        await listeners.metrics?.close();
        const serversClosed = Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
        listeners.wss?.close();
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
        await cluster?.close();
        await durable?.close();
        for (const s of servers) if ('closeAllConnections' in s && typeof s.closeAllConnections === 'function') s.closeAllConnections();
        await serversClosed;
        log.info('broker closed / 消息代理已关闭');
      })()),
  };
}

/** Listen on `port` (0 = any free one) and resolve with the port bound. */
async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** Re-read the device list of every online edge agent, in place, after the registry changed. */
async function refreshGateways(ctx: HookContext, devicesOnline: ReadonlyMap<string, ReadonlySet<Client>>): Promise<void> {
  for (const clients of devicesOnline.values()) {
    for (const client of clients) {
      const principal = ctx.principals.get(client);
      if (principal?.kind !== 'device' || principal.children === undefined) continue;
      const now = await ctx.registry.gatewayChildren(principal.id);
      principal.children.clear();
      for (const id of now) principal.children.add(id);
    }
  }
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
    if (!(err instanceof AclError || err instanceof LimitError)) ctx.log.debug({ clientId: client.id, err: err.message }, 'client error / 客户端错误');
  });
  aedes.on('connectionError', (client, err) => {
    if (!(err instanceof AuthError)) ctx.log.debug({ clientId: client.id, err: err.message }, 'connection error / 连接错误');
  });
}
