import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import type pg from 'pg';
import type { Logger } from 'pino';
import { alertsTopic, channelFilter, validate } from '@vigil/schemas';
import { raiseAlert } from './alert-store.js';
import { initialEngineState, step, type EngineConfig, type EngineState } from './engine.js';
import { createLogger } from './logger.js';
import { loadZones } from './zone-store.js';

/** Options of the analytics service. */
export interface AnalyticsOptions {
  mqttUrl: string;
  mqttUsername?: string;
  mqttPassword?: string;
  /** Fixed client id: the broker keeps the session (clean: false) across restarts. */
  clientId: string;
  pool: pg.Pool;
  /** How often zones are reloaded from the registry. */
  zonesRefreshMs: number;
  /** Consecutive fixes wholly inside an exclusion zone before a breach. */
  minFixesInside: number;
  /** Wait between retries when storing an alert fails. */
  retryDelayMs: number;
  logger?: Logger;
}

/** Counters of the analytics service. */
export interface AnalyticsStats {
  received: number;
  invalid: number;
  alertsRaised: number;
  alertsFolded: number;
}

/** A running analytics service. */
export interface AnalyticsService {
  stats(): AnalyticsStats;
  close(): Promise<void>;
}

/**
 * Subscribe to telemetry and events, run the rules, store and publish the
 * alerts. A message is acknowledged to the broker only after its alerts are
 * committed, so a crash replays it instead of losing it.
 */
export async function startAnalytics(opts: AnalyticsOptions): Promise<AnalyticsService> {
  const log = opts.logger ?? createLogger('service');
  const stats: AnalyticsStats = { received: 0, invalid: 0, alertsRaised: 0, alertsFolded: 0 };
  const config: EngineConfig = { zones: await loadZones(opts.pool), minFixesInside: opts.minFixesInside, evidenceFixes: 10 };
  let state: EngineState = initialEngineState();
  let closing = false;

  const refresh = setInterval(() => {
    loadZones(opts.pool)
      .then((zones) => (config.zones = zones))
      .catch((err: Error) => log.warn({ err: err.message }, 'zone reload failed; keeping the previous zones'));
  }, opts.zonesRefreshMs);

  const client: MqttClient = mqtt.connect(opts.mqttUrl, {
    protocolVersion: 4,
    clientId: opts.clientId,
    clean: false,
    username: opts.mqttUsername,
    password: opts.mqttPassword,
    reconnectPeriod: 1000,
  });

  const handle = async (packet: IPublishPacket): Promise<void> => {
    stats.received++;
    const r = validate(packet.topic, packet.payload as Buffer);
    if (!r.ok) {
      // Ingest dead-letters the same message; here we only count and log it.
      stats.invalid++;
      log.warn({ topic: packet.topic, code: r.error.code, field: r.error.field, reason: r.error.message }, 'invalid message ignored');
      return;
    }
    const out = step(state, r.message, r.site, config, r.message.ts);
    state = out.state;
    for (const draft of out.alerts) {
      const { alert, isNew, outcome } = await withRetry(() => raiseAlert(opts.pool, draft), opts.retryDelayMs, () => closing, log);
      if (!alert || outcome === 'duplicate' || outcome === 'none') continue;
      if (isNew) stats.alertsRaised++;
      else stats.alertsFolded++;
      // Not awaited: mqtt.js reads no packets (so no PUBACK) until this handler returns.
      // The alert is already committed; QoS 1 and the persistent session carry the publish.
      client.publish(alertsTopic(alert.site), JSON.stringify(alert), { qos: 1 }, (err) => {
        if (err) log.error({ err: err.message, alert: alert.id }, 'alert publish failed; it is stored and listed by the API');
      });
      log.info({ alert: alert.id, rule: alert.rule, dev: alert.dev, site: alert.site, msg: r.message.id, count: alert.count }, isNew ? 'alert raised' : 'alert folded');
    }
  };

  // mqtt.js sends the PUBACK only when this callback runs, one message at a time.
  client.handleMessage = (packet, callback) => {
    if (packet.cmd !== 'publish') return callback();
    handle(packet).then(
      () => callback(),
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
  await client.subscribeAsync([channelFilter('telemetry'), channelFilter('event')], { qos: 1 });
  log.info({ zones: config.zones.length }, 'analytics subscribed');

  return {
    stats: () => ({ ...stats }),
    async close() {
      closing = true;
      clearInterval(refresh);
      await client.endAsync();
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
