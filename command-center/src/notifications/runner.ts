import type { Pool } from 'pg';
import { ALERT_COLUMNS, rowToAlert, type AlertRow } from '@vigil/analytics';
import { newId, type Alert } from '@vigil/schemas';
import { createLogger, type Logger } from '../logger.js';
import { createDispatcher } from './dispatcher.js';
import { createEscalation } from './escalation.js';
import { createReceiptQueue } from './receipts.js';
import { createReplyHandler } from './replies.js';
import { createResolver } from './recipients.js';
import { routeAlert, type RouteReport, type RouterDeps, type Selection } from './router.js';
import { createStormControl, DEFAULT_STORM, type StormOptions } from './storm.js';
import type { Channel, ChannelName, OutgoingMessage } from './types.js';

/** Anything that hands over alerts as they come (the command centre's `AlertFeed` is one). */
export interface AlertSource {
  subscribe(listener: (alert: Alert) => void): () => void;
}

/** Options of `createNotifier`. */
export interface NotifierOptions {
  /** Made by `createPool` of `@vigil/ingest`. */
  pool: Pool;
  channels: Channel[];
  /** Live alerts; without it, call `route()` yourself. */
  source?: AlertSource;
  /** Deep links: `<baseUrl>/m/<token>`, signed with `secret`, valid `ttlMs` (default 24 h). */
  links?: { baseUrl: string; secret: Buffer; ttlMs?: number };
  storm?: Partial<StormOptions>;
  /** Backoff of failed sends: base × 2^(attempt−1), jittered ±25 %, capped; after `maxAttempts` the dead letter. */
  retry?: { baseMs?: number; maxMs?: number; maxAttempts?: number };
  /** How often each channel looks for due rows when nothing woke it; default 500 ms. */
  pollMs?: number;
  /** A claimed row not finished in this time is claimed again (its runner died); default 60 s. */
  leaseMs?: number;
  /** One send may take this long before it counts as failed; default 10 s. */
  sendTimeoutMs?: number;
  /** Sends in flight per channel; default 8. */
  concurrency?: number;
  /** How often unacknowledged alerts are checked for escalation steps and for missed routing; default 15 s (0: never). */
  sweepMs?: number;
  /** Alerts raised longer ago than this are not swept; default 24 h. */
  sweepWindowMs?: number;
  /** Alerts never routed (raised while no runner was up) are routed by the sweep if raised within this; default 10 min. */
  catchUpMs?: number;
  /** Policies are re-read from the database this often; default 5 s. */
  policyCacheMs?: number;
  /** Told the new state of an alert acknowledged by an SMS reply (publish it). */
  onAlertChange?(alert: Alert): void;
  /** Told of every successful send (figures, tests). */
  onSent?(msg: OutgoingMessage, info: { attempts: number; createdAtMs: number }): void;
  logger?: Logger;
}

export interface NotifierStats {
  routed: number;
  sent: Record<string, number>;
  failed: Record<string, number>;
  dead: Record<string, number>;
  badPolicies: number;
}

export interface Notifier {
  /** Start the channel loops, the sweep and the subscription to `source`. */
  start(): void;
  /** Stop taking work, wait for sends in flight (rows stay in the outbox) and close the channels. */
  stop(): Promise<void>;
  /** Route one alert now (step 0 of every matching policy, and lifecycle escalation). */
  route(alert: Alert): Promise<RouteReport>;
  /** Escalation steps due and routing missed while down; returns the alerts routed. */
  sweep(): Promise<number>;
  /** An SMS reply (or any channel's reply) quoting a short code. */
  handleReply(channel: ChannelName, from: string, text: string): Promise<{ acknowledged: string[] }>;
  /** Resolves once routing queued so far is stored. */
  idle(): Promise<void>;
  stats(): NotifierStats;
}

