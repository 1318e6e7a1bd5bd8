import { createServer, type AddressInfo } from 'node:net';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type pg from 'pg';
import { createPool, migrate, startEmbeddedDatabase } from '@vigil/ingest';

/** A migrated embedded database with one org unit and two sites, `prison-a` and `office-b`. */
export async function startTestDatabase(): Promise<{ pool: pg.Pool; close(): Promise<void> }> {
  const db = await startEmbeddedDatabase({ port: 0 });
  const pool = createPool(db.url);
  await migrate(pool);
  await pool.query(`INSERT INTO org_units (id, level, name_en, name_zh) VALUES ('moj', 1, 'Ministry', '司法部')`);
  await pool.query(
    `INSERT INTO sites (id, org_unit_id, kind, name_en, name_zh) VALUES
       ('prison-a', 'moj', 'prison', 'Prison A', '甲监狱'), ('office-b', 'moj', 'community', 'Office B', '乙社区矫正办')`,
  );
  return {
    pool,
    async close() {
      await pool.end();
      await db.close();
    },
  };
}

/** Connect a real MQTT 3.1.1 client; resolves when connected, rejects with the CONNACK refusal (err.code = return code). */
export function connectClient(port: number, opts: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = connect({ host: '127.0.0.1', port, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5_000, ...opts });
    client.once('connect', () => {
      client.removeAllListeners('error');
      client.on('error', () => undefined);
      resolve(client);
    });
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}

/** The return code a refused CONNECT got. */
export async function refusalCode(port: number, opts: IClientOptions): Promise<number> {
  try {
    const c = await connectClient(port, opts);
    await c.endAsync();
    return 0;
  } catch (err) {
    return (err as { code: number }).code;
  }
}

/** Collect every message a client receives, by topic. */
export function collect(client: MqttClient): { topic: string; payload: string }[] {
  const got: { topic: string; payload: string }[] = [];
  client.on('message', (topic, payload) => got.push({ topic, payload: payload.toString() }));
  return got;
}

/** Resolve once `client` sees a message on `topic`, or reject after `ms`. */
export function nextMessage(client: MqttClient, topic: string, ms = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message on ${topic} within ${ms} ms`)), ms);
    const onMessage = (t: string, payload: Buffer) => {
      if (t !== topic) return;
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve(payload.toString());
    };
    client.on('message', onMessage);
  });
}

/** Resolve when the broker closes the client's connection, or reject after `ms`. */
export function closed(client: MqttClient, ms = 5_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!client.connected) return resolve();
    const timer = setTimeout(() => reject(new Error(`connection not closed within ${ms} ms`)), ms);
    client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The QoS the broker granted each filter, 128 for a refusal [MQTT-3.9.3] (mqtt.js rejects a SUBACK holding 128). */
export async function grantedQos(client: MqttClient, filters: string[]): Promise<number[]> {
  try {
    const granted = await client.subscribeAsync(filters, { qos: 1 });
    return granted.map((g) => g.qos);
  } catch (err) {
    const packet = (err as { packet?: { granted?: (number | object)[] } }).packet;
    if (packet?.granted === undefined) throw err;
    return packet.granted.map((g) => (typeof g === 'number' ? g : Number.NaN));
  }
}

/** A TCP port free on loopback right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
