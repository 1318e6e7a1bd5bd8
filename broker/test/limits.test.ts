import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import type pg from 'pg';
import { serviceAccounts, startBroker, type BrokerLimits, type RunningBroker } from '@vigil/broker';
import { createLogger } from '../src/logger.js';
import { generate } from 'mqtt-packet';
import { closed, connectClient, startTestDatabase } from './helpers.js';
import { closeRaw, connectPacket, nextPacket, rawConnect, rawConnection } from './raw-mqtt.js';

const SECRETS = { ingest: 'ingest-secret-0123456789', analytics: 'analytics-secret-0123456789', commandCenter: 'cc-secret-0123456789abc' };
const ALERTS = 'vigil/v1/prison-a/alerts';
const LIMITS: Partial<BrokerLimits> = {
  maxPacketBytes: 4_096,
  maxTopicBytes: 64,
  maxTopicLevels: 4,
  messagesPerClientPerSecond: 20,
  messageBurstPerClient: 20,
  connectionsPerIpPerSecond: 1_000,
  maxInflightPerClient: 5,
  maxQueuedPacketsPerClient: 10,
};

let db: { pool: pg.Pool; close(): Promise<void> };
const brokers: RunningBroker[] = [];
let broker: RunningBroker;
let cc: MqttClient;
const open: MqttClient[] = [];
let n = 0;

