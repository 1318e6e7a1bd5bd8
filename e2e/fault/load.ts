import mqtt, { type MqttClient } from 'mqtt';
import { deviceTopic, newMessage } from '@vigil/schemas';

/** What the publishers know of one message they sent: the envelope id, and when the broker acknowledged it (PUBACK). */
export interface SentRecord {
  id: string;
  dev: string;
  type: 'tag.fix' | 'tag.tamper';
  /** Which fault window it was sent in. */
  window: number;
  sentAt: number;
  ackedAt?: number;
}

/** Options of the simulated load. */
export interface LoadOptions {
  mqttUrl: string;
  secret: string;
  site: string;
  prefix: string;
  tags: number;
  intervalMs: number;
  /** Where the fixes are (far from every demo zone, so only the scripted events raise alerts). */
  centre: { lat: number; lon: number };
}

/** Tags publishing fixes on their own MQTT connections, keeping a log of every envelope id sent and acknowledged. */
export interface LoadRun {
  log: Map<string, SentRecord>;
  /** Messages are counted in this window from now on. */
  setWindow(window: number): void;
  /** Publish a strap-tamper event from one load tag (the scripted alert of a fault window). */
  tamper(index: number): SentRecord;
  deviceId(index: number): string;
  /** Publishes not yet acknowledged. */
  pending(): number;
  /** Stop publishing (the clients stay connected so pending messages can still be acknowledged). */
  pause(): void;
  close(): Promise<void>;
}

/**
 * Each tag connects as itself (MQTT 3.1.1, QoS 1). Acknowledgement semantics:
 * mqtt.js keeps every unacknowledged QoS 1 publish in its outgoing store and
 * sends it again (DUP) after a reconnect, and queues publishes made while
 * offline; so a message is "acked" once its PUBACK arrives, whenever that is,
 * and one still unacknowledged at the end is reported as such, never as lost.
 */
export async function startLoad(o: LoadOptions): Promise<LoadRun> {
  const log = new Map<string, SentRecord>();
  const clients: MqttClient[] = [];
  const seq: number[] = [];
  let window = 0;
  let pendingCount = 0;
  const base = Date.now() * 1000;
  const deviceId = (i: number) => `${o.prefix}-${String(i).padStart(5, '0')}`;
  const connectOne = (i: number) =>
    new Promise<MqttClient>((resolve, reject) => {
      const id = deviceId(i);
      const c = mqtt.connect(o.mqttUrl, { protocolVersion: 4, clientId: id, username: id, password: o.secret, clean: true, reconnectPeriod: 1000, connectTimeout: 30_000, keepalive: 60 });
      c.once('connect', () => resolve(c));
      c.on('error', (err: Error & { code?: unknown }) => {
        if (typeof err.code === 'number') reject(new Error(`${id}: refused (${err.message})`));
      });
    });
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(50, o.tags) }, async () => {
      while (next < o.tags) {
        const i = next++;
        clients[i] = await connectOne(i);
        seq[i] = base;
      }
    }),
  );
  const publish = (i: number, type: SentRecord['type'], body: Record<string, unknown>): SentRecord => {
    const dev = deviceId(i);
    const msg = newMessage(type, dev, seq[i]!++, body as never);
    const rec: SentRecord = { id: msg.id, dev, type, window, sentAt: Date.now() };
    log.set(msg.id, rec);
    pendingCount++;
    const channel = type === 'tag.fix' ? 'telemetry' : 'event';
    clients[i]!.publish(deviceTopic(o.site, dev, channel), JSON.stringify(msg), { qos: 1 }, (err) => {
      if (err) return; // left unacknowledged: counted as such
      pendingCount--;
      rec.ackedAt = Date.now();
    });
    return rec;
  };
  // each tag fixes once per interval, the tags spread evenly over it
  const t0 = Date.now();
  const lastSlot = new Array<number>(o.tags).fill(-1);
  let paused = false;
  const tick = setInterval(() => {
    if (paused) return;
    const now = Date.now() - t0;
    for (let i = 0; i < o.tags; i++) {
      const slot = Math.floor((now - (i * o.intervalMs) / o.tags) / o.intervalMs);
      if (slot <= lastSlot[i]!) continue;
      lastSlot[i] = slot;
      const jitter = ((i * 7919 + slot * 104729) % 1000) / 1e6;
      publish(i, 'tag.fix', { lat: o.centre.lat + jitter + (i % 100) / 1e4, lon: o.centre.lon + jitter + Math.floor(i / 100) / 1e4, acc_m: 5 });
    }
  }, 50);
  return {
    log,
    setWindow: (w) => void (window = w),
    tamper: (i) => publish(i, 'tag.tamper', { what: 'strap', active: true }),
    deviceId,
    pending: () => pendingCount,
    pause: () => void (paused = true),
    async close() {
      clearInterval(tick);
      await Promise.all(clients.map((c) => c.endAsync(true)));
    },
  };
}
