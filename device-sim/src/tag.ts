import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { deviceTopic, newMessage } from '@vigil/schemas';
import { createLogger } from './logger.js';
import { offset, positionAt, seededRandom, type Route } from './route.js';

/** Options of one simulated cellular tag publishing MQTT directly. */
export interface SimTagOptions {
  mqttUrl: string;
  site: string;
  id: string;
  secret: string;
  route: Route;
  /** Time between fixes. */
  fixIntervalMs: number;
  /** A health report every this many fixes. */
  healthEveryFixes: number;
  /** Typical GPS error; each fix is moved by up to this much. */
  noiseM: number;
  /** Accuracy the tag reports with each fix. */
  accuracyM: number;
  seed: number;
  logger?: Logger;
}

/** A running simulated tag. */
export interface SimTag {
  readonly id: string;
  published(): number;
  close(): Promise<void>;
}

/**
 * A simulated tag: connects as its device with id and secret, then every
 * `fixIntervalMs` publishes a `tag.fix` along its route (QoS 1), and a
 * `tag.health` now and then. `seq` starts from the clock in microseconds so
 * it never repeats across restarts.
 */
export async function startSimTag(opts: SimTagOptions): Promise<SimTag> {
  const log = opts.logger ?? createLogger(`tag:${opts.id}`);
  const rand = seededRandom(opts.seed);
  const started = Date.now();
  let seq = started * 1000;
  let count = 0;
  let battery = 100;
  const client: MqttClient = mqtt.connect(opts.mqttUrl, {
    protocolVersion: 4,
    clientId: opts.id,
    username: opts.id,
    password: opts.secret,
    clean: false,
    reconnectPeriod: 2000,
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  client.on('error', (err) => log.warn({ err: err.message }, 'mqtt error'));

  const telemetry = deviceTopic(opts.site, opts.id, 'telemetry');
  const tick = () => {
    const now = Date.now();
    const p = offset(positionAt(opts.route, now - started), rand() * opts.noiseM, rand() * 360);
    const fix = newMessage('tag.fix', opts.id, seq++, { lat: p.lat, lon: p.lon, acc_m: opts.accuracyM, speed_mps: opts.route.speedMps, src: 'gps' }, now);
    client.publish(telemetry, JSON.stringify(fix), { qos: 1 });
    count++;
    if (count % opts.healthEveryFixes === 0) {
      battery = Math.max(5, battery - 0.5);
      const health = newMessage('tag.health', opts.id, seq++, { battery_pct: battery, rssi_dbm: -70 - Math.round(rand() * 30) }, now);
      client.publish(telemetry, JSON.stringify(health), { qos: 1 });
    }
  };
  tick();
  const timer = setInterval(tick, opts.fixIntervalMs);
  return {
    id: opts.id,
    published: () => count,
    async close() {
      clearInterval(timer);
      await client.endAsync();
    },
  };
}
