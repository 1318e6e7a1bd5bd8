import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deviceTopic, newMessage } from '@vigil/schemas';
import mqtt, { type MqttClient } from 'mqtt';
import type pg from 'pg';
import { createLogger, createPool, migrate, startEmbeddedDatabase, startIngest, type EmbeddedDatabase, type Ingest } from '../src/index.js';
import { presenceRows } from '../src/presence.js';
import { startBroker, waitFor } from './helpers.js';

const SITE = 'prison-a';
const T0 = 1_764_000_000_000;
const status = (dev: string, seq: number, online: boolean, ts: number) => newMessage('agent.status', dev, seq, { online }, ts);

describe('presence: agent.status updates device_presence with the newest status only', () => {
  let db: EmbeddedDatabase;
  let pool: pg.Pool;
  let broker: Awaited<ReturnType<typeof startBroker>>;
  let publisher: MqttClient;
  let ingest: Ingest;

  const presence = async (dev: string) =>
    (
      await pool.query<{ site_id: string; online: boolean; since: Date; last_msg_id: string }>(
        'SELECT site_id, online, since, last_msg_id FROM device_presence WHERE device_id = $1',
        [dev],
      )
    ).rows[0];
  const send = (m: ReturnType<typeof status>) => publisher.publishAsync(deviceTopic(SITE, m.dev, 'status'), JSON.stringify(m), { qos: 1 });
  /** Wait until `n` messages in all are committed (new or duplicate). */
  const committed = async (n: number) =>
    waitFor(`${n} messages committed`, () => {
      const s = ingest.stats();
      return s.written + s.duplicates + s.deadLettered >= n;
    });

  before(async () => {
    db = await startEmbeddedDatabase({ port: 0 });
    pool = createPool(db.url);
    await migrate(pool);
    broker = await startBroker();
    publisher = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'publisher' });
    ingest = await startIngest({ mqttUrl: broker.url, clientId: 'ingest-presence', pool, batchMaxRows: 500, flushIntervalMs: 50, logger: createLogger('ingest-test', 'silent') });
  });
  after(async () => {
    await ingest.close();
    await publisher.endAsync();
    await broker.close();
    await pool.end();
    await db.close();
  });

  test('online then offline: the row follows, with since = the status ts', async () => {
    const birth = status('tag-p1', 1, true, T0);
    await send(birth);
    await committed(1);
    assert.deepEqual(await presence('tag-p1'), { site_id: SITE, online: true, since: new Date(T0), last_msg_id: birth.id });
    const will = status('tag-p1', 2, false, T0 + 60_000);
    await send(will);
    await committed(2);
    assert.deepEqual(await presence('tag-p1'), { site_id: SITE, online: false, since: new Date(T0 + 60_000), last_msg_id: will.id });
  });

  test('an older status arriving late, or a redelivery, does not overwrite a newer one', async () => {
    const offline = status('tag-p2', 5, false, T0 + 10_000);
    await send(offline);
    await committed(3);
    await send(status('tag-p2', 4, true, T0 + 5_000)); // late: composed earlier, delivered after
    await send(offline); // QoS 1 redelivery of the same envelope
    await committed(5);
    assert.deepEqual(await presence('tag-p2'), { site_id: SITE, online: false, since: new Date(T0 + 10_000), last_msg_id: offline.id });
  });

  test('several statuses of one device in one batch: the newest by ts wins, whatever the order', async () => {
    const newest = status('tag-p3', 9, true, T0 + 30_000);
    // published back to back they usually share a batch (flushIntervalMs 50); presenceRows below covers that case for certain
    await Promise.all([send(status('tag-p3', 7, true, T0 + 10_000)), send(newest), send(status('tag-p3', 8, false, T0 + 20_000))]);
    await committed(8);
    assert.deepEqual(await presence('tag-p3'), { site_id: SITE, online: true, since: new Date(T0 + 30_000), last_msg_id: newest.id });
    const rows = await pool.query<{ device_id: string }>('SELECT device_id FROM device_presence ORDER BY device_id');
    assert.deepEqual(rows.rows.map((r) => r.device_id), ['tag-p1', 'tag-p2', 'tag-p3']);
  });
});

test('presenceRows keeps one row per device, the newest by ts then msg_id, and ignores other kinds', () => {
  const row = (m: ReturnType<typeof status>) => [new Date(m.ts), m.id, m.dev, SITE, m.seq, m.type, JSON.stringify(m.body)];
  const a = status('d1', 1, true, T0 + 2);
  const b = status('d1', 2, false, T0 + 1);
  const c = status('d2', 3, false, T0);
  const health = newMessage('tag.health', 'd1', 4, { battery_pct: 50 }, T0 + 9);
  const rows = presenceRows([row(b), row(a), row(c), [new Date(health.ts), health.id, 'd1', SITE, 4, health.type, JSON.stringify(health.body)]]);
  assert.deepEqual(
    rows.map((r) => [r.deviceId, r.online, r.since.getTime(), r.msgId]),
    [
      ['d1', true, T0 + 2, a.id],
      ['d2', false, T0, c.id],
    ],
  );
});
