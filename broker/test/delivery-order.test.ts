/**
 * A message published while an earlier one is still being stored must still reach every subscriber.
 *
 * Aedes 1.2 numbers each publish (brokerCounter) and drops a delivery whose number is not above the
 * highest it delivered to that client before (`dedupe`, meant for overlapping subscriptions). A
 * retained message is stored before it is queued and emitted, so the plain message published right
 * after it overtakes it, and the retained one was then dropped for every subscriber: a clean session
 * never got it, a persistent one kept it queued until its next connect (docs/faults.md, finding 3).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { IPublishPacket, MqttClient } from 'mqtt';
import type pg from 'pg';
import { registerDevice, serviceAccounts, startBroker, type RunningBroker, type ServiceAccount } from '@vigil/broker';
import { createLogger } from '../src/logger.js';
import { connectClient, startTestDatabase } from './helpers.js';

const SECRETS = { ingest: 'ingest-secret-0123456789', commandCenter: 'cc-secret-0123456789abc' };
const PROBE: ServiceAccount = { username: 'svc-probe', secret: 'probe-secret-0123456789', subscribe: ['#'], publish: [] };
const TAG = { id: 'order-1', siteId: 'prison-a', kind: 'tag' as const, secret: 'order-1-secret-0123456789' };
const ROUNDS = 200;

let db: { pool: pg.Pool; close(): Promise<void> };
let broker: RunningBroker;
const open: MqttClient[] = [];

before(async () => {
  db = await startTestDatabase();
  await registerDevice(db.pool, TAG);
  broker = await startBroker({ port: 0, pool: db.pool, services: [...serviceAccounts(SECRETS), PROBE], revocationPollMs: 0, logger: createLogger('test', 'silent') });
});

after(async () => {
  await Promise.all(open.map((c) => c.endAsync(true)));
  await broker.close();
  await db.close();
});

/** Publish `ROUNDS` pairs (a retained event, then at once a plain telemetry message) and return what `sub` received of them. */
async function pairs(sub: MqttClient, prefix: string): Promise<{ sent: string[]; got: Set<string> }> {
  const got = new Set<string>();
  sub.on('message', (_t, payload: Buffer, packet: IPublishPacket) => {
    if (payload.toString().startsWith(prefix)) got.add(`${packet.topic.split('/').pop()}:${payload.toString()}`);
  });
  const tag = await connectClient(broker.port, { clientId: TAG.id, username: TAG.id, password: TAG.secret });
  open.push(tag);
  const sent: string[] = [];
  const base = `vigil/v1/prison-a/${TAG.id}`;
  const acks: Promise<unknown>[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    // not awaited in between: both PUBLISHes are in the broker at once, as a device's burst after a reconnect
    acks.push(tag.publishAsync(`${base}/event`, `${prefix}${i}`, { qos: 1, retain: true }));
    acks.push(tag.publishAsync(`${base}/telemetry`, `${prefix}${i}`, { qos: 1 }));
    sent.push(`event:${prefix}${i}`, `telemetry:${prefix}${i}`);
    if (i % 20 === 19) await Promise.all(acks.splice(0));
  }
  await Promise.all(acks);
  const deadline = Date.now() + 10_000;
  while (got.size < sent.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await tag.endAsync();
  return { sent, got };
}

for (const clean of [true, false]) {
  test(`a ${clean ? 'clean' : 'persistent'} subscriber gets every message of a retained + plain burst, none dropped as a duplicate`, async () => {
    const sub = await connectClient(broker.port, { clientId: `svc-probe-order-${clean}`, username: PROBE.username, password: PROBE.secret, clean });
    open.push(sub);
    await sub.subscribeAsync(`vigil/v1/prison-a/${TAG.id}/+`, { qos: 1 });
    const { sent, got } = await pairs(sub, clean ? 'c' : 'p');
    const missing = sent.filter((m) => !got.has(m));
    assert.deepEqual(missing, [], `${missing.length} of ${sent.length} never delivered`);
  });
}

test('a message matching two of a client\'s filters is still delivered once', async () => {
  const sub = await connectClient(broker.port, { clientId: 'svc-probe-overlap', username: PROBE.username, password: PROBE.secret });
  open.push(sub);
  await sub.subscribeAsync(`vigil/v1/prison-a/${TAG.id}/#`, { qos: 1 });
  await sub.subscribeAsync(`vigil/v1/+/${TAG.id}/telemetry`, { qos: 1 });
  const copies: string[] = [];
  sub.on('message', (topic, payload: Buffer) => {
    if (topic.endsWith('/telemetry') && payload.toString().startsWith('o')) copies.push(payload.toString());
  });
  const tag = await connectClient(broker.port, { clientId: TAG.id, username: TAG.id, password: TAG.secret });
  open.push(tag);
  for (let i = 0; i < 20; i++) await tag.publishAsync(`vigil/v1/prison-a/${TAG.id}/telemetry`, `o${i}`, { qos: 1 });
  await tag.publishAsync(`vigil/v1/prison-a/${TAG.id}/event`, 'end', { qos: 1 });
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(copies, Array.from({ length: 20 }, (_, i) => `o${i}`));
});
