import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import type pg from 'pg';
import type { Logger } from 'pino';
import { ACK_LATER, partitionOfDevice, pubackWriter, type Partition } from '@vigil/ingest';
import { alertsTopic, channelFilter, validate, type Alert, type Message } from '@vigil/schemas';
import { raiseAlert } from './alert-store.js';
import { Engine } from './engine.js';
import { readStoredStream } from './history.js';
import { expireShelves } from './lifecycle/apply.js';
import { escalateOverdue } from './lifecycle/escalation.js';
import { createLogger } from './logger.js';
import { loadRuleSet } from './rule-set-store.js';
import type { AlertDraft } from './rules/types.js';
import { loadSnapshot, saveSnapshot } from './snapshot-store.js';

/** A device clock ahead of ours by more than this does not move the rules' time further. */
const MAX_CLOCK_LEAD_MS = 60_000;

/** How long applied alert causes are remembered (longer than any replay after a restart). */
const CAUSE_RETENTION_MS = 7 * 86_400_000;

/** Options of the analytics service. */
export interface AnalyticsOptions {
  mqttUrl: string;
  mqttUsername?: string;
  mqttPassword?: string;
  /** Fixed client id: the broker keeps the session (clean: false) across restarts. */
  clientId: string;
  pool: pg.Pool;
  /** How often the rule set (zones, thresholds) is reloaded from the registry. */
  zonesRefreshMs: number;
  /** Consecutive fixes in breach before an alert, unless the stored rule set says otherwise. */
  minFixesInside: number;
  /** Wait between retries when storing an alert fails. */
  retryDelayMs: number;
  /** This process's share of the devices (hash of the routing key, like ingest's partition). Default 0/1. */
  partition?: Partition;
  /** Clock tick: how often time advances with no message (loss-of-signal timers). Default 1000 ms. */
  tickMs?: number;
  /** How often the rules' state is snapshotted. Default 10 s. */
  snapshotIntervalMs?: number;
  /** On start, replay the stored stream from the snapshot's event time minus this (late messages). Default 60 s. */
  replayMarginMs?: number;
  /** With no snapshot, replay this far back. Default 1 h. */
  replayLookbackMs?: number;
  /** Unacknowledged alerts escalate after this long; 0 turns escalation off. Default 10 min. */
  escalateAfterMs?: number;
  /** How often shelves and escalations are swept. Default 5 s. */
  sweepMs?: number;
  logger?: Logger;
}

/** Counters of the analytics service. */
export interface AnalyticsStats {
  received: number;
  invalid: number;
  notMine: number;
  replayed: number;
  alertsRaised: number;
  alertsFolded: number;
  alertsCleared: number;
  duplicates: number;
}

