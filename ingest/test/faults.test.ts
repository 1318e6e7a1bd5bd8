import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { deviceTopic, newMessage } from '@vigil/schemas';
import mqtt, { type MqttClient } from 'mqtt';
import type pg from 'pg';
import { createLogger, createPool, migrate, startIngest } from '../src/index.js';
import { startBroker, waitFor } from './helpers.js';
import { pgServerUnavailable, startPgServer, type PgServer } from './pg-server.js';
import { spawnIngest } from './spawn-ingest.js';

// How long the database stays away in the outage test: short for `npm test`, 30 s with `npm run fault:ingest`.
const OUTAGE_MS = Number(process.env.VIGIL_FAULT_OUTAGE_MS ?? 5_000);
const T0 = 1_764_000_000_000;
const unavailable = pgServerUnavailable();

describe('ingest faults, on a real PostgreSQL 15 server', { skip: unavailable && process.env.CI !== 'true' ? `skipped: ${unavailable}` : undefined }, () => {
  let server: PgServer;
  let pool: pg.Pool;
  let broker: Awaited<ReturnType<typeof startBroker>>;
  let publisher: MqttClient;
  /** PUBACKs each ingest client id has sent the broker. */
  const acks = new Map<string, number>();
  const acked = (clientId: string) => acks.get(clientId) ?? 0;

  /** Rows per msg_id for `site` in both time-series tables: exactly-once means every count is 1. */
  const storedCounts = async (site: string): Promise<Map<string, number>> => {
    const res = await pool.query<{ msg_id: string; n: number }>(
      'SELECT msg_id, count(*)::int AS n FROM (SELECT msg_id FROM tag_fixes WHERE site_id = $1 UNION ALL SELECT msg_id FROM device_events WHERE site_id = $1) s GROUP BY msg_id',
      [site],
    );
    return new Map(res.rows.map((r) => [r.msg_id, r.n]));
  };
  const assertExactlyOnce = async (site: string, ids: string[]) => {
    const counts = await storedCounts(site);
    assert.deepEqual([...counts.keys()].sort(), [...ids].sort(), 'every message stored');
    assert.deepEqual([...counts.values()].filter((n) => n !== 1), [], 'none stored twice');
  };
  const fixes = (site: string, n: number, seq0 = 0) =>
    Array.from({ length: n }, (_, i) => {
      const dev = `tag-${(seq0 + i) % 25}`;
      return { topic: deviceTopic(site, dev, 'telemetry'), message: newMessage('tag.fix', dev, seq0 + i, { lat: 31 + i * 1e-5, lon: 121, acc_m: 5 }, T0 + seq0 + i) };
    });
  const publishAll = async (items: { topic: string; message: object }[]) => {
    for (let i = 0; i < items.length; i += 100) {
      await Promise.all(items.slice(i, i + 100).map((m) => publisher.publishAsync(m.topic, JSON.stringify(m.message), { qos: 1 })));
    }
  };

  before(async () => {
    server = await startPgServer();
    // The test's own connections; each is dropped at once so a server stop does not leave a dead one behind.
    pool = createPool(server.url, { idleTimeoutMs: 1 });
    await migrate(pool);
    broker = await startBroker();
    broker.broker.on('ack', (_packet, client) => acks.set(client.id, acked(client.id) + 1));
    publisher = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'fault-publisher' });
  });
  after(async () => {
    await publisher?.endAsync();
    await broker?.close();
    await pool?.end();
    await server?.destroy();
  });

  test(`the database goes away for ${OUTAGE_MS} ms: no acks, a bounded buffer, then every message stored exactly once`, { timeout: OUTAGE_MS + 120_000 }, async (t) => {
    const batchMaxRows = 50;
    const ingestPool = createPool(server.url);
    const ingest = await startIngest({ mqttUrl: broker.url, clientId: 'ingest-outage', pool: ingestPool, batchMaxRows, flushIntervalMs: 50, logger: createLogger('fault', 'silent') });
    t.after(async () => {
      await ingest.close();
      await ingestPool.end();
    });
    const before = fixes('site-outage', 100);
    await publishAll(before);
    await waitFor('the first 100 acked', () => acked('ingest-outage') === 100, 30_000);

    await server.stopServer();
    const during = fixes('site-outage', 1_000, 100);
    let maxPending = 0;
    const sampler = setInterval(() => (maxPending = Math.max(maxPending, ingest.pending())), 20);
    try {
      await publishAll(during); // the broker takes them (its own PUBACKs to the publisher) and queues them for ingest
      await sleep(OUTAGE_MS);
      assert.equal(acked('ingest-outage'), 100, 'ingest acked nothing while the database was away');
      const { received } = ingest.stats();
      t.diagnostic(`during the outage ingest took ${received - 100} of ${during.length} messages, held at most ${maxPending}, acked none`);
      assert.ok(received > 100, 'messages reached ingest during the outage');
      assert.ok(maxPending <= 4 * batchMaxRows, `buffer bounded at ${4 * batchMaxRows}, peaked at ${maxPending}`);
      assert.ok(received - 100 <= 4 * batchMaxRows, `ingest stopped reading at its bound (took ${received - 100} of ${during.length}); the broker holds the rest`);
    } finally {
      clearInterval(sampler);
      await server.startServer();
    }
    await waitFor('every message acked after the database returned', () => acked('ingest-outage') === 1_100, 90_000);
    await assertExactlyOnce('site-outage', [...before, ...during].map((m) => m.message.id));
  });

  test('ingest killed with SIGKILL in the middle of a batch and restarted: nothing lost, nothing doubled', { timeout: 180_000 }, async (t) => {
    // COPY forced (auto uses it only from COPY_MIN_ROWS rows a batch): the other tests here write with INSERT.
    const env = {
      DATABASE_URL: server.url,
      VIGIL_MQTT_URL: broker.url,
      VIGIL_INGEST_CLIENT_ID: 'ingest-kill',
      VIGIL_INGEST_BATCH_MAX_ROWS: '100',
      VIGIL_INGEST_FLUSH_INTERVAL_MS: '50',
      VIGIL_INGEST_WRITE_METHOD: 'copy',
    };
    const first = spawnIngest(env);
    t.after(() => first.child.kill('SIGKILL'));
    await first.ready();
    const all = fixes('site-kill', 3_000);
    const publishing = publishAll(all);
    const count = async () => [...(await storedCounts('site-kill')).values()].reduce((a, b) => a + b, 0);
    await waitFor('some batches committed', async () => (await count()) >= 300, 60_000);
    first.child.kill('SIGKILL');
    await first.exit;
    const atKill = await count();
    assert.ok(atKill < all.length, `killed mid-stream (${atKill} of ${all.length} stored)`);
    t.diagnostic(`killed with ${atKill} of ${all.length} stored`);
    await publishing;

    const second = spawnIngest(env); // same client id: the broker redelivers what was never acked
    t.after(() => second.child.kill('SIGKILL'));
    await second.ready();
    await waitFor('every message stored after the restart', async () => (await count()) >= all.length, 120_000);
    await second.stop();
    await assertExactlyOnce('site-kill', all.map((m) => m.message.id));
  });

  test('invalid messages of every kind are dead-lettered with the reason and the raw bytes; the stream goes on', async (t) => {
    const ingestPool = createPool(server.url);
    const ingest = await startIngest({ mqttUrl: broker.url, clientId: 'ingest-invalid', pool: ingestPool, flushIntervalMs: 50, logger: createLogger('fault', 'silent') });
    t.after(async () => {
      await ingest.close();
      await ingestPool.end();
    });
    const site = 'site-invalid';
    const topic = deviceTopic(site, 'tag-1', 'telemetry');
    const good = (seq: number) => JSON.stringify(newMessage('tag.fix', 'tag-1', seq, { lat: 31, lon: 121, acc_m: 5 }, T0 + seq));
    const at = (ts: number) => JSON.stringify({ ...newMessage('tag.fix', 'tag-1', 9, { lat: 31, lon: 121, acc_m: 5 }), ts });
    const invalid: { name: string; payload: string; code: string; field: string }[] = [
      { name: 'bad JSON', payload: '{"v":1,"id":', code: 'VIGIL_SCHEMA_JSON', field: '' },
      { name: 'wrong schema', payload: JSON.stringify(newMessage('tag.fix', 'tag-1', 3, { lat: 31, lon: 121 } as never, T0)), code: 'VIGIL_SCHEMA_FIELD', field: '/body/acc_m' },
      { name: "another device's id", payload: JSON.stringify(newMessage('tag.fix', 'tag-2', 4, { lat: 31, lon: 121, acc_m: 5 }, T0)), code: 'VIGIL_SCHEMA_DEVICE', field: '/dev' },
      { name: 'a timestamp in 1970', payload: at(Date.UTC(1970, 0, 2)), code: 'VIGIL_SCHEMA_FIELD', field: '/ts' },
      { name: 'a timestamp in 2200', payload: at(Date.UTC(2200, 0, 1)), code: 'VIGIL_SCHEMA_FIELD', field: '/ts' },
    ];
    const goods = [good(1), good(2)];
    await publisher.publishAsync(topic, goods[0]!, { qos: 1 });
    for (const bad of invalid) await publisher.publishAsync(topic, bad.payload, { qos: 1 });
    await publisher.publishAsync(topic, goods[1]!, { qos: 1 });

    await waitFor('all acked', () => acked('ingest-invalid') === invalid.length + 2, 30_000);
    assert.deepEqual(ingest.stats(), { received: 7, written: 2, duplicates: 0, deadLettered: invalid.length, otherPartition: 0 });
    await assertExactlyOnce(site, goods.map((g) => (JSON.parse(g) as { id: string }).id));
    const dead = await pool.query<{ topic: string; payload: Buffer; code: string; field: string; reason: string }>(
      'SELECT topic, payload, code, field, reason FROM dead_letters WHERE topic = $1 ORDER BY id',
      [topic],
    );
    assert.equal(dead.rows.length, invalid.length);
    for (const [i, bad] of invalid.entries()) {
      const row = dead.rows[i]!;
      assert.deepEqual([row.code, row.field], [bad.code, bad.field], bad.name);
      assert.ok(row.payload.equals(Buffer.from(bad.payload)), `${bad.name}: the raw bytes are kept`);
      assert.ok(row.reason.length > 0, `${bad.name}: a reason`);
    }
  });
});
