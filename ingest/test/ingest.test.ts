import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { deviceTopic, newMessage } from '@vigil/schemas';
import mqtt, { type MqttClient } from 'mqtt';
import type pg from 'pg';
import { createLogger, createPool, migrate, startIngest, type Ingest } from '../src/index.js';
import { backends } from './backends.js';
import { startBroker, waitFor } from './helpers.js';

const SITE = 'cc-xuhui';
const FIX_TOPIC = deviceTopic(SITE, 'tag-0001', 'telemetry');
const T0 = 1_764_000_000_000;
const fix = (seq: number, body: { lat: number; lon: number; acc_m: number }) => newMessage('tag.fix', 'tag-0001', seq, body, T0 + seq * 1000);

for (const backend of backends()) {
  describe(`ingest end to end: real Aedes broker, ${backend.name}`, { skip: backend.skip }, () => {
    let pool: pg.Pool;
    let broker: Awaited<ReturnType<typeof startBroker>>;
    let publisher: MqttClient;
    /** Payloads the ingest client has PUBACKed, as the broker saw them. */
    const acked: string[] = [];

    const count = async (sql: string, params: unknown[] = []) => (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params)).rows[0]!.n;
    const start = (clientId: string): Promise<Ingest> =>
      startIngest({ mqttUrl: broker.url, clientId, pool, batchMaxRows: 500, flushIntervalMs: 50, logger: createLogger('ingest-test', 'silent') });
    const publish = (topic: string, payload: string | object) =>
      publisher.publishAsync(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), { qos: 1 });

    before(async () => {
      pool = createPool(await backend.start());
      await migrate(pool);
      broker = await startBroker();
      broker.broker.on('ack', (packet, client) => {
        if (client.id.startsWith('ingest-') && 'payload' in packet) acked.push(packet.payload.toString());
      });
      publisher = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'publisher' });
    });
    after(async () => {
      await publisher.endAsync();
      await broker.close();
      await pool.end();
      await backend.stop();
    });

    test('stores valid fixes and events once each, dead-letters the invalid one, acks all', async (t) => {
      const ingest = await start('ingest-a');
      t.after(() => ingest.close());
      const fixes = [fix(1, { lat: 31.1883, lon: 121.4365, acc_m: 8 }), fix(2, { lat: 31.1884, lon: 121.4366, acc_m: 7 }), fix(3, { lat: 31.1885, lon: 121.4367, acc_m: 6 })];
      const health = newMessage('tag.health', 'tag-0001', 4, { battery_pct: 76 }, T0 + 4000);
      const badLat = fix(5, { lat: 123.5, lon: 121.4, acc_m: 5 });
      for (const m of fixes) await publish(FIX_TOPIC, m);
      await publish(FIX_TOPIC, fixes[0]!); // the same envelope again: a QoS 1 redelivery or an edge replay
      await publish(FIX_TOPIC, health);
      await publish(FIX_TOPIC, badLat);
      await publish(FIX_TOPIC, 'not json {');

      await waitFor('every message acked', () => acked.length >= 7);
      assert.deepEqual(ingest.stats(), { received: 7, written: 4, duplicates: 1, deadLettered: 2, otherPartition: 0 });
      const rows = await pool.query<{ msg_id: string; seq: string; lat: number; site_id: string; t: string }>(
        "SELECT msg_id, seq, lat, site_id, (extract(epoch FROM time) * 1000)::bigint::text AS t FROM tag_fixes WHERE device_id = 'tag-0001' ORDER BY seq",
      );
      assert.deepEqual(rows.rows.map((r) => [r.msg_id, Number(r.seq), r.lat, r.site_id, Number(r.t)]), fixes.map((m) => [m.id, m.seq, m.body.lat, SITE, m.ts]));
      const events = await pool.query("SELECT type, body FROM device_events WHERE msg_id = $1", [health.id]);
      assert.deepEqual(events.rows, [{ type: 'tag.health', body: { battery_pct: 76 } }]);
      const dead = await pool.query<{ code: string; field: string; reason: string; topic: string; payload: Buffer; source: string }>(
        'SELECT source, topic, payload, code, field, reason FROM dead_letters ORDER BY id',
      );
      assert.equal(dead.rows.length, 2);
      const [lat, json] = dead.rows;
      assert.deepEqual([lat!.source, lat!.topic, lat!.code, lat!.field], ['mqtt', FIX_TOPIC, 'VIGIL_SCHEMA_FIELD', '/body/lat']);
      assert.deepEqual(JSON.parse(lat!.payload.toString()), badLat);
      assert.match(lat!.reason, /maximum/);
      assert.deepEqual([json!.code, json!.payload.toString()], ['VIGIL_SCHEMA_JSON', 'not json {']);
    });

    test('nothing is acked while the write fails; the batch is retried and then acked', async (t) => {
      const ingest = await start('ingest-b');
      t.after(() => ingest.close());
      acked.length = 0;
      await pool.query('ALTER TABLE tag_fixes RENAME TO tag_fixes_away');
      const m = fix(10, { lat: 30, lon: 120, acc_m: 3 });
      try {
        await publish(FIX_TOPIC, m);
        await sleep(800); // several failed attempts (250 ms, 500 ms backoff)
        assert.deepEqual(acked, [], 'no PUBACK before the commit');
        assert.equal(ingest.stats().received, 1);
        assert.equal(ingest.stats().written, 0);
      } finally {
        await pool.query('ALTER TABLE tag_fixes_away RENAME TO tag_fixes');
      }
      await waitFor('the retried batch to commit and be acked', () => acked.length === 1);
      assert.deepEqual(JSON.parse(acked[0]!), m);
      assert.equal(await count('tag_fixes WHERE msg_id = $1', [m.id]), 1);
    });

    test('unacked messages are redelivered to the same client id after a restart', async () => {
      let ingest = await start('ingest-c');
      acked.length = 0;
      await pool.query('ALTER TABLE tag_fixes RENAME TO tag_fixes_away');
      const m = fix(20, { lat: 29, lon: 119, acc_m: 4 });
      try {
        await publish(FIX_TOPIC, m);
        await waitFor('the message to arrive', () => ingest.stats().received === 1);
        await ingest.close(); // its write fails, so it goes away without acking
        assert.deepEqual(acked, []);
      } finally {
        await pool.query('ALTER TABLE tag_fixes_away RENAME TO tag_fixes');
      }
      assert.equal(await count('tag_fixes WHERE msg_id = $1', [m.id]), 0);
      ingest = await start('ingest-c');
      try {
        await waitFor('redelivery to be stored and acked', () => acked.length === 1);
        assert.equal(await count('tag_fixes WHERE msg_id = $1', [m.id]), 1);
        assert.equal(ingest.stats().received, 1);
      } finally {
        await ingest.close();
      }
    });

    test('a batch larger than batchMaxRows is written in several transactions, in order', async (t) => {
      const ingest = await startIngest({ mqttUrl: broker.url, clientId: 'ingest-d', pool, batchMaxRows: 7, flushIntervalMs: 50, logger: createLogger('t', 'silent') });
      t.after(() => ingest.close());
      acked.length = 0;
      const many = Array.from({ length: 30 }, (_, i) => newMessage('tag.health', 'tag-0002', 100 + i, { battery_pct: i }, T0 + i));
      await Promise.all(many.map((m) => publish(deviceTopic(SITE, 'tag-0002', 'telemetry'), m)));
      await waitFor('all 30 acked', () => acked.length === 30);
      assert.deepEqual(acked.map((p) => JSON.parse(p).seq), many.map((m) => m.seq), 'PUBACKs in arrival order [MQTT-4.6.0-2]');
      assert.equal(await count("device_events WHERE device_id = 'tag-0002'"), 30);
    });
  });
}
