import { performance } from 'node:perf_hooks';
import type { Aedes, AedesOptions, Client, Connection } from 'aedes';
import { LimitError } from '../errors.js';
import type { Logger } from '../logger.js';
import { FrameScanner } from './frame-scanner.js';
import { ConnectionRateLimiter, ipKey } from './ip-rate.js';
import { MAX_TOPIC_LEVELS_CEILING, resolveLimits, type BrokerLimits } from './options.js';
import { TokenBucket } from './token-bucket.js';

type PreConnect = NonNullable<AedesOptions['preConnect']>;
type AuthorizePublish = NonNullable<AedesOptions['authorizePublish']>;
type AuthorizeSubscribe = NonNullable<AedesOptions['authorizeSubscribe']>;

/** Options of createLimitGuard. */
export interface LimitGuardOptions {
  /** Limits to enforce; missing ones take their defaults (see BrokerLimits). */
  limits?: Partial<BrokerLimits> | undefined;
  /** Where each disconnection over a limit is counted. */
  counters: { limitDisconnects: number };
  log: Logger;
  /** A monotonic clock in ms. Default `performance.now`. */
  nowMs?: () => number;
}

/** The limits wired into one broker: Aedes options, hook wrappers and the connection guard. */
export interface LimitGuard {
  readonly limits: BrokerLimits;
  /** Options Aedes enforces itself; spread into `Aedes.createBroker`. */
  readonly aedesOptions: Pick<AedesOptions, 'drainTimeout' | 'maxInflightInbound' | 'queueLimit' | 'maxTopicLevels'>;
  /** Refuse a will topic over the topic limits before the client is authenticated. */
  preConnect(inner: PreConnect): PreConnect;
  /** Refuse a PUBLISH over the topic limits or the client's message rate, before the ACL runs. */
  authorizePublish(inner: AuthorizePublish): AuthorizePublish;
  /** Refuse a subscription whose filter is over the topic limits, before the ACL runs. */
  authorizeSubscribe(inner: AuthorizeSubscribe): AuthorizeSubscribe;
  /**
   * Wrap `aedes.handle` so every listener handing it a connection (TCP, TLS,
   * WebSocket) goes through the per-address rate and the packet-size check, and
   * log the limits Aedes enforces itself.
   */
  attach(aedes: Aedes): void;
}

/** Aedes' own errors for the limits it enforces (aedes 1.x lib/), mapped to our names. */
const AEDES_LIMIT_ERRORS: readonly { test: (message: string) => boolean; limit: keyof BrokerLimits; reached?: number }[] = [
  { test: (m) => m === 'drain timeout', limit: 'slowConsumerDrainTimeoutMs' },
  { test: (m) => m.startsWith('maxInflightInbound exceeded'), limit: 'maxInflightPerClient' },
  { test: (m) => m === 'Client queue limit reached', limit: 'maxQueuedPacketsPerClient' },
  // Aedes checks its ceiling before our hook runs, so such a topic is deeper than the ceiling
  { test: (m) => m === 'topic has too many levels', limit: 'maxTopicLevels', reached: MAX_TOPIC_LEVELS_CEILING + 1 },
];

const OVER_LIMIT = 'client over a limit, disconnected / 客户端超出限制，已断开连接';