export function createNotifier(opts: NotifierOptions): Notifier {
  const log = opts.logger ?? createLogger('notify');
  const pool = opts.pool;
  const channels = new Map<ChannelName, Channel>(opts.channels.map((c) => [c.name, c]));
  const maxAttempts = opts.retry?.maxAttempts ?? 6;
  const sweepMs = opts.sweepMs ?? 15_000;
  const sweepWindowMs = opts.sweepWindowMs ?? 86_400_000;
  const linkTtl = opts.links?.ttlMs ?? 86_400_000;
  const resolver = createResolver(pool);
  const storm = createStormControl({ ...DEFAULT_STORM, ...opts.storm }, newId);
  const deps: RouterDeps = { pool, resolver, storm, newId, maxAttempts, channels: new Set(channels.keys()) };
  const stats: NotifierStats = { routed: 0, sent: {}, failed: {}, dead: {}, badPolicies: 0 };

  let stopped = true;
  let unsubscribe: (() => void) | null = null;
  let sweepTimer: NodeJS.Timeout | null = null;
  let routing: Promise<unknown> = Promise.resolve();
  let loop: Promise<void> | null = null;

  const isStopped = (): boolean => stopped;
  const dispatcher = createDispatcher({
    pool,
    channels,
    log,
    stats,
    isStopped,
    links: opts.links ? { baseUrl: opts.links.baseUrl, secret: opts.links.secret, ttlMs: linkTtl } : undefined,
    retryBaseMs: opts.retry?.baseMs ?? 2000,
    retryMaxMs: opts.retry?.maxMs ?? 300_000,
    pollMs: opts.pollMs ?? 500,
    leaseMs: opts.leaseMs ?? 60_000,
    sendTimeoutMs: opts.sendTimeoutMs ?? 10_000,
    concurrency: opts.concurrency ?? 8,
    ...(opts.onSent ? { onSent: opts.onSent } : {}),
  });
  const { wakeUp, scheduleWake } = dispatcher;
  const escalation = createEscalation({
    pool,
    resolver,
    log,
    policyCacheMs: opts.policyCacheMs ?? 5000,
    catchUpMs: opts.catchUpMs ?? 600_000,
    onBadPolicy: () => (stats.badPolicies += 1),
  });
  const receipts = createReceiptQueue(pool, log, isStopped);
  const handleReply = createReplyHandler({ pool, log, linkTtlMs: linkTtl, ...(opts.onAlertChange ? { onAlertChange: opts.onAlertChange } : {}) });

  async function routeNow(alert: Alert): Promise<RouteReport> {
    const nowMs = Date.now();
    const sels = await escalation.onArrival(alert, nowMs);
    const report = await routeAlert(deps, alert, sels, nowMs);
    stats.routed += 1;
    if (report.channels.size) wakeUp();
    if (report.nextDueMs !== null) scheduleWake(report.nextDueMs);
    return report;
  }

  function route(alert: Alert): Promise<RouteReport> {
    // One alert at a time: storm control sees them in order and batch rows exist before alerts join them.
    const p = routing.then(() => routeNow(alert));
    routing = p.catch(() => undefined);
    return p;
  }

  async function sweep(): Promise<number> {
    const nowMs = Date.now();
    const { rows } = await pool.query<AlertRow>(
      `SELECT ${ALERT_COLUMNS} FROM alerts WHERE NOT acked AND state = 'raised' AND raised_at > to_timestamp($1::bigint / 1000.0) ORDER BY raised_at LIMIT 5000`,
      [nowMs - sweepWindowMs],
    );
    if (!rows.length) return 0;
    const alerts = rows.map(rowToAlert);
    const { rows: done } = await pool.query<{ alert_id: string; steps: number[] }>(
      'SELECT alert_id, array_agg(DISTINCT step)::int[] AS steps FROM notification_alerts WHERE alert_id = ANY($1) GROUP BY alert_id',
      [alerts.map((a) => a.id)],
    );
    const stepsOf = new Map(done.map((d) => [d.alert_id, new Set(d.steps)]));
    let routed = 0;
    for (const alert of alerts) {
      const have = stepsOf.get(alert.id) ?? new Set<number>();
      const sels: Selection[] = await escalation.due(alert, have, nowMs);
      if (!sels.length) continue;
      const report = await new Promise<RouteReport>((resolve, reject) => {
        const p = routing.then(() => routeAlert(deps, alert, sels, nowMs));
        routing = p.catch(() => undefined);
        p.then(resolve, reject);
      });
      if (report.immediate + report.batched + report.quiet > 0) routed += 1;
      if (report.channels.size) wakeUp();
      if (report.nextDueMs !== null) scheduleWake(report.nextDueMs);
    }
    return routed;
  }

  const sink = {
    delivered(channel: ChannelName, providerId: string): void {
      receipts.queue(channel, providerId);
    },
    reply(channel: ChannelName, from: string, text: string): void {
      handleReply(channel, from, text).catch((err: unknown) => log.error({ channel, from, err: (err as Error).message }, 'reply not handled'));
    },
  };
  for (const ch of channels.values()) ch.attach?.(sink);

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      loop = dispatcher.run();
      if (opts.source) {
        unsubscribe = opts.source.subscribe((alert) => {
          route(alert).catch((err: unknown) => log.error({ alert: alert.id, err: (err as Error).message }, 'alert not routed; the sweep will retry'));
        });
      }
      if (sweepMs > 0) {
        const tick = (): void => {
          sweep()
            .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'sweep failed'))
            .finally(() => {
              storm.prune(Date.now());
              if (!stopped) sweepTimer = setTimeout(tick, sweepMs);
            });
        };
        sweepTimer = setTimeout(tick, Math.min(sweepMs, 1000));
      }
    },
    async stop() {
      stopped = true;
      unsubscribe?.();
      unsubscribe = null;
      if (sweepTimer) clearTimeout(sweepTimer);
      wakeUp();
      await loop?.catch(() => undefined);
      loop = null;
      await receipts.flush();
      await dispatcher.settle();
      await routing;
      await Promise.allSettled([...channels.values()].map((c) => c.close()));
    },
    route,
    sweep,
    handleReply,
    idle: async () => {
      await routing;
    },
    stats: () => structuredClone(stats),
  };
}
