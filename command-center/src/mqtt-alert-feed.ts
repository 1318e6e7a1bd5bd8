import { connect, type MqttClient } from 'mqtt';
import { ALL_ALERTS_FILTER, Alert, check, parseTopic } from '@vigil/schemas';
import { createAlertHub, type AlertFeed } from './alert-feed.js';
import { createLogger, type Logger } from './logger.js';

/** Options of the MQTT alert subscriber. */
export interface MqttAlertFeedOptions {
  /** Broker URL, `mqtt://host:1883` or `mqtts://...`. */
  url: string;
  /** Service-account user name and password (omitted for a broker without auth). */
  username?: string;
  password?: string;
  /** MQTT client id; default `vigil-cc-<random>`, so two command centres do not kick each other off. */
  clientId?: string;
  /** Delay between reconnect attempts; default 2000 ms. */
  reconnectPeriodMs?: number;
  logger?: Logger;
}

/** The MQTT feed: an `AlertFeed` that can also say when its subscription is in place. */
export interface MqttAlertFeed extends AlertFeed {
  /** Resolves once the broker has granted the first subscription (SUBACK). */
  whenSubscribed(): Promise<void>;
}

/** Subscribe to `vigil/v1/+/alerts` at QoS 1 and forward every alert that passes the `Alert` schema. */
export function createMqttAlertFeed(opts: MqttAlertFeedOptions): MqttAlertFeed {
  const log = opts.logger ?? createLogger('cc-alert-feed');
  let markSubscribed: () => void = () => {};
  const subscribed = new Promise<void>((resolve) => {
    markSubscribed = resolve;
  });

  const client: MqttClient = connect(opts.url, {
    protocolVersion: 4, // MQTT 3.1.1: all Aedes speaks (ARCHITECTURE.md)
    clientId: opts.clientId ?? `vigil-cc-${Math.random().toString(36).slice(2, 10)}`,
    ...(opts.username !== undefined ? { username: opts.username } : {}),
    ...(opts.password !== undefined ? { password: opts.password } : {}),
    // A clean session: a display needs no backlog, the UI reloads the list from the database on reconnect.
    clean: true,
    reconnectPeriod: opts.reconnectPeriodMs ?? 2000,
    resubscribe: false, // we subscribe on every CONNACK ourselves
  });
  // Handlers are attached below in this same tick, before any event can fire.
  const hub = createAlertHub({
    connected: false,
    onClose: async () => {
      await client.endAsync();
    },
  });

  client.on('connect', () => {
    hub.setConnected(true);
    log.info({ url: opts.url }, 'connected to broker');
    client.subscribe(ALL_ALERTS_FILTER, { qos: 1 }, (err, granted) => {
      // [MQTT-3.9.3] 0x80 in the SUBACK means the broker refused the filter (ACL).
      if (err || granted?.some((g) => g.qos === 128)) {
        log.error({ err, filter: ALL_ALERTS_FILTER }, 'alert subscription refused');
        return;
      }
      markSubscribed();
    });
  });
  client.on('close', () => {
    if (hub.isConnected()) log.warn('disconnected from broker');
    hub.setConnected(false);
  });
  client.on('error', (err) => log.warn({ err: err.message }, 'mqtt error'));
  client.on('message', (topic, payload) => {
    const alert = parseAlert(topic, payload);
    if (alert.ok) {
      hub.emit(alert.value);
      return;
    }
    hub.countInvalid();
    log.warn({ code: 'VIGIL_CC_ALERT_INVALID', topic, reason: alert.reason, invalid: hub.stats().invalid }, 'invalid alert not forwarded');
  });

  return {
    subscribe: hub.subscribe,
    isConnected: hub.isConnected,
    stats: hub.stats,
    close: hub.close,
    whenSubscribed: () => subscribed,
  };
}

/** Decode and validate one alert message; its site must be the topic's site. */
export function parseAlert(topic: string, payload: Buffer): { ok: true; value: Alert } | { ok: false; reason: string } {
  const parsed = parseTopic(topic);
  if (parsed?.kind !== 'alerts') return { ok: false, reason: 'not an alerts topic' };
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, reason: 'payload is not JSON' };
  }
  const checked = check(Alert, value);
  if (!checked.ok) return { ok: false, reason: checked.error.message };
  // A site may only raise alerts on its own topic; anything else is misrouted or forged.
  if (checked.value.site !== parsed.site) return { ok: false, reason: `site: ${checked.value.site} published on ${topic}` };
  return { ok: true, value: checked.value };
}
