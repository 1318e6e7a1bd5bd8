import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { deviceTopic, newMessage } from '@vigil/schemas';
import { channelOf, type SimEvent } from '../events.js';

/** Options of the MQTT output: each device connects as itself, as a cellular tag does. */
export interface MqttSinkOptions {
  url: string;
  /** The device's secret (the broker has no anonymous devices). */
  secretFor(deviceId: string): string;
  /** First `seq` of every device; default: the wall clock in µs, so seq never repeats across runs. */
  seqBase?: number;
  /** Persistent sessions (false for load runs: the broker keeps no state per tag). Default true. */
  persistent?: boolean;
  /** How many connections may be opening at once. Default 50 (each costs the broker a scrypt verification). */
  connectConcurrency?: number;
  logger: Logger;
}

/** Counters of what the MQTT output did. */
export interface MqttSinkStats {
  connected: number;
  /** Handed to a client. */
  sent: number;
  /** PUBACK received. */
  acked: number;
  /** Publish callbacks with an error, and connection errors once connected. */
  errors: number;
  /** Connection attempts that failed before the first CONNACK (reset, timeout) and were retried. */
  connectRetries: number;
  lastError: string | null;
}

/** The MQTT output of a fleet. */
export interface MqttSink {
  connect(devices: ReadonlyArray<{ id: string }>): Promise<void>;
  send(ev: SimEvent): Promise<void>;
  stats(): MqttSinkStats;
  close(): Promise<void>;
}

/**
 * One MQTT 3.1.1 connection per device (client id and username = device id),
 * QoS 1 `newMessage` envelopes on `deviceTopic(site, dev, telemetry|event)`.
 * `send` resolves when the message is handed to the client (not on PUBACK:
 * a stepping fleet must not wait on the network); acks and errors are counted.
 */
export function createMqttSink(opts: MqttSinkOptions): MqttSink {
  const clients = new Map<string, MqttClient>();
  const seq = new Map<string, number>();
  const base = opts.seqBase ?? Date.now() * 1000;
  const stats: MqttSinkStats = { connected: 0, sent: 0, acked: 0, errors: 0, connectRetries: 0, lastError: null };
  const fail = (msg: string) => {
    stats.errors++;
    if (stats.lastError === null || stats.errors % 1000 === 1) opts.logger.warn({ err: msg, errors: stats.errors }, 'mqtt publish error');
    stats.lastError = msg;
  };
  const connectOne = (id: string) =>
    new Promise<void>((resolve, reject) => {
      const client = mqtt.connect(opts.url, {
        protocolVersion: 4,
        clientId: id,
        username: id,
        password: opts.secretFor(id),
        clean: opts.persistent === false,
        reconnectPeriod: 2000,
        connectTimeout: 30_000,
        keepalive: 120,
      });
      // a refused login (CONNACK code) fails the run; a reset or timeout is retried by mqtt.js
      const onError = (err: Error & { code?: unknown }) => {
        if (typeof err.code === 'number') {
          client.end(true);
          reject(new Error(`${id}: connection refused (${err.message})`));
        } else {
          stats.connectRetries++;
          stats.lastError = `${id}: ${err.message}`;
        }
      };
      client.once('connect', () => {
        stats.connected++;
        client.removeListener('error', onError);
        client.on('error', (err) => fail(`${id}: ${err.message}`));
        resolve();
      });
      client.on('error', onError);
      clients.set(id, client);
    });
  return {
    async connect(devices) {
      let next = 0;
      const worker = async () => {
        while (next < devices.length) await connectOne(devices[next++]!.id);
      };
      await Promise.all(Array.from({ length: Math.min(opts.connectConcurrency ?? 50, devices.length) }, worker));
    },
    send(ev) {
      const client = clients.get(ev.dev);
      if (!client) {
        fail(`${ev.dev}: not connected`);
        return Promise.resolve();
      }
      const n = seq.get(ev.dev) ?? base;
      seq.set(ev.dev, n + 1);
      const msg = newMessage(ev.type, ev.dev, n, ev.body as never, ev.ts);
      stats.sent++;
      client.publish(deviceTopic(ev.site, ev.dev, channelOf(ev)), JSON.stringify(msg), { qos: 1 }, (err) => {
        if (err) fail(`${ev.dev}: ${err.message}`);
        else stats.acked++;
      });
      return Promise.resolve();
    },
    stats: () => ({ ...stats }),
    async close() {
      await Promise.all([...clients.values()].map((c) => c.endAsync()));
      clients.clear();
    },
  };
}
