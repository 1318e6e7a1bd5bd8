import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deviceTopic } from '@vigil/schemas';
import mqtt, { type MqttClient } from 'mqtt';
import type pg from 'pg';
import { createLogger, createPool, migrate, startIngest } from '../src/index.js';
import { backends } from './backends.js';
import { startBroker, waitFor } from './helpers.js';

const SITE = 'cc-xuhui';
const LP_TOPIC = deviceTopic(SITE, 'env-0001', 'lp');
// Telegraf-style payload: line 3 is bad (a field value that is no type), the others are good.
const PAYLOAD = [
  'weather,room=cell\\ block\\ A,sensor=bme280 temp_c=21.5,humidity_pct=40i,ok=true 1764000000000000000',
  'weather,room=cell\\ block\\ A,sensor=bme280 temp_c=21.7,humidity_pct=41i,ok=true 1764000010000000000',
  'weather,room=yard temp_c=oops 1764000000000000000',
  'door,room=yard state="open \\"gate 2\\"",count=18446744073709551615u 1764000000000000000',
].join('\n');

for (const backend of backends()) {
  describe(`ingest of line protocol end to end: real Aedes broker, ${backend.name}`, { skip: backend.skip }, () => {
    let pool: pg.Pool;
    let broker: Awaited<ReturnType<typeof startBroker>>;
    let publisher: MqttClient;
    const acked: string[] = [];

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

    test('good lines land in metrics, the bad line is one dead letter; publishing again adds no rows', async (t) => {
      const ingest = await startIngest({ mqttUrl: broker.url, clientId: 'ingest-lp', pool, flushIntervalMs: 50, logger: createLogger('ingest-test', 'silent') });
      t.after(() => ingest.close());

      await publisher.publishAsync(LP_TOPIC, PAYLOAD, { qos: 1 });
      await waitFor('the payload acked', () => acked.length === 1);
      assert.equal(acked[0], PAYLOAD);
      assert.deepEqual(ingest.stats(), { received: 1, written: 3, duplicates: 0, deadLettered: 1, otherPartition: 0 });

      const rows = await pool.query<{ t: string; site_id: string; device_id: string; measurement: string; tags: object; fields: object; count: string }>(
        "SELECT (extract(epoch FROM time) * 1000)::bigint::text AS t, site_id, device_id, measurement, tags, fields, fields->>'count' AS count FROM metrics ORDER BY measurement, time",
      );
      assert.deepEqual(
        rows.rows.map((r) => [Number(r.t), r.site_id, r.device_id, r.measurement, r.tags, r.fields]),
        [
          [1_764_000_000_000, SITE, 'env-0001', 'door', { room: 'yard' }, { state: 'open "gate 2"', count: 2 ** 64 }], // 2 ** 64 is the nearest JS number; exact as text below
          [1_764_000_000_000, SITE, 'env-0001', 'weather', { room: 'cell block A', sensor: 'bme280' }, { temp_c: 21.5, humidity_pct: 40, ok: true }],
          [1_764_000_010_000, SITE, 'env-0001', 'weather', { room: 'cell block A', sensor: 'bme280' }, { temp_c: 21.7, humidity_pct: 41, ok: true }],
        ],
      );
      assert.equal(rows.rows[0]!.count, '18446744073709551615', 'a uint64 is stored exactly');

      const dead = await pool.query<{ source: string; topic: string; payload: Buffer; code: string; field: string; reason: string }>(
        'SELECT source, topic, payload, code, field, reason FROM dead_letters ORDER BY id',
      );
      assert.equal(dead.rows.length, 1);
      const [d] = dead.rows;
      assert.deepEqual([d!.source, d!.topic, d!.code, d!.field, d!.payload.toString()], ['mqtt', LP_TOPIC, 'VIGIL_INGEST_LP', 'line 3', 'weather,room=yard temp_c=oops 1764000000000000000']);
      assert.match(d!.reason, /^line 3: field "temp_c": "oops" is not a float/);

      // The same payload again (Telegraf retry, QoS 1 redelivery): the points are already stored.
      await publisher.publishAsync(LP_TOPIC, PAYLOAD, { qos: 1 });
      await waitFor('the second copy acked', () => acked.length === 2);
      // The bad line is not stored again either: dead letters dedupe on (source, topic, bytes) (migration 013).
      assert.deepEqual(ingest.stats(), { received: 2, written: 3, duplicates: 3, deadLettered: 1, otherPartition: 0 });
      assert.equal((await pool.query('SELECT count(*)::int AS n FROM dead_letters')).rows[0].n, 1);
      assert.equal((await pool.query('SELECT count(*)::int AS n FROM metrics')).rows[0].n, 3);
    });
  });
}
