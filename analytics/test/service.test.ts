import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import type pg from 'pg';
import { ALL_ALERTS_FILTER, Alert, check, deviceTopic, newMessage } from '@vigil/schemas';
import { createPool, migrate, startEmbeddedDatabase, type EmbeddedDatabase } from '@vigil/ingest';
import { startAnalytics, type AnalyticsService } from '../src/index.js';
import { SCHOOL } from './fixtures/zones.js';

let db: EmbeddedDatabase;
let pool: pg.Pool;
let broker: Aedes;
let server: Server;
let url: string;
let analytics: AnalyticsService;
let watcher: MqttClient;
const published: Alert[] = [];

before(async () => {
  db = await startEmbeddedDatabase({ port: 0 });
  pool = createPool(db.url);
  await migrate(pool);
  await pool.query(`INSERT INTO org_units VALUES ('moj', NULL, 1, 'Ministry', '司法部')`);
  await pool.query(`INSERT INTO sites VALUES ('cc-xuhui', 'moj', 'community', 'Xuhui', '徐汇')`);
  await pool.query(`INSERT INTO zones (id, site_id, kind, name_en, name_zh, geometry) VALUES ($1, 'cc-xuhui', 'exclusion', $2, $3, $4)`, [
    SCHOOL.id,
    SCHOOL.name.en,
    SCHOOL.name['zh-CN'],
    JSON.stringify(SCHOOL.geometry),
  ]);
  broker = await Aedes.createBroker();
  server = createServer(broker.handle).listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`;
  watcher = await mqtt.connectAsync(url, { protocolVersion: 4 });
  await watcher.subscribeAsync(ALL_ALERTS_FILTER, { qos: 1 });
  watcher.on('message', (_t, payload) => {
    const r = check(Alert, JSON.parse(payload.toString()));
    assert.ok(r.ok, JSON.stringify(r));
    published.push(r.value);
  });
  analytics = await startAnalytics({ mqttUrl: url, clientId: 'analytics-test', pool, zonesRefreshMs: 60_000, minFixesInside: 1, retryDelayMs: 100 });
});

after(async () => {
  await analytics?.close();
  await watcher?.endAsync();
  broker?.close();
  server?.close();
  await pool?.end();
  await db?.close();
});

const waitUntil = async (cond: () => boolean | Promise<boolean>, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
};

test('a fix inside an exclusion zone is stored as an alert, with its transition, and published', async () => {
  const dev = await mqtt.connectAsync(url, { protocolVersion: 4 });
  const topic = deviceTopic('cc-xuhui', 'tag-7', 'telemetry');
  const t0 = Date.now();
  const inside = newMessage('tag.fix', 'tag-7', 1, { lat: 31.189, lon: 121.437, acc_m: 5 }, t0);
  await dev.publishAsync(topic, JSON.stringify(newMessage('tag.fix', 'tag-7', 0, { lat: 31.2, lon: 121.45, acc_m: 5 }, t0 - 1000)), { qos: 1 });
  await dev.publishAsync(topic, JSON.stringify(inside), { qos: 1 });
  await waitUntil(() => published.length === 1);
  const a = published[0]!;
  assert.equal(a.dev, 'tag-7');
  assert.equal(a.raised_ts, t0, 'raised at event time, not wall-clock time');
  const { rows } = await pool.query(`SELECT a.count, t.to_state, t.actor FROM alerts a JOIN alert_transitions t ON t.alert_id = a.id WHERE a.id = $1`, [a.id]);
  assert.deepEqual(rows, [{ count: 1, to_state: 'raised', actor: 'rule:zone.exclusion' }]);

  // Leaves and comes back: the same condition folds into the open alert.
  await dev.publishAsync(topic, JSON.stringify(newMessage('tag.fix', 'tag-7', 2, { lat: 31.2, lon: 121.45, acc_m: 5 }, t0 + 10_000)), { qos: 1 });
  await dev.publishAsync(topic, JSON.stringify(newMessage('tag.fix', 'tag-7', 3, { lat: 31.189, lon: 121.437, acc_m: 5 }, t0 + 20_000)), { qos: 1 });
  await waitUntil(() => published.length === 3);
  // Leaving is "returned to normal" (still unacknowledged, ISA-18.2); coming back folds into the same alert.
  assert.deepEqual([published[1]!.id, published[1]!.active, published[1]!.state], [a.id, false, 'raised']);
  assert.equal(published[2]!.id, a.id);
  assert.equal(published[2]!.count, 2);
  assert.equal(published[2]!.active, true);
  assert.equal(published[2]!.last_ts, t0 + 20_000);
  const n = await pool.query(`SELECT count(*)::int AS n FROM alerts`);
  assert.equal(n.rows[0].n, 1);

  // An invalid message is counted, not fatal: the next valid one is still processed.
  await dev.publishAsync(topic, '{"not":"an envelope"}', { qos: 1 });
  await dev.publishAsync(deviceTopic('cc-xuhui', 'tag-8', 'telemetry'), JSON.stringify(newMessage('tag.fix', 'tag-8', 1, { lat: 31.189, lon: 121.437, acc_m: 5 }, t0)), { qos: 1 });
  await waitUntil(() => published.length === 4);
  assert.equal(published[3]!.dev, 'tag-8');
  assert.equal(analytics.stats().invalid, 1);
  await dev.endAsync();
});