/** Build the limit guard for one broker; see LimitGuard. */
export function createLimitGuard(opts: LimitGuardOptions): LimitGuard {
  const limits = resolveLimits(opts.limits ?? {});
  const now = opts.nowMs ?? (() => performance.now());
  const { counters, log } = opts;
  const ips = new WeakMap<Client, string>();
  const rates = new WeakMap<Client, { bucket: TokenBucket; windowStartMs: number; inWindow: number }>();
  // one client can trip several errors on its way out (each pending write fails); count it once
  const recorded = new WeakSet<Client>();
  const perIp = new ConnectionRateLimiter({ perSecond: limits.connectionsPerIpPerSecond, burst: limits.connectionBurstPerIp });

  function record(err: LimitError, client: Client | null, ip?: string, clientId?: string): LimitError {
    if (client !== null) {
      if (recorded.has(client)) return err;
      recorded.add(client);
    }
    counters.limitDisconnects += 1;
    log.warn({ limit: err.limit, value: err.value, max: err.max, clientId: clientId ?? client?.id ?? undefined, ip: ip ?? (client ? ips.get(client) : undefined) }, OVER_LIMIT);
    return err;
  }

  function topicOver(topic: string): LimitError | undefined {
    // a UTF-16 code unit is at most 3 bytes of UTF-8: a short topic needs no count
    if (topic.length * 3 > limits.maxTopicBytes) {
      const bytes = Buffer.byteLength(topic, 'utf8');
      if (bytes > limits.maxTopicBytes) return new LimitError('maxTopicBytes', bytes, limits.maxTopicBytes);
    }
    let levels = 1;
    for (let i = 0; i < topic.length; i += 1) if (topic.charCodeAt(i) === 0x2f) levels += 1;
    if (levels > limits.maxTopicLevels) return new LimitError('maxTopicLevels', levels, limits.maxTopicLevels);
    return undefined;
  }

  function rateOver(client: Client): LimitError | undefined {
    const t = now();
    let rate = rates.get(client);
    if (rate === undefined) {
      rate = { bucket: new TokenBucket(limits.messagesPerClientPerSecond, limits.messageBurstPerClient, t), windowStartMs: t, inWindow: 0 };
      rates.set(client, rate);
    }
    // a plain one-second count, only so the log line can say how fast the client went
    if (t - rate.windowStartMs >= 1_000) {
      rate.windowStartMs = t;
      rate.inWindow = 0;
    }
    rate.inWindow += 1;
    if (rate.bucket.tryTake(t)) return undefined;
    return new LimitError('messagesPerClientPerSecond', rate.inWindow, limits.messagesPerClientPerSecond);
  }

  function guardConnection(handle: Aedes['handle'], conn: Connection, req: Parameters<Aedes['handle']>[1]): Client {
    const address = req?.socket.remoteAddress ?? ('remoteAddress' in conn ? conn.remoteAddress : undefined);
    const ip = ipKey(address);
    const decision = perIp.admit(ip, now());
    if (!decision.ok) {
      counters.limitDisconnects += 1;
      // a flood would otherwise write a line per attempt; the first of a run says enough
      const line = { limit: 'connectionsPerIpPerSecond', max: limits.connectionsPerIpPerSecond, burst: limits.connectionBurstPerIp, refusedInRow: decision.refusedInRow, ip };
      if (decision.refusedInRow === 1) log.warn(line, OVER_LIMIT);
      else log.debug(line, OVER_LIMIT);
      // handed to Aedes already closed: its client ends at once and never reads a byte
      conn.destroy();
      return handle(conn, req);
    }
    const client = handle(conn, req);
    ips.set(client, ip);
    // over WebSocket, ws refuses a message over its maxPayload (set to maxPacketBytes) before any byte reaches us
    conn.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') record(new LimitError('maxPacketBytes', limits.maxPacketBytes + 1, limits.maxPacketBytes), client, ip);
    });
    const scanner = new FrameScanner(limits.maxPacketBytes);
    // with Aedes' 'readable' listener attached first, 'data' fires inside each read(), before the parser sees the chunk
    conn.on('data', (chunk: Buffer) => {
      const verdict = scanner.feed(chunk);
      if (verdict.kind === 'ok') return;
      if (verdict.kind === 'too-large') record(new LimitError('maxPacketBytes', verdict.packetBytes, limits.maxPacketBytes), client, ip);
      // [MQTT-3.1.0-1] and a bad Remaining Length [MQTT-2.2.3] are protocol errors, not limits: Aedes would close too
      else log.debug({ ip, clientId: client.id ?? undefined, verdict }, 'malformed MQTT stream, disconnected / MQTT 数据流格式错误，已断开连接');
      conn.destroy();
    });
    return client;
  }

  return {
    limits,
    aedesOptions: {
      drainTimeout: limits.slowConsumerDrainTimeoutMs,
      maxInflightInbound: limits.maxInflightPerClient,
      queueLimit: limits.maxQueuedPacketsPerClient,
      // only a backstop against qlobber's throw: the hooks below enforce maxTopicLevels and log the topic's depth
      maxTopicLevels: MAX_TOPIC_LEVELS_CEILING,
    },
    preConnect: (inner) => (client, packet, done) => {
      const over = packet.will ? topicOver(packet.will.topic) : undefined;
      // Aedes gives the client its id only after preConnect
      if (over !== undefined) return done(record(over, client, undefined, packet.clientId), false);
      inner(client, packet, done);
    },
    authorizePublish: (inner) => (client, packet, done) => {
      // a will is published by the broker as the client closes; it was checked at CONNECT and is not the client's traffic
      if (client !== null && !client.closed) {
        const over = topicOver(packet.topic) ?? rateOver(client);
        // MQTT 3.1.1 has no negative PUBACK, so refusing means closing [MQTT-3.3.5-2]
        if (over !== undefined) return done(record(over, client));
      }
      inner(client, packet, done);
    },
    authorizeSubscribe: (inner) => (client, sub, done) => {
      const over = topicOver(sub.topic);
      if (over !== undefined) return done(record(over, client));
      inner(client, sub, done);
    },
    attach(aedes) {
      const handle = aedes.handle;
      aedes.handle = (conn, req) => guardConnection(handle, conn, req);
      const onError = (client: Client, err: Error) => {
        if (err instanceof LimitError) return;
        const known = AEDES_LIMIT_ERRORS.find((e) => e.test(err.message));
        if (known !== undefined) record(new LimitError(known.limit, known.reached ?? limits[known.limit], limits[known.limit]), client);
      };
      aedes.on('clientError', onError);
      aedes.on('connectionError', onError);
    },
  };
}
