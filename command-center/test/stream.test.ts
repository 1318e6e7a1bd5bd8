import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { Pool } from 'pg';
import { alertsTopic } from '@vigil/schemas';
import { buildApp, createAlertHub, startCommandCenter, type CommandCenter } from '../src/index.js';
import { connectPublisher, sseReader, sampleAlert, startTestBroker, startTestDb, testLogger, type SseFrame } from './helpers.js';
import { addUser, loginHttp, seedBasicTree } from './auth-helpers.js';

const alertFrames = (frames: SseFrame[]): { event: string; data: string }[] =>
  frames.filter((f): f is { event: string; data: string } => 'event' in f && f.event === 'alert');

describe('alert stream: MQTT broker -> feed -> SSE', () => {
  let db: { pool: Pool; close(): Promise<void> };
  let broker: { url: string; close(): Promise<void> };
  let center: CommandCenter;
  let publisher: MqttClient;
  let base: string;
  let publicDir: string;
  let cookie: string;

  before(async () => {
    publicDir = await mkdtemp(join(tmpdir(), 'cc-public-'));
    db = await startTestDb();
    broker = await startTestBroker();
    center = await startCommandCenter({
      port: 0,
      host: '127.0.0.1',
      pool: db.pool,
      mqttUrl: broker.url,
      publicDir, // empty: the UI is not under test here
      logger: testLogger,
      heartbeatMs: 300,
    });
    base = `http://127.0.0.1:${center.port}`;
    await seedBasicTree(db.pool);
    cookie = await loginHttp(base, await addUser(db.pool, { id: 'op-1', role: 'operator', orgUnit: 'moj' }));
    await center.alertFeed.whenSubscribed();
    publisher = await connectPublisher(broker.url);
  });

  after(async () => {
    await publisher?.endAsync();
    await center?.close();
    await broker?.close();
    await db?.close();
    if (publicDir) await rm(publicDir, { recursive: true, force: true });
  });

  test('health says the feed is connected', async () => {
    assert.deepEqual(await (await fetch(`${base}/api/health`)).json(), { ok: true, db: true, mqtt: true });
  });

  test('an alert published over MQTT arrives on the SSE stream; invalid ones are not forwarded', async () => {
    const ac = new AbortController();
    const res = await fetch(`${base}/api/alerts/stream`, { signal: ac.signal, headers: { cookie } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.ok(res.body);
    const sse = sseReader(res.body);
    // The first frames: the reconnect delay, then ": connected" (the subscription is in place).
    assert.deepEqual(await sse.readUntil((f) => f.length >= 2), [{ retry: 3000 }, { comment: 'connected' }]);

    const good = sampleAlert({ site: 'prison-a' });
    const invalidBefore = center.alertFeed.stats().invalid;
    // Invalid first, each a different way: schema, JSON, site not matching its topic.
    await publisher.publishAsync(alertsTopic('prison-a'), JSON.stringify({ ...sampleAlert(), severity: 'apocalyptic' }), { qos: 1 });
    await publisher.publishAsync(alertsTopic('prison-a'), '{not json', { qos: 1 });
    await publisher.publishAsync(alertsTopic('office-b'), JSON.stringify(sampleAlert({ site: 'prison-a' })), { qos: 1 });
    await publisher.publishAsync(alertsTopic('prison-a'), JSON.stringify(good), { qos: 1 });

    const frames = await sse.readUntil((f) => alertFrames(f).length >= 1);
    const alerts = alertFrames(frames);
    assert.equal(alerts.length, 1);
    assert.deepEqual(JSON.parse(alerts[0]!.data), good);
    assert.equal(center.alertFeed.stats().invalid - invalidBefore, 3);
    ac.abort();
  });

  test('heartbeat comments keep the stream alive; ?site= filters', async () => {
    const ac = new AbortController();
    const res = await fetch(`${base}/api/alerts/stream?site=office-b`, { signal: ac.signal, headers: { cookie } });
    assert.ok(res.body);
    const sse = sseReader(res.body);
    await sse.readUntil((f) => f.some((x) => 'comment' in x && x.comment === 'heartbeat'), 3000);
    const other = sampleAlert({ site: 'prison-a' });
    const mine = sampleAlert({ site: 'office-b' });
    await publisher.publishAsync(alertsTopic('prison-a'), JSON.stringify(other), { qos: 1 });
    await publisher.publishAsync(alertsTopic('office-b'), JSON.stringify(mine), { qos: 1 });
    const alerts = alertFrames(await sse.readUntil((f) => alertFrames(f).length >= 1));
    assert.deepEqual(alerts.map((a) => (JSON.parse(a.data) as { id: string }).id), [mine.id]);
    ac.abort();
  });

  test('opening a stream is audited', async () => {
    const { rows } = await db.pool.query("SELECT actor, detail FROM audit_log WHERE action = 'alerts.stream' ORDER BY id");
    assert.deepEqual(
      rows.map((r) => [r.actor, r.detail]),
      [
        ['op-1', { site: null, sites: 2 }],
        ['op-1', { site: 'office-b', sites: 2 }],
      ],
    );
  });
});

describe('alert stream: clean-up', () => {
  test('a client that disconnects is unsubscribed, and close() ends open streams', async () => {
    const db = await startTestDb();
    const hub = createAlertHub();
    let listeners = 0;
    const counted = {
      ...hub,
      subscribe: (l: Parameters<typeof hub.subscribe>[0]) => {
        listeners += 1;
        const off = hub.subscribe(l);
        return () => {
          listeners -= 1;
          off();
        };
      },
    };
    const app = await buildApp({ pool: db.pool, alertFeed: counted, logger: testLogger });
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      await seedBasicTree(db.pool);
      const cookie = await loginHttp(base, await addUser(db.pool, { id: 'op-1', role: 'operator', orgUnit: 'moj' }));
      const ac = new AbortController();
      const first = await fetch(`${base}/api/alerts/stream`, { signal: ac.signal, headers: { cookie } });
      assert.ok(first.body);
      await sseReader(first.body).readUntil((f) => f.length >= 2);
      assert.equal(listeners, 1);
      ac.abort();
      const deadline = Date.now() + 3000;
      while (listeners > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(listeners, 0, 'listener removed after the client went away');

      const second = await fetch(`${base}/api/alerts/stream`, { headers: { cookie } });
      assert.ok(second.body);
      await sseReader(second.body).readUntil((f) => f.length >= 2);
      const t0 = Date.now();
      await app.close(); // would hang if the open stream were not ended
      assert.ok(Date.now() - t0 < 3000);
      assert.equal(listeners, 0);
    } finally {
      await app.close();
      await db.close();
    }
  });
});
