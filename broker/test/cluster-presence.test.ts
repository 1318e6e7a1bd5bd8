import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import type pg from 'pg';
import { registerDevice, serviceAccounts, startBroker, type RunningBroker } from '@vigil/broker';
import { createLogger } from '../src/logger.js';
import { closed, connectClient, startTestDatabase } from './helpers.js';
import { redisMissing, startTestRedis, type TestRedis } from './redis.js';

const SECRETS = { ingest: 'ingest-secret-0123456789' };
const TAG = { id: 'tag-p1', siteId: 'prison-a', kind: 'tag' as const, secret: 'tag-p1-secret-0123456789' };
const STATUS = 'vigil/v1/prison-a/tag-p1/status';

const missing = redisMissing();
const skip = missing !== undefined && process.env.CI !== 'true' ? missing : false;

describe('presence across two brokers on one Redis', { skip }, () => {
  let redis: TestRedis;
  let db: { pool: pg.Pool; close(): Promise<void> };
  const brokers: RunningBroker[] = [];
  const open: MqttClient[] = [];

  before(async () => {
    if (missing) throw new Error(`CI=true and ${missing}`);
    redis = await startTestRedis();
    db = await startTestDatabase();
    await registerDevice(db.pool, TAG);
    for (let i = 0; i < 2; i++) {
      brokers.push(await startBroker({ port: 0, host: '127.0.0.1', pool: db.pool, services: serviceAccounts(SECRETS), redis: { url: redis.url }, logger: createLogger('test', 'silent') }));
    }
  });

  after(async () => {
    for (const c of open) c.end(true);
    for (const b of brokers) await b.close();
    await db?.close();
    await redis?.stop();
  });

  test('a device that moves to the other broker stays online in its retained status', async () => {
    const [a, b] = brokers as [RunningBroker, RunningBroker];
    const statuses: boolean[] = [];
    const watcher = await connectClient(b.port, { clientId: 'svc-ingest', username: 'svc-ingest', password: SECRETS.ingest, clean: true });
    open.push(watcher);
    watcher.on('message', (_t, payload) => statuses.push((JSON.parse(payload.toString()) as { body: { online: boolean } }).body.online));
    await watcher.subscribeAsync(STATUS, { qos: 1 });

    const first = await connectClient(a.port, { clientId: TAG.id, username: TAG.id, password: TAG.secret });
    open.push(first);
    const second = await connectClient(b.port, { clientId: TAG.id, username: TAG.id, password: TAG.secret });
    open.push(second);
    await closed(first, 10_000); // broker A closes the old session when B announces the same client id
    await new Promise((r) => setTimeout(r, 1_500)); // past the offline delay of both brokers
    assert.equal(statuses.at(-1), true, `status sequence ${JSON.stringify(statuses)}`);

    // A fresh subscriber gets the retained status: online.
    const late = await connectClient(b.port, { clientId: 'svc-ingest-late', username: 'svc-ingest', password: SECRETS.ingest });
    open.push(late);
    const retained = new Promise<boolean>((resolve) => late.once('message', (_t, p) => resolve((JSON.parse(p.toString()) as { body: { online: boolean } }).body.online)));
    await late.subscribeAsync(STATUS, { qos: 1 });
    assert.equal(await retained, true);

    // And when it really goes, it is offline.
    second.end(true);
    const deadline = Date.now() + 10_000;
    while (statuses.at(-1) !== false && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(statuses.at(-1), false);
  });
});
