/**
 * MQTT 3.1.1 conformance of the Vigil broker, driven by MQTT.js (protocolVersion 4)
 * against the real broker with auth and ACL on and the embedded DB. Every client
 * is a registered device or a service account; none of these tests needs
 * `allowAnonymous`. `svc-probe` is a test-only service account allowed to
 * subscribe to `#`, which no built-in account may, so `#` matching can be seen.
 * Where MQTT.js refuses to send what the spec says a server must reject, the
 * test writes the CONNECT with mqtt-packet on a raw socket.
 */
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { after, before, test } from 'node:test';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { connect, type IClientOptions, type IConnackPacket, type IPublishPacket, type MqttClient } from 'mqtt';
import type pg from 'pg';
import { registerDevice, serviceAccounts, startBroker, type RunningBroker, type ServiceAccount } from '@vigil/broker';
import { createLogger } from '../src/logger.js';
import { closed, connectClient, startTestDatabase } from './helpers.js';

const SECRETS = { ingest: 'ingest-secret-0123456789', commandCenter: 'cc-secret-0123456789abc' };
const PROBE: ServiceAccount = { username: 'svc-probe', secret: 'probe-secret-0123456789', subscribe: ['#'], publish: [] };
const TAGS = ['std-1', 'std-2', 'std-3', 'std-4', 'std-5', 'std-6', 'std-7', 'std-8'].map((id) => ({ id, siteId: 'prison-a', kind: 'tag' as const, secret: `${id}-secret-0123456789` }));
const topicOf = (id: string, rest: string) => `vigil/v1/prison-a/${id}/${rest}`;

let db: { pool: pg.Pool; close(): Promise<void> };
let broker: RunningBroker;
const open: MqttClient[] = [];

/** A connected client with every PUBLISH it received (collected from before CONNACK) and its CONNACK. */
interface Session {
  client: MqttClient;
  connack: IConnackPacket;
  got: IPublishPacket[];
}

/** Connect, collecting messages from the first byte, so nothing sent right after CONNACK is missed. */
function session(opts: IClientOptions): Promise<Session> {
  return new Promise((resolve, reject) => {
    const client = connect({ host: '127.0.0.1', port: broker.port, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 10_000, ...opts });
    const got: IPublishPacket[] = [];
    client.on('message', (_t, _p, packet) => got.push(packet));
    client.once('connect', (connack) => {
      open.push(client);
      client.removeAllListeners('error');
      client.on('error', () => undefined);
      resolve({ client, connack, got });
    });
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}

const deviceSession = (i: number, extra: IClientOptions = {}) => {
  const t = TAGS[i]!;
  return session({ clientId: t.id, username: t.id, password: t.secret, ...extra });
};
const probe = () => session({ clientId: `svc-probe-${open.length}`, username: PROBE.username, password: PROBE.secret });
const commandCenter = () => session({ clientId: `cc-${open.length}`, username: 'svc-command-center', password: SECRETS.commandCenter });

/** Resolve once `s` holds a message with `payload` on `topic`; reject after `ms`. */
function waitFor(s: Session, topic: string, payload: string, ms = 10_000): Promise<void> {
  const has = () => s.got.some((p) => p.topic === topic && p.payload.toString() === payload);
  return new Promise((resolve, reject) => {
    if (has()) return resolve();
    const onMessage = () => {
      if (!has()) return;
      clearTimeout(timer);
      s.client.off('message', onMessage);
      resolve();
    };
    const timer = setTimeout(() => {
      s.client.off('message', onMessage);
      reject(new Error(`no ${JSON.stringify(payload)} on ${topic} within ${ms} ms`));
    }, ms);
    s.client.on('message', onMessage);
  });
}

/** Send a hand-made CONNECT on a raw socket; resolve with what the broker sent back before it closed (or `ms` passed). */
function rawConnect(packet: Record<string, unknown>, opts: { cleanBitOff?: boolean; ms?: number; then?: Packet[] } = {}): Promise<{ packets: Packet[]; closedByBroker: boolean }> {
  return new Promise((resolve) => {
    const socket = netConnect(broker.port, '127.0.0.1');
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const packets: Packet[] = [];
    let closedByBroker = true;
    parser.on('packet', (p) => packets.push(p));
    socket.on('data', (d) => parser.parse(d));
    socket.on('error', () => undefined);
    const timer = setTimeout(() => ((closedByBroker = false), socket.destroy()), opts.ms ?? 10_000);
    socket.on('close', () => (clearTimeout(timer), resolve({ packets, closedByBroker })));
    const bytes = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, keepalive: 30, clean: true, ...packet } as Packet);
    // mqtt-packet will not encode clean session 0 with an empty id, so clear the flag by hand (byte 9: connect flags, bit 1)
    if (opts.cleanBitOff === true) bytes[9] = bytes[9]! & ~0x02;
    socket.write(bytes);
    for (const p of opts.then ?? []) socket.write(mqttPacket.generate(p));
  });
}

