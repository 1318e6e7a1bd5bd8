import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deviceTopic } from '@vigil/schemas';
import mqtt, { type MqttClient } from 'mqtt';
import type pg from 'pg';
import { copyRows, createLogger, createPool, insertValues, migrate, startIngest, writeBatch, type IngestRecord } from '../src/index.js';
import { backends } from './backends.js';
import { startBroker, waitFor } from './helpers.js';

const TOPIC = deviceTopic('cc-xuhui', 'tag-0009', 'telemetry');
const dead = (payload: string, topic = TOPIC): IngestRecord => ({
  table: 'dead_letters',
  values: ['mqtt', topic, Buffer.from(payload), 'VIGIL_SCHEMA_JSON', '', 'json: bad'],
  error: { code: 'VIGIL_SCHEMA_JSON', field: '', message: 'bad' },
});

for (const backend of backends()) {
  describe(`dead letters are stored once per (source, topic, payload): ${backend.name}`, { skip: backend.skip }, () => {
    let pool: pg.Pool;
    let broker: Awaited<ReturnType<typeof startBroker>>;
    let publisher: MqttClient;
    const rows = async (topic: string) =>
      (await pool.query<{ payload: Buffer; occurrences: number }>('SELECT payload, occurrences FROM dead_letters WHERE topic = $1 ORDER BY id', [topic])).rows.map((r) => [
        r.payload.toString(),
        r.occurrences,
      ]);

    before(async () => {
      pool = createPool(await backend.start());
      await migrate(pool);
      broker = await startBroker();
      publisher = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'publisher' });
    });
    after(async () => {
      await publisher.endAsync();
      await broker.close();
      await pool.end();
      await backend.stop();
    });

    test('the same invalid message published twice (a redelivery) is one row; a different one is another', async (t) => {
      const ingest = await startIngest({ mqttUrl: broker.url, clientId: 'ingest-dl', pool, flushIntervalMs: 50, logger: createLogger('t', 'silent') });
      t.after(() => ingest.close());
      await publisher.publishAsync(TOPIC, 'not json {', { qos: 1 });
      await waitFor('the first to commit', () => ingest.stats().deadLettered === 1 && ingest.pending() === 0, 20_000);
      await publisher.publishAsync(TOPIC, 'not json {', { qos: 1 });
      await publisher.publishAsync(TOPIC, 'not json }', { qos: 1 });
      await waitFor('all three to commit', () => ingest.stats().received === 3 && ingest.pending() === 0, 20_000);
      assert.deepEqual(await rows(TOPIC), [['not json {', 1], ['not json }', 1]]);
      assert.equal(ingest.stats().deadLettered, 2, 'only new rows are counted');
    });

    // COPY FROM STDIN through pglite-socket aborts the embedded database (src/copy-writer.ts), which never uses it:
    // there, only the INSERT path exists to test.
    const writers = backend.name.includes('embedded') ? ([['INSERT', insertValues]] as const) : ([['INSERT', insertValues], ['COPY', copyRows]] as const);
    for (const [name, writer] of writers) {
      test(`${name}: duplicates within one batch and across batches fold; other topics do not`, async () => {
        const topic = deviceTopic('cc-xuhui', `tag-${name}`, 'telemetry');
        const first = await writeBatch(pool, [dead('x', topic), dead('x', topic), dead('y', topic)], writer);
        assert.equal(first.deadLettered, 2);
        const again = await writeBatch(pool, [dead('x', topic), dead('x', `${topic}x`)], writer);
        assert.equal(again.deadLettered, 1, 'the same bytes on another topic are another row');
        assert.deepEqual(await rows(topic), [['x', 1], ['y', 1]]);
      });
    }
  });
}