/** A running analytics service. */
export interface AnalyticsService {
  stats(): AnalyticsStats;
  /** Store a snapshot now (also done on close). */
  snapshot(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Subscribe to telemetry and events, run the rules, store and
 * publish the alerts. A message is acknowledged to the broker only after its
 * alerts are committed, so a crash replays it instead of losing it; on
 * start the last snapshot is loaded and the stored stream since it replayed,
 * and every alert cause is applied once (table `alert_causes`), so a restart
 * neither misses nor repeats an alert.
 */
export async function startAnalytics(opts: AnalyticsOptions): Promise<AnalyticsService> {
  const log = opts.logger ?? createLogger('service');
  const partition = opts.partition ?? { index: 0, count: 1 };
  const partName = `${partition.index}/${partition.count}`;
  const stats: AnalyticsStats = { received: 0, invalid: 0, notMine: 0, replayed: 0, alertsRaised: 0, alertsFolded: 0, alertsCleared: 0, duplicates: 0 };
  const envDefaults = { min_fixes: opts.minFixesInside };
  let ruleSet = await loadRuleSet(opts.pool, { defaults: envDefaults });
  const owns = (key: string) => partition.count <= 1 || partitionOfDevice(key, partition.count) === partition.index;
  const engine = new Engine(ruleSet, owns);
  let closing = false;
  // Set once connected; alerts raised while replaying on start wait in `pending`.
  const conn: { client?: MqttClient } = {};
  const pending: Alert[] = [];

  // One thing at a time: messages, ticks, snapshots and sweeps never interleave.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn);
    chain = p.catch(() => undefined);
    return p;
  };

  const publish = (alert: Alert) => {
    if (!conn.client) {
      pending.push(alert);
      return;
    }
    conn.client.publish(alertsTopic(alert.site), JSON.stringify(alert), { qos: 1 }, (err) => {
      if (err) log.error({ err: err.message, alert: alert.id }, 'alert publish failed; it is stored and listed by the API');
    });
  };

  const store = async (drafts: AlertDraft[], context: string) => {
    const cooldownMs = ruleSet.defaults.cooldown_s * 1000;
    for (const draft of drafts) {
      const { alert, outcome } = await withRetry(() => raiseAlert(opts.pool, draft, { cooldownMs }), opts.retryDelayMs, () => closing, log);
      if (outcome === 'duplicate' || outcome === 'none' || !alert) {
        stats.duplicates += outcome === 'duplicate' ? 1 : 0;
        continue;
      }
      if (outcome === 'raised') stats.alertsRaised++;
      else if (outcome === 'cleared') stats.alertsCleared++;
      else stats.alertsFolded++;
      publish(alert);
      log.info({ alert: alert.id, rule: alert.rule, dev: alert.dev, site: alert.site, cause: draft.cause, count: alert.count, context }, `alert ${outcome}`);
    }
  };

  // Restart: snapshot, then the stored stream since it (ingest wrote it), then roll calls and listed curfews.
  const snap = await loadSnapshot(opts.pool, partName);
  if (snap) engine.restore(snap);
  const wallNow = Date.now();
  const from = snap ? snap.now - (opts.replayMarginMs ?? 60_000) : wallNow - (opts.replayLookbackMs ?? 3_600_000);
  const history = await readStoredStream(opts.pool, from, wallNow + 1, (dev) => engine.ownsDevice(dev));
  for (const { msg, site } of history.messages) {
    await store(engine.handle(msg, site), 'replay');
    stats.replayed++;
  }
  await store(engine.bootstrap(wallNow), 'bootstrap');
  log.info({ partition: partName, snapshot: !!snap, replayed: history.messages.length, timers: engine.timers }, 'rules state restored');

  const tick = setInterval(() => {
    serial(() => store(engine.tick(Date.now()), 'tick')).catch((err: Error) => log.error({ err: err.message }, 'tick failed'));
  }, opts.tickMs ?? 1000);
  const snapshotTimer = setInterval(() => {
    serial(() => saveSnapshot(opts.pool, partName, engine.snapshot())).catch((err: Error) => log.warn({ err: err.message }, 'snapshot failed'));
  }, opts.snapshotIntervalMs ?? 10_000);
  const refresh = setInterval(() => {
    loadRuleSet(opts.pool, { defaults: envDefaults })
      .then((rs) => {
        ruleSet = rs;
        engine.setRuleSet(rs);
      })
      .catch((err: Error) => log.warn({ err: err.message }, 'rule set reload failed; keeping the previous rules'));
  }, opts.zonesRefreshMs);
  // Shelf expiry and escalation are lifecycle, not rules: partition 0 sweeps for everyone.
  const sweep =
    partition.index === 0
      ? setInterval(() => {
          serial(async () => {
            const now = Date.now();
            for (const a of await expireShelves(opts.pool, now)) publish(a);
            if ((opts.escalateAfterMs ?? 600_000) > 0) for (const a of await escalateOverdue(opts.pool, { afterMs: opts.escalateAfterMs ?? 600_000, now })) publish(a);
            // Causes older than any replay reaches (snapshot margin, start-up look-back) can go.
            await opts.pool.query(`DELETE FROM alert_causes WHERE at < to_timestamp($1 / 1000.0)`, [now - Math.max(CAUSE_RETENTION_MS, (opts.replayLookbackMs ?? 3_600_000) + 86_400_000)]);
          }).catch((err: Error) => log.warn({ err: err.message }, 'lifecycle sweep failed'));
        }, opts.sweepMs ?? 5000)
      : undefined;

  const handle = async (packet: IPublishPacket): Promise<void> => {
    stats.received++;
    const r = validate(packet.topic, packet.payload as Buffer);
    if (!r.ok) {
      // Ingest dead-letters the same message; here we only count and log it.
      stats.invalid++;
      log.warn({ topic: packet.topic, code: r.error.code, field: r.error.field, reason: r.error.message }, 'invalid message ignored');
      return;
    }
    const msg: Message = r.message;
    if (!engine.ownsDevice(msg.dev)) {
      stats.notMine++;
      return;
    }
    await serial(() => store(engine.handle(msg, r.site, Date.now() + MAX_CLOCK_LEAD_MS), 'message'));
  };

  const client = mqtt.connect(opts.mqttUrl, {
    protocolVersion: 4,
    clientId: opts.clientId,
    clean: false,
    username: opts.mqttUsername,
    password: opts.mqttPassword,
    reconnectPeriod: 1000,
  });
  // One message at a time (mqtt.js reads the next once this callback runs); the PUBACK is written here, on
  // the connection the message came on, once its alerts are stored (puback-writer.ts says why not mqtt.js's).
  const sendAck = pubackWriter(client);
  client.handleMessage = (packet, callback) => {
    if (packet.cmd !== 'publish') return callback();
    const ack = { messageId: packet.qos > 0 ? packet.messageId : undefined, stream: client.stream };
    handle(packet).then(
      () => {
        sendAck([ack]);
        callback(ACK_LATER);
      },
      (err: Error) => {
        log.error({ err: err.message, topic: packet.topic }, 'message not processed; it will be redelivered');
        callback(err);
      },
    );
  };
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  client.on('error', (err) => log.error({ err: err.message }, 'mqtt error'));
  // What the broker lets svc-analytics read (broker/src/service-accounts.ts): telemetry and events.
  await client.subscribeAsync([channelFilter('telemetry'), channelFilter('event')], { qos: 1 });
  conn.client = client;
  for (const a of pending.splice(0)) publish(a);
  log.info({ zones: ruleSet.zones.length, partition: partName }, 'analytics subscribed');

  return {
    stats: () => ({ ...stats }),
    snapshot: () => serial(() => saveSnapshot(opts.pool, partName, engine.snapshot())),
    async close() {
      closing = true;
      clearInterval(tick);
      clearInterval(snapshotTimer);
      clearInterval(refresh);
      if (sweep) clearInterval(sweep);
      await client.endAsync();
      await serial(() => saveSnapshot(opts.pool, partName, engine.snapshot())).catch((err: Error) => log.warn({ err: err.message }, 'final snapshot failed'));
    },
  };
}

async function withRetry<T>(fn: () => Promise<T>, delayMs: number, stop: () => boolean, log: Logger): Promise<T> {
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (stop()) throw err;
      log.warn({ err: (err as Error).message }, 'storing alert failed; retrying');
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}