before(async () => {
  db = await startTestDatabase();
  for (const t of TAGS) await registerDevice(db.pool, t);
  broker = await startBroker({ port: 0, pool: db.pool, services: [...serviceAccounts(SECRETS), PROBE], revocationPollMs: 0, logger: createLogger('test', 'silent') });
});

after(async () => {
  await Promise.all(open.map((c) => c.endAsync(true)));
  await broker.close();
  await db.close();
});

test('retained: stored, sent with RETAIN 1 to a new subscriber, RETAIN 0 to an existing one, cleared by an empty payload [MQTT-3.3.1-5..11]', async () => {
  // not `status`: the broker publishes its own retained presence there (presence.ts)
  const status = topicOf('std-1', 'event');
  const tag = await deviceSession(0);
  const early = await probe();
  await early.client.subscribeAsync(status, { qos: 1 });
  await tag.client.publishAsync(status, 'online', { qos: 1, retain: true });
  await waitFor(early, status, 'online');
  // delivered to an established subscription: RETAIN 0 [MQTT-3.3.1-9]
  assert.equal(early.got.find((p) => p.topic === status)?.retain, false);
  // stored and sent to a later subscriber with RETAIN 1 [MQTT-3.3.1-5] [MQTT-3.3.1-6] [MQTT-3.3.1-8]
  const late = await probe();
  await late.client.subscribeAsync(status, { qos: 1 });
  await waitFor(late, status, 'online');
  assert.deepEqual(late.got.map((p) => [p.payload.toString(), p.retain]), [['online', true]]);
  // a zero-byte retained message removes it and is not itself stored [MQTT-3.3.1-10] [MQTT-3.3.1-11]
  await tag.client.publishAsync(status, '', { qos: 1, retain: true });
  const after = await probe();
  await after.client.subscribeAsync(status, { qos: 1 });
  await tag.client.publishAsync(status, 'live', { qos: 1 });
  await waitFor(after, status, 'live');
  assert.deepEqual(after.got.map((p) => [p.payload.toString(), p.retain]), [['live', false]]);
});

test('will: published when the connection drops, not after DISCONNECT [MQTT-3.1.2-8] [MQTT-3.1.2-10]', async () => {
  const status = topicOf('std-2', 'event');
  const watcher = await probe();
  await watcher.client.subscribeAsync(status, { qos: 1 });
  const will = { topic: status, payload: Buffer.from('gone'), qos: 1 as const, retain: false };
  const polite = await deviceSession(1, { will });
  await polite.client.endAsync();
  const rude = await deviceSession(1, { will: { ...will, payload: Buffer.from('dropped') } });
  await rude.client.publishAsync(status, 'fence', { qos: 1 });
  rude.client.stream.destroy();
  await waitFor(watcher, status, 'dropped');
  assert.deepEqual(watcher.got.map((p) => p.payload.toString()), ['fence', 'dropped']);
});

test('persistent session: subscriptions kept and QoS 1 messages queued while offline, SESSION PRESENT set [MQTT-3.1.2-4] [MQTT-3.1.2-5] [MQTT-3.2.2-2]', async () => {
  const cmd = topicOf('std-3', 'cmd/locate');
  const first = await deviceSession(2, { clean: false });
  assert.equal(first.connack.sessionPresent, false); // no stored session yet [MQTT-3.2.2-3]
  await first.client.subscribeAsync(topicOf('std-3', 'cmd/#'), { qos: 1 });
  await first.client.endAsync();
  const cc = await commandCenter();
  for (const n of ['1', '2', '3']) await cc.client.publishAsync(cmd, n, { qos: 1 });
  const back = await deviceSession(2, { clean: false });
  assert.equal(back.connack.sessionPresent, true);
  await waitFor(back, cmd, '3');
  // in the order published [MQTT-4.6.0-5]
  assert.deepEqual(back.got.map((p) => p.payload.toString()), ['1', '2', '3']);
  await back.client.endAsync();
  // clean session 1 discards the session [MQTT-3.1.2-6] [MQTT-3.2.2-1]
  const clean = await deviceSession(2, { clean: true });
  assert.equal(clean.connack.sessionPresent, false);
  await clean.client.endAsync();
  const fresh = await deviceSession(2, { clean: false });
  assert.equal(fresh.connack.sessionPresent, false);
});