const start = async (limits: Partial<BrokerLimits>, ws?: { port: number }) => {
  const b = await startBroker({ port: 0, pool: db.pool, services: serviceAccounts(SECRETS), limits, ...(ws ? { ws } : {}), logger: createLogger('limits-test', 'silent') });
  brokers.push(b);
  return b;
};
const analytics = async (b = broker) => {
  const c = await connectClient(b.port, { clientId: `analytics-${++n}`, username: 'svc-analytics', password: SECRETS.analytics });
  open.push(c);
  return c;
};
/** Resolve once `client` receives `payload` on `topic` (other messages may come first), or reject after `ms`. */
const receives = (client: MqttClient, topic: string, payload: string, ms = 15_000) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${payload} not received on ${topic} within ${ms} ms`)), ms);
    const onMessage = (t: string, p: Buffer) => {
      if (t !== topic || p.toString() !== payload) return;
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve();
    };
    client.on('message', onMessage);
  });
/** Publish one message and wait until the command centre has it: the broker still serves both. */
const roundTrip = async (publisher: MqttClient, payload: string, topic = ALERTS) => {
  const got = receives(cc, topic, payload);
  await publisher.publishAsync(topic, payload, { qos: 1 });
  await got;
};
const delta = (b: RunningBroker, from: number) => b.metrics().limitDisconnects - from;

before(async () => {
  db = await startTestDatabase();
  broker = await start(LIMITS);
  cc = await connectClient(broker.port, { clientId: 'cc-1', username: 'svc-command-center', password: SECRETS.commandCenter });
  open.push(cc);
  await cc.subscribeAsync('vigil/v1/+/alerts', { qos: 1 });
});

after(async () => {
  await Promise.all(open.map((c) => c.endAsync(true)));
  for (const b of brokers) await b.close();
  await db?.close();
});

test('an oversize PUBLISH disconnects only its sender; another client keeps publishing and receiving', async () => {
  const from = broker.metrics().limitDisconnects;
  const good = await analytics();
  const bad = await analytics();
  await roundTrip(good, 'before');
  bad.publish(ALERTS, Buffer.alloc(5_000, 0x61), { qos: 0 });
  await closed(bad, 15_000);
  assert.equal(delta(broker, from), 1);
  await roundTrip(good, 'after');
  assert.ok(cc.connected && good.connected);
});

test('over WebSocket too, an oversize packet disconnects only its sender', async () => {
  const b = await start(LIMITS, { port: 0 });
  assert.ok(b.wsPort !== undefined);
  const from = b.metrics().limitDisconnects;
  const ws = (clientId: string, username: string, password: string) => connectClient(0, { protocol: 'ws', host: '127.0.0.1', port: b.wsPort, path: '/', clientId, username, password });
  const listener = await ws('cc-ws', 'svc-command-center', SECRETS.commandCenter);
  const good = await ws('analytics-ws-1', 'svc-analytics', SECRETS.analytics);
  const bad = await ws('analytics-ws-2', 'svc-analytics', SECRETS.analytics);
  open.push(listener, good, bad);
  await listener.subscribeAsync('vigil/v1/+/alerts', { qos: 1 });
  bad.publish(ALERTS, Buffer.alloc(5_000, 0x61), { qos: 0 });
  await closed(bad, 15_000);
  assert.equal(delta(b, from), 1);
  const got = receives(listener, ALERTS, 'ws-after');
  await good.publishAsync(ALERTS, 'ws-after', { qos: 1 });
  await got;
});

test('a Remaining Length of 256 MiB is cut on its header, before any body arrives', async () => {
  const from = broker.metrics().limitDisconnects;
  const { conn, returnCode } = await rawConnect(broker.port, { clientId: 'raw-huge', username: 'svc-analytics', password: Buffer.from(SECRETS.analytics) });
  assert.equal(returnCode, 0);
  // PUBLISH QoS 0 announcing 268 435 455 bytes [MQTT-2.2.3], then nothing
  conn.socket.write(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]));
  await conn.closed;
  assert.equal(delta(broker, from), 1);
  const good = await analytics();
  await roundTrip(good, 'still-serving');
});

test('a topic too long or too deep is refused by disconnecting, in PUBLISH, SUBSCRIBE and the will', async () => {
  const from = broker.metrics().limitDisconnects;
  const refusedPublish = broker.metrics().refusedPublish;
  const long = await analytics();
  long.publish(`vigil/v1/${'x'.repeat(60)}/alerts`, 'x', { qos: 1 });
  await closed(long, 15_000);
  const deep = await analytics();
  deep.publish(`${ALERTS}/a`, 'x', { qos: 1 });
  await closed(deep, 15_000);
  const subscriber = await connectClient(broker.port, { clientId: 'cc-deep', username: 'svc-command-center', password: SECRETS.commandCenter });
  open.push(subscriber);
  subscriber.subscribe('vigil/v1/+/alerts/#', { qos: 1 });
  await closed(subscriber, 15_000);
  // a will topic over the limit: the CONNECT gets no CONNACK
  const will = await rawConnect(broker.port, {
    clientId: 'raw-will',
    username: 'svc-analytics',
    password: Buffer.from(SECRETS.analytics),
    will: { topic: `vigil/v1/prison-a/${'w'.repeat(60)}`, payload: Buffer.from('gone'), qos: 0, retain: false },
  });
  assert.equal(will.returnCode, undefined);
  await will.conn.closed;
  assert.equal(delta(broker, from), 4);
  assert.equal(broker.metrics().refusedPublish, refusedPublish, 'refused as limits, before the topic rules');
  // at the limits exactly is fine: 4 levels, 64 bytes
  const topic = `vigil/v1/${'s'.repeat(64 - 'vigil/v1//alerts'.length)}/alerts`;
  assert.equal(Buffer.byteLength(topic), 64);
  await roundTrip(await analytics(), 'edge', topic);
  assert.equal(delta(broker, from), 4);
});

test('the limits Aedes enforces itself are logged and counted too: QoS 2 in flight, packets queued before CONNACK', async () => {
  const from = broker.metrics().limitDisconnects;
  const { conn, returnCode } = await rawConnect(broker.port, { clientId: 'raw-qos2', username: 'svc-analytics', password: Buffer.from(SECRETS.analytics) });
  assert.equal(returnCode, 0);
  // six QoS 2 PUBLISHes whose PUBREL never comes, against a window of five [MQTT-4.3.3]
  for (let id = 1; id <= 6; id += 1) conn.socket.write(generate({ cmd: 'publish', topic: ALERTS, payload: Buffer.from(`q2-${id}`), qos: 2, retain: false, dup: false, messageId: id }));
  await conn.closed;
  assert.equal(delta(broker, from), 1);
  // CONNECT and twenty PINGREQs in one write: they queue while the CONNECT is authenticated
  const queued = await rawConnection(broker.port);
  queued.socket.write(Buffer.concat([connectPacket({ clientId: 'raw-queue', username: 'svc-analytics', password: Buffer.from(SECRETS.analytics) }), ...Array.from({ length: 20 }, () => generate({ cmd: 'pingreq' }))]));
  await queued.closed;
  assert.equal(delta(broker, from), 2);
});

test('a flood of publishes over the per-client rate disconnects the flooder; a normal client is unaffected', async () => {
  const from = broker.metrics().limitDisconnects;
  const normal = await analytics();
  const flooder = await analytics();
  const seen: string[] = [];
  cc.on('message', (_topic, payload) => seen.push(payload.toString()));
  await roundTrip(normal, 'normal-0');
  for (let i = 0; i < 300; i += 1) flooder.publish(ALERTS, `flood-${i}`, { qos: 0 });
  await closed(flooder, 15_000);
  for (let i = 1; i <= 5; i += 1) await roundTrip(normal, `normal-${i}`);
  assert.equal(delta(broker, from), 1);
  const flooded = seen.filter((p) => p.startsWith('flood-')).length;
  assert.ok(flooded < 300, `the flood was cut short (${flooded} of 300 delivered)`);
  assert.ok(normal.connected && cc.connected);
});

test('connections from one address beyond its rate are refused; the refusals are counted', async () => {
  const b = await start({ connectionsPerIpPerSecond: 2, connectionBurstPerIp: 3 });
  const from = b.metrics().limitDisconnects;
  let accepted = 0;
  let refused = 0;
  for (let i = 0; i < 10; i += 1) {
    const { conn, returnCode } = await rawConnect(b.port, { clientId: `burst-${i}`, username: 'svc-analytics', password: Buffer.from(SECRETS.analytics) });
    if (returnCode === 0) accepted += 1;
    else {
      assert.equal(returnCode, undefined, 'refused by closing, not by CONNACK');
      refused += 1;
    }
    await closeRaw(conn);
  }
  assert.ok(accepted >= 3, `the burst of 3 was let in (accepted ${accepted})`);
  assert.ok(refused >= 1, `some were refused (accepted ${accepted})`);
  assert.equal(delta(b, from), refused);
});

test('a subscriber that stops reading is dropped as a slow consumer after the drain timeout', async () => {
  const b = await start({ slowConsumerDrainTimeoutMs: 300, maxPacketBytes: 1_048_576, messagesPerClientPerSecond: 100_000 });
  const from = b.metrics().limitDisconnects;
  const { conn, returnCode } = await rawConnect(b.port, { clientId: 'slow-cc', username: 'svc-command-center', password: Buffer.from(SECRETS.commandCenter) });
  assert.equal(returnCode, 0);
  conn.socket.write(generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'vigil/v1/+/alerts', qos: 0 }] }));
  assert.equal((await nextPacket(conn, 'suback'))?.cmd, 'suback');
  conn.socket.pause();
  const publisher = await analytics(b);
  const big = Buffer.alloc(256 * 1_024, 0x62);
  // enough to fill the socket buffers on both sides of the loopback, whatever the kernel's autotuning
  for (let i = 0; i < 400 && b.metrics().limitDisconnects === from; i += 1) await publisher.publishAsync(ALERTS, big, { qos: 0 });
  while (b.metrics().limitDisconnects === from) await new Promise((r) => setTimeout(r, 50));
  assert.equal(delta(b, from), 1);
  assert.ok(publisher.connected, 'the publisher is not punished for the slow reader');
  await closeRaw(conn);
});
