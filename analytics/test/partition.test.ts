import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import type pg from 'pg';
import { createLogger, createPool, migrate, partitionOfDevice, startEmbeddedDatabase, type EmbeddedDatabase } from '@vigil/ingest';
import { deviceTopic, newMessage } from '@vigil/schemas';
import { startAnalytics, type AnalyticsService } from '../src/index.js';

let db: EmbeddedDatabase;
let pool: pg.Pool;
let broker: Aedes;
let server: Server;
let url: string;
const services: AnalyticsService[] = [];
const silent = createLogger('analytics', 'silent');
let victimDev: string;

before(async () => {
  db = await startEmbeddedDatabase({ port: 0 });
  pool = createPool(db.url);
  await migrate(pool);
  await pool.query(`INSERT INTO org_units VALUES ('moj', NULL, 1, 'Ministry', '司法部')`);
  await pool.query(`INSERT INTO sites VALUES ('cc-xuhui', 'moj', 'community', 'Xuhui', '徐汇')`);
  // The victim's phone hashes to the other partition than the offender's tag: routing must still put them together.
  const offender = 'tag-off';
  const victim = (victimDev = Array.from({ length: 50 }, (_, i) => `phone-${i}`).find((d) => partitionOfDevice(d, 2) !== partitionOfDevice(offender, 2))!);
  await pool.query(`INSERT INTO analytics_rule_sets (id, config) VALUES ('default', $1)`, [
    JSON.stringify({ defaults: { comm_loss_s: 604_800, location_loss_s: 604_800 }, victims: [{ id: 'pair-1', site: 'cc-xuhui', offender_dev: offender, victim_dev: victim }].map((v) => ({ ...v, distance_m: 500 })) }),
  ]);
  broker = await Aedes.createBroker();
  server = createServer(broker.handle).listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`;
  for (const index of [0, 1]) {
    services.push(
      await startAnalytics({ mqttUrl: url, clientId: `analytics-part-${index}`, pool, zonesRefreshMs: 60_000, minFixesInside: 1, retryDelayMs: 100, partition: { index, count: 2 }, escalateAfterMs: 0, logger: silent }),
    );
  }
});

after(async () => {
  for (const s of services) await s.close();
  broker?.close();
  server?.close();
  await pool?.end();
  await db?.close();
});

const waitUntil = async (cond: () => Promise<boolean>, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
};

test('two analytics processes split the devices: each alert raised once, by the process that owns the device; a victim\'s phone reaches the offender\'s process', async () => {
  const pub = await mqtt.connectAsync(url, { protocolVersion: 4 });
  const t0 = Date.now();
  const devs = Array.from({ length: 12 }, (_, i) => `tag-${i}`);
  for (const [i, d] of devs.entries()) await pub.publishAsync(deviceTopic('cc-xuhui', d, 'event'), JSON.stringify(newMessage('panic.press', d, 1, {}, t0 + i)), { qos: 1 });
  const victim = victimDev;
  await pub.publishAsync(deviceTopic('cc-xuhui', victim, 'telemetry'), JSON.stringify(newMessage('tag.fix', victim, 1, { lat: 31.2, lon: 121.45, acc_m: 5 }, t0)), { qos: 1 });
  await pub.publishAsync(deviceTopic('cc-xuhui', 'tag-off', 'telemetry'), JSON.stringify(newMessage('tag.fix', 'tag-off', 1, { lat: 31.2005, lon: 121.45, acc_m: 5 }, t0 + 1000)), { qos: 1 });
  await pub.endAsync();
  await waitUntil(async () => (await pool.query(`SELECT count(*)::int AS n FROM alerts`)).rows[0].n >= 13);
  await new Promise((r) => setTimeout(r, 500));
  const { rows } = await pool.query<{ key: string; count: number }>(`SELECT key, count FROM alerts ORDER BY key`);
  assert.deepEqual(rows.map((r) => r.key), [...devs.map((d) => `panic:${d}`).sort(), 'victim.proximity:pair-1'].sort());
  assert.ok(rows.every((r) => r.count === 1), 'none raised twice');
  const [a, b] = services.map((s) => s.stats());
  assert.equal(a!.received, b!.received, 'both see every message (plain MQTT 3.1.1, no shared subscriptions)');
  assert.equal(a!.alertsRaised + b!.alertsRaised, 13);
  assert.equal(a!.notMine + b!.notMine, 14, 'each message processed by exactly one of them');
  // The proximity alert exists only if both positions met in one engine: the phone went to the offender's process.
});