/** Subscribe `svc-probe` to two overlapping filters (QoS 0 first, QoS 1 second), publish one QoS 1 message, return the copies received. */
async function overlapping(device: number): Promise<IPublishPacket[]> {
  const id = TAGS[device]!.id;
  const svc = await probe();
  await svc.client.subscribeAsync(`vigil/v1/prison-a/${id}/#`, { qos: 0 });
  await svc.client.subscribeAsync('vigil/v1/+/+/telemetry', { qos: 1 });
  const tag = await deviceSession(device);
  await tag.client.publishAsync(topicOf(id, 'telemetry'), 'both', { qos: 1 });
  await tag.client.publishAsync(topicOf(id, 'event'), 'fence', { qos: 1 });
  await waitFor(svc, topicOf(id, 'event'), 'fence');
  return svc.got.filter((p) => p.topic === topicOf(id, 'telemetry'));
}

test('overlapping subscriptions: a message matching two filters is delivered, at most once per filter [MQTT-3.3.5-1]', async () => {
  const copies = await overlapping(3);
  assert.ok(copies.length >= 1 && copies.length <= 2, `copies: ${JSON.stringify(copies)}`);
  assert.deepEqual([...new Set(copies.map((p) => p.payload.toString()))], ['both']);
});

test('overlapping subscriptions: delivered at the highest QoS of the matching subscriptions [MQTT-3.3.5-1]', { todo: 'aedes 1.2 keeps the copy of whichever subscription matches first (here QoS 0); see the report' }, async () => {
  const copies = await overlapping(7);
  assert.ok(copies.some((p) => p.qos === 1), `QoS of the copies: ${JSON.stringify(copies.map((p) => p.qos))}`);
});

test('keepalive: PINGREQ answered; a silent client is disconnected after 1.5 × keepalive and its will fires [MQTT-3.1.2-24] [MQTT-3.12.4-1]', async () => {
  const status = topicOf('std-5', 'status');
  const watcher = await probe();
  await watcher.client.subscribeAsync(status, { qos: 1 });
  const t = TAGS[4]!;
  const { packets, closedByBroker } = await rawConnect(
    { clientId: t.id, username: t.id, password: Buffer.from(t.secret), keepalive: 1, will: { topic: status, payload: Buffer.from('timed-out'), qos: 1, retain: false } },
    { then: [{ cmd: 'pingreq' }] },
  );
  assert.deepEqual(packets.map((p) => p.cmd), ['connack', 'pingresp']);
  assert.equal((packets[0] as IConnackPacket).returnCode, 0);
  assert.equal(closedByBroker, true);
  await waitFor(watcher, status, 'timed-out');
  // a client that keeps pinging stays connected well past 1.5 × keepalive [MQTT-3.1.2-23]
  const alive = await deviceSession(4, { keepalive: 1 });
  await new Promise((r) => setTimeout(r, 3_500));
  assert.equal(alive.client.connected, true);
});

test('redelivery: an unacknowledged QoS 1 message is sent again, same packet id, when the session resumes [MQTT-4.4.0-1] [MQTT-2.3.1-4]', async () => {
  const cmd = topicOf('std-6', 'cmd/reboot');
  const first = await deviceSession(5, { clean: false });
  await first.client.subscribeAsync(topicOf('std-6', 'cmd/#'), { qos: 1 });
  // withhold the PUBACK: MQTT.js acks only once handleMessage calls back
  const unacked = new Promise<IPublishPacket>((resolve) => {
    first.client.handleMessage = (packet) => resolve(packet as IPublishPacket);
  });
  const cc = await commandCenter();
  await cc.client.publishAsync(cmd, 'once', { qos: 1 });
  const original = await unacked;
  first.client.stream.destroy();
  await closed(first.client);
  const back = await deviceSession(5, { clean: false });
  await waitFor(back, cmd, 'once');
  const again = back.got.filter((p) => p.topic === cmd);
  assert.equal(again.length, 1);
  assert.equal(again[0]!.qos, 1);
  assert.equal(again[0]!.messageId, original.messageId);
});

