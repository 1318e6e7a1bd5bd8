import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import type pg from 'pg';
import { newMessage, validate } from '@vigil/schemas';
import { registerDevice, serviceAccounts, startBroker, type RunningBroker } from '@vigil/broker';
import { createLogger } from '../src/logger.js';
import { connectClient, startTestDatabase } from './helpers.js';

const SECRETS = { ingest: 'ingest-secret-0123456789', analytics: 'analytics-secret-0123456789', commandCenter: 'cc-secret-0123456789abc' };
const TAG1 = { id: 'tag-1', siteId: 'prison-a', kind: 'tag' as const, secret: 'tag-1-secret-0123456789' };
const TAG2 = { id: 'tag-2', siteId: 'office-b', kind: 'tag' as const, secret: 'tag-2-secret-0123456789' };
const S1 = 'vigil/v1/prison-a/tag-1/status';
const S2 = 'vigil/v1/office-b/tag-2/status';

let db: { pool: pg.Pool; close(): Promise<void> };
let broker: RunningBroker;
let watcher: MqttClient;
const open: MqttClient[] = [];
let fresh = 0;

interface Status {
  payload: string;
  retain: boolean;
}

/** Every status message the watcher sees, by topic, in order. */
const seen = new Map<string, Status[]>();

/** Resolve once the watcher has seen `count` status messages on `topic`. */
async function statuses(topic: string, count: number, ms = 10_000): Promise<Status[]> {
  const deadline = Date.now() + ms;
  while ((seen.get(topic)?.length ?? 0) < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return seen.get(topic) ?? [];
}

/** A broker-made status: a valid agent.status envelope for the topic's device; returns `online`. */
function brokerStatus(topic: string, payload: string): boolean {
  const result = validate(topic, Buffer.from(payload));
  assert.ok(result.ok, payload);
  assert.equal(result.message.type, 'agent.status');
  return (result.message.body as { online: boolean }).online;
}

/** What a subscriber arriving now gets as the retained status [MQTT-3.3.1-6]. */
async function retained(topic: string): Promise<Status> {
  const c = await connectClient(broker.port, { clientId: `svc-cc-fresh-${++fresh}`, username: 'svc-command-center', password: SECRETS.commandCenter });
  try {
    const got = new Promise<Status>((resolve) => c.once('message', (_t, p, packet) => resolve({ payload: p.toString(), retain: packet.retain })));
    await c.subscribeAsync(topic, { qos: 1 });
    return await got;
  } finally {
    await c.endAsync();
  }
}

const device = async (d: { id: string; secret: string }, extra: object = {}) => {
  const c = await connectClient(broker.port, { clientId: d.id, username: d.id, password: d.secret, ...extra });
  open.push(c);
  return c;
};

before(async () => {
  db = await startTestDatabase();
  for (const d of [TAG1, TAG2]) await registerDevice(db.pool, d);
  broker = await startBroker({ port: 0, pool: db.pool, services: serviceAccounts(SECRETS), logger: createLogger('test', 'silent') });
  watcher = await connectClient(broker.port, { clientId: 'svc-cc-watcher', username: 'svc-command-center', password: SECRETS.commandCenter });
  watcher.on('message', (topic, payload, packet) => {
    const list = seen.get(topic) ?? [];
    list.push({ payload: payload.toString(), retain: packet.retain });
    seen.set(topic, list);
  });
  await watcher.subscribeAsync('vigil/v1/+/+/status', { qos: 1 });
});

after(async () => {
  await Promise.all(open.map((c) => c.endAsync(true)));
  await watcher.endAsync();
  await broker.close();
  await db.close();
});

test('a device that connects is retained online, and offline once it disconnects cleanly', async () => {
  const tag = await device(TAG1);
  const [online] = await statuses(S1, 1);
  assert.equal(brokerStatus(S1, online!.payload), true);
  const kept = await retained(S1);
  assert.equal(kept.retain, true);
  assert.equal(brokerStatus(S1, kept.payload), true);

  await tag.endAsync();
  const [, offline] = await statuses(S1, 2);
  assert.equal(brokerStatus(S1, offline!.payload), false);
  const after = await retained(S1);
  assert.equal(after.retain, true);
  assert.equal(brokerStatus(S1, after.payload), false);
  // seq grows and never starts below the broker's microsecond clock, so it cannot repeat after a restart
  const [a, b] = [online!, offline!].map((s) => JSON.parse(s.payload) as { seq: number; dev: string });
  assert.ok(b!.seq > a!.seq && a!.seq >= (Date.now() - 60_000) * 1000);
  assert.equal(a!.dev, TAG1.id);
});

test('a device that drops with its own will: the will goes out, then the broker marks it offline with a later ts', async () => {
  const will = newMessage('agent.status', TAG2.id, 1, { online: false });
  const tag = await device(TAG2, { will: { topic: S2, payload: Buffer.from(JSON.stringify(will)), qos: 1, retain: true } });
  // the device's own birth still goes through
  await tag.publishAsync(S2, JSON.stringify(newMessage('agent.status', TAG2.id, 2, { online: true, version: '1.0.0' })), { qos: 1, retain: true });
  await statuses(S2, 2);
  tag.stream.destroy(); // an unclean drop fires the will [MQTT-3.1.2-8]
  const list = await statuses(S2, 4);
  assert.deepEqual(
    list.map((s) => brokerStatus(S2, s.payload)),
    [true, true, false, false],
  );
  assert.equal(list[2]!.payload, JSON.stringify(will));
  const last = JSON.parse(list[3]!.payload) as { ts: number; id: string };
  assert.ok(last.ts >= will.ts && last.id !== will.id);
  assert.equal((await retained(S2)).payload, list[3]!.payload);
});

test('a session taken over by the same device stays online', async () => {
  const before = (await statuses(S1, 2)).length;
  await device(TAG1);
  await statuses(S1, before + 1);
  // the same client id again: aedes closes the first connection [MQTT-3.1.4-2]
  await device(TAG1);
  await statuses(S1, before + 2);
  // past the offline delay: the hand-over cancelled the old session's offline, so no flap
  await new Promise((r) => setTimeout(r, 800));
  const list = await statuses(S1, before + 2);
  assert.deepEqual(
    list.slice(before).map((s) => brokerStatus(S1, s.payload)),
    [true, true],
  );
  assert.equal(brokerStatus(S1, (await retained(S1)).payload), true);
});
