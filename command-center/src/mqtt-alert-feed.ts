import { connect, type MqttClient } from 'mqtt';
import { ackOnReceipt } from '@vigil/ingest';
import { ALL_ALERTS_FILTER, Alert, AgentStatus, channelFilter, check, parseTopic } from '@vigil/schemas';
import { createAlertHub, type AlertHub } from './alert-feed.js';
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
export interface MqttAlertFeed extends AlertHub {
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
  // PUBACKs on the socket, not through MQTT.js's connected flag (ingest/src/puback-writer.ts says why)
  ackOnReceipt(client);
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
    // Device status for the live stream; a broker that refuses it only costs the status events.
    client.subscribe(STATUS_FILTER, { qos: 0 }, (err) => {
      if (err) log.warn({ err: err.message, filter: STATUS_FILTER }, 'status subscription refused');
    });
  });
  client.on('close', () => {
    if (hub.isConnected()) log.warn('disconnected from broker');
    hub.setConnected(false);
  });
  client.on('error', (err) => log.warn({ err: err.message }, 'mqtt error'));
  client.on('message', (topic, payload) => {
    if (topic.endsWith('/status')) {
      const status = parseStatus(topic, payload);
      if (status) hub.emitStatus(status);
      return;
    }
    const alert = parseAlert(topic, payload);
    if (alert.ok) {
      hub.emit(alert.value);
      return;
    }
    hub.countInvalid();
    log.warn({ code: 'VIGIL_CC_ALERT_INVALID', topic, reason: alert.reason, invalid: hub.stats().invalid }, 'invalid alert not forwarded');
  });

  // A hub, so changes made through the API reach this process's live stream too.
  return { ...hub, whenSubscribed: () => subscribed };
}

const STATUS_FILTER = channelFilter('status');

/** A device's `agent.status` as a status event, or null if it is not a valid one from that device. */
export function parseStatus(topic: string, payload: Buffer): { id: string; site: string; online: boolean; ts: number } | null {
  const parsed = parseTopic(topic);
  if (parsed?.kind !== 'device' || parsed.channel !== 'status') return null;
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return null;
  }
  const checked = check(AgentStatus, value);
  if (!checked.ok || checked.value.dev !== parsed.device) return null;
  return { id: parsed.device, site: parsed.site, online: checked.value.body.online, ts: checked.value.ts };
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
