import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deviceTopic, newMessage } from '@vigil/schemas';
import mqtt, { type MqttClient } from 'mqtt';
import type pg from 'pg';
import {
  createIngestMetrics,
  createLogger,
  createPool,
  migrate,
  partitionOfDevice,
  startEmbeddedDatabase,
  startIngest,
  startMetricsServer,
  type EmbeddedDatabase,
  type Ingest,
  type MetricsServer,
} from '../src/index.js';
import { startBroker, waitFor } from './helpers.js';

const SITE = 'cc-xuhui';
const T0 = 1_764_000_000_000;
const OWN = 'tag-0001';
// A device of the other partition of two, found rather than hard-coded so the test states its intent.
const OTHER = Array.from({ length: 50 }, (_, i) => `tag-${i}`).find((d) => partitionOfDevice(d, 2) !== partitionOfDevice(OWN, 2))!;
const fix = (dev: string, seq: number, lat = 31.2) => newMessage('tag.fix', dev, seq, { lat, lon: 121.4, acc_m: 5 }, T0 + seq * 1000);

/** `name{labels} value` lines of a Prometheus text exposition, as a map (HELP, TYPE and buckets left out). */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '' || line.includes('_bucket{')) continue;
    const cut = line.lastIndexOf(' ');
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return out;
}

describe('ingest metrics: GET /metrics and /healthz, real Aedes broker, embedded database', () => {
  let db: EmbeddedDatabase;
  let pool: pg.Pool;
  let broker: Awaited<ReturnType<typeof startBroker>>;
  let publisher: MqttClient;
  let ingest: Ingest;
  let server: MetricsServer;

  before(async () => {
    db = await startEmbeddedDatabase({ port: 0 });
    pool = createPool(db.url);
    await migrate(pool);
    broker = await startBroker();
    publisher = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'publisher' });
    const metrics = createIngestMetrics();
    ingest = await startIngest({
      mqttUrl: broker.url,
      clientId: 'ingest-metrics',
      pool,
      flushIntervalMs: 50,
      partition: { index: partitionOfDevice(OWN, 2), count: 2 },
      onBatch: metrics.onBatch,
      logger: createLogger('ingest-test', 'silent'),
    });
    metrics.attach(ingest);
    server = await startMetricsServer({ port: 0, registry: metrics.registry, logger: createLogger('metrics-test', 'silent') });
  });
  after(async () => {
    await server.close();
    await ingest.close();
    await publisher.endAsync();
    await broker.close();
    await pool.end();
    await db.close();
  });

  const scrape = async (): Promise<Map<string, number>> => {
    const res = await fetch(`${server.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    return parseMetrics(await res.text());
  };

  test('/healthz answers 200, other paths 404, and the server binds loopback', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(await health.text(), 'ok\n');
    assert.equal((await fetch(`${server.url}/nope`)).status, 404);
    assert.equal((await fetch(`${server.url}/metrics`, { method: 'POST' })).status, 405);
  });

  test('counters move by exactly what was published: written, duplicates, dead letters by code, other partition', async () => {
    const before = await scrape();
    assert.equal(before.get('vigil_ingest_received_total'), 0);
    assert.equal(before.get('vigil_ingest_written_rows_total{table="tag_fixes"}'), 0, 'present at zero before any write');
    assert.equal(before.get('vigil_ingest_pending'), 0);

    const topic = deviceTopic(SITE, OWN, 'telemetry');
    const valid = [fix(OWN, 1), fix(OWN, 2), fix(OWN, 3)];
    for (const m of valid) await publisher.publishAsync(topic, JSON.stringify(m), { qos: 1 });
    await publisher.publishAsync(topic, JSON.stringify(valid[0]), { qos: 1 }); // duplicate
    await publisher.publishAsync(topic, JSON.stringify(fix(OWN, 4, 123.5)), { qos: 1 }); // lat out of range
    await publisher.publishAsync(topic, 'not json {', { qos: 1 });
    await publisher.publishAsync(deviceTopic(SITE, OTHER, 'telemetry'), JSON.stringify(fix(OTHER, 1)), { qos: 1 });
    await waitFor('every message committed', () => ingest.stats().received === 6 && ingest.pending() === 0 && ingest.stats().otherPartition === 1, 20_000);

    const m = await scrape();
    assert.equal(m.get('vigil_ingest_received_total'), 6);
    assert.equal(m.get('vigil_ingest_written_rows_total{table="tag_fixes"}'), 3);
    assert.equal(m.get('vigil_ingest_written_rows_total{table="device_events"}'), 0);
    assert.equal(m.get('vigil_ingest_duplicates_total'), 1);
    assert.equal(m.get('vigil_ingest_dead_letters_total{code="VIGIL_SCHEMA_FIELD"}'), 1);
    assert.equal(m.get('vigil_ingest_dead_letters_total{code="VIGIL_SCHEMA_JSON"}'), 1);
    assert.equal(m.get('vigil_ingest_other_partition_total'), 1);
    assert.equal(m.get('vigil_ingest_pending'), 0);
    const batches = m.get('vigil_ingest_batch_commit_seconds_count') ?? 0;
    assert.ok(batches >= 1, `at least one batch timed, got ${batches}`);
    assert.ok((m.get('vigil_ingest_batch_commit_seconds_sum') ?? -1) >= 0);
    assert.equal((await pool.query('SELECT count(*)::int AS n FROM tag_fixes')).rows[0].n, 3, 'the counters agree with the table');
  });
});