test('redelivery sets DUP 1 [MQTT-3.3.1-1]', async () => {
  const cmd = topicOf('std-7', 'cmd/reboot');
  const first = await deviceSession(6, { clean: false });
  await first.client.subscribeAsync(topicOf('std-7', 'cmd/#'), { qos: 1 });
  const unacked = new Promise<void>((resolve) => {
    first.client.handleMessage = () => resolve();
  });
  const cc = await commandCenter();
  await cc.client.publishAsync(cmd, 'dup', { qos: 1 });
  await unacked;
  first.client.stream.destroy();
  await closed(first.client);
  const back = await deviceSession(6, { clean: false });
  await waitFor(back, cmd, 'dup');
  assert.equal(back.got.find((p) => p.topic === cmd)?.dup, true);
});

test('$ topics are not matched by a filter starting with a wildcard [MQTT-4.7.2-1]', async () => {
  const svc = await probe();
  await svc.client.subscribeAsync(['#', '+/+/+/+'], { qos: 0 });
  // each CONNECT makes aedes publish $SYS/<broker>/new/clients; a `#` subscriber must not see it
  // (Aedes' matcher and Vigil's canReceive both hold to this; the test sees what a client sees)
  const tag = await deviceSession(0);
  await tag.client.publishAsync(topicOf('std-1', 'telemetry'), 'fence', { qos: 1 });
  await waitFor(svc, topicOf('std-1', 'telemetry'), 'fence');
  assert.deepEqual(svc.got.filter((p) => p.topic.startsWith('$')), []);
  assert.ok(svc.got.some((p) => p.topic === topicOf('std-1', 'telemetry')));
});

test('unsubscribe: UNSUBACK, then no more messages for that filter; UNSUBACK even for an unknown filter [MQTT-3.10.4-1] [MQTT-3.10.4-4] [MQTT-3.10.4-5]', async () => {
  const telemetry = topicOf('std-2', 'telemetry');
  const event = topicOf('std-2', 'event');
  const ingest = await session({ clientId: 'svc-ingest-std', username: 'svc-ingest', password: SECRETS.ingest });
  await ingest.client.subscribeAsync([telemetry, event], { qos: 1 });
  const tag = await deviceSession(1);
  await tag.client.publishAsync(telemetry, 'before', { qos: 1 });
  await waitFor(ingest, telemetry, 'before');
  await ingest.client.unsubscribeAsync(telemetry);
  await ingest.client.unsubscribeAsync('vigil/v1/nowhere/none/telemetry');
  await tag.client.publishAsync(telemetry, 'after', { qos: 1 });
  await tag.client.publishAsync(event, 'fence', { qos: 1 });
  await waitFor(ingest, event, 'fence');
  assert.deepEqual(ingest.got.map((p) => p.payload.toString()), ['before', 'fence']);
});

test('zero-length client id: accepted with clean session 1, each given its own id [MQTT-3.1.3-6]', async () => {
  const t = TAGS[2]!;
  const a = await connectClient(broker.port, { clientId: '', clean: true, username: t.id, password: t.secret });
  const b = await connectClient(broker.port, { clientId: '', clean: true, username: t.id, password: t.secret });
  open.push(a, b);
  // had they been given the same id, the second would have taken over and closed the first [MQTT-3.1.4-2]
  const watcher = await probe();
  await watcher.client.subscribeAsync([topicOf(t.id, 'telemetry'), topicOf(t.id, 'event')], { qos: 1 });
  await a.publishAsync(topicOf(t.id, 'telemetry'), 'from-a', { qos: 1 });
  await b.publishAsync(topicOf(t.id, 'event'), 'from-b', { qos: 1 });
  await waitFor(watcher, topicOf(t.id, 'event'), 'from-b');
  assert.equal(a.connected && b.connected, true);
  assert.deepEqual(watcher.got.map((p) => p.payload.toString()), ['from-a', 'from-b']);
});

test('zero-length client id with clean session 0: CONNACK 2 and the connection closed [MQTT-3.1.3-8] [MQTT-3.2.2-4] [MQTT-3.2.2-5]', async () => {
  const t = TAGS[2]!;
  const { packets, closedByBroker } = await rawConnect({ clientId: '', username: t.id, password: Buffer.from(t.secret) }, { cleanBitOff: true });
  assert.deepEqual(packets.map((p) => [p.cmd, (p as IConnackPacket).returnCode, (p as IConnackPacket).sessionPresent]), [['connack', 2, false]]);
  assert.equal(closedByBroker, true);
});
