import { connect, type MqttClient } from 'mqtt';
import { ackOnReceipt } from '@vigil/ingest';
import { check, commandTopic, CommandResult, parseTopic, type CommandRequest } from '@vigil/schemas';
import { NotifyError } from '../errors.js';
import type { Channel, ChannelSink, OutgoingMessage, SendResult } from '../types.js';

/** Options of the MQTT device channel. */
export interface MqttChannelOptions {
  /** Broker URL; the command centre's service account (`svc-command-center` may publish commands and read their results). */
  url: string;
  username?: string;
  password?: string;
  clientId?: string;
  /** A command not taken by the device within this long is refused by it (`expires_at`); default 10 min. */
  commandTtlMs?: number;
}

/** The command name on `vigil/v1/<site>/<device>/cmd/notify`. */
export const NOTIFY_COMMAND = 'notify';
const RESULTS = 'vigil/v1/+/+/cmd/notify/res';

/**
 * MQTT to a device: a `CommandRequest` named `notify` on the subject's tag
 * (`args`: vibrate, the message in the recipient's language, the alert ids),
 * QoS 1. PUBACK from the broker is "sent"; the device's `CommandResult` with
 * status ok is "delivered". The command id is the outbox id, so a retry after
 * a lost PUBACK is executed once by the device.
 */
export function createMqttChannel(opts: MqttChannelOptions): Channel {
  const ttl = opts.commandTtlMs ?? 600_000;
  let sink: ChannelSink | null = null;
  const client: MqttClient = connect(opts.url, {
    protocolVersion: 4,
    clientId: opts.clientId ?? `vigil-notify-${Math.random().toString(36).slice(2, 10)}`,
    ...(opts.username !== undefined ? { username: opts.username } : {}),
    ...(opts.password !== undefined ? { password: opts.password } : {}),
    clean: true,
    reconnectPeriod: 1000,
    connectTimeout: 5000,
  });
  // PUBACKs on the socket, not through MQTT.js's connected flag (ingest/src/puback-writer.ts says why)
  ackOnReceipt(client);
  client.on('error', () => undefined);
  client.on('connect', () => client.subscribe(RESULTS, { qos: 1 }));
  client.on('message', (topic, payload) => {
    const t = parseTopic(topic);
    if (t?.kind !== 'command-result') return;
    let value: unknown;
    try {
      value = JSON.parse(payload.toString('utf8'));
    } catch {
      return;
    }
    const r = check(CommandResult, value);
    if (r.ok && r.value.status === 'ok') sink?.delivered('mqtt', r.value.id);
  });
  return {
    name: 'mqtt',
    attach(s) {
      sink = s;
    },
    async send(msg: OutgoingMessage): Promise<SendResult> {
      const [site, dev] = msg.address.split('/');
      if (!site || !dev) throw new NotifyError('VIGIL_NOTIFY_REJECTED', `mqtt address must be <site>/<device>: ${msg.address}`, { permanent: true, field: 'address' });
      if (!client.connected) throw new NotifyError('VIGIL_NOTIFY_CHANNEL_DOWN', 'mqtt: not connected to the broker');
      const extra = msg.extra ?? {};
      const fixed = extra.message as { en: string; 'zh-CN': string } | undefined;
      const now = Date.now();
      const req: CommandRequest = {
        id: msg.id,
        name: NOTIFY_COMMAND,
        ts: now,
        expires_at: now + ttl,
        by: 'svc-notify',
        args: {
          vibrate: extra.vibrate !== false,
          message: fixed ? fixed[msg.lang] : msg.text.slice(0, 160),
          alerts: msg.alerts.map((a) => a.id),
          severity: msg.alerts[0]?.severity ?? 'low',
        },
      };
      await client.publishAsync(commandTopic(site, dev, NOTIFY_COMMAND), JSON.stringify(req), { qos: 1 });
      return { providerId: msg.id };
    },
    async close() {
      await client.endAsync(true);
    },
  };
}
