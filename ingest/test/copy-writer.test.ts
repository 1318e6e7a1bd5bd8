import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { copyOrInsert, copyRows, COPY_MIN_ROWS, createPool, insertValues, isEmbeddedServer, migrate, rowWriterFor, writeBatch, writeMethodEnv, type IngestRecord } from '../src/index.js';
import { unnestRows, unnestRowsUnnamed } from '../src/unnest-writer.js';
import { backends } from './backends.js';

const [embedded, real] = backends() as [ReturnType<typeof backends>[number], ReturnType<typeof backends>[number]];

test('writeMethodEnv: auto by default, names the variable when bad', () => {
  assert.equal(writeMethodEnv('VIGIL_INGEST_WRITE_METHOD', {}), 'auto');
  assert.equal(writeMethodEnv('VIGIL_INGEST_WRITE_METHOD', { VIGIL_INGEST_WRITE_METHOD: 'copy' }), 'copy');
  assert.equal(writeMethodEnv('VIGIL_INGEST_WRITE_METHOD', { VIGIL_INGEST_WRITE_METHOD: 'unnest' }), 'unnest');
  assert.throws(() => writeMethodEnv('VIGIL_INGEST_WRITE_METHOD', { VIGIL_INGEST_WRITE_METHOD: 'bulk' }), /^ConfigError: VIGIL_INGEST_WRITE_METHOD: must be one of auto, insert, copy/);
});

describe(`write method on ${embedded.name}`, () => {
  test('auto picks INSERT ... unnest with an unnamed statement: PGlite keeps prepared names across connections', async (t) => {
    const pool = createPool(await embedded.start());
    t.after(async () => {
      await pool.end();
      await embedded.stop();
    });
    assert.equal(await isEmbeddedServer(pool), true);
    assert.equal(await rowWriterFor(pool, 'auto'), unnestRowsUnnamed);
    assert.equal(await rowWriterFor(pool, 'unnest'), unnestRowsUnnamed);
    assert.equal(await rowWriterFor(pool, 'insert'), insertValues);
  });
});

describe(`COPY writer on ${real.name}`, { skip: real.skip }, () => {
  let url: string;
  let pool: pg.Pool;
  before(async () => {
    url = await real.start();
    pool = createPool(url);
    await migrate(pool);
  });
  after(async () => {
    await pool.end();
    await real.stop();
  });

  test('auto picks INSERT ... unnest on a real server; copyOrInsert takes COPY for large batches, INSERT for small ones', async () => {
    assert.equal(await isEmbeddedServer(pool), false);
    assert.equal(await rowWriterFor(pool, 'auto'), unnestRows);
    assert.equal(await rowWriterFor(pool, 'copy'), copyRows);
    assert.equal(await rowWriterFor(pool, 'insert'), insertValues);
    // One connection kept open, so the session-local temporary table COPY goes through can be looked for.
    const session = createPool(url, { idleTimeoutMs: 60_000 });
    try {
      const copied = async () => (await session.query("SELECT to_regclass('pg_temp.vigil_copy_device_events') IS NOT NULL AS yes")).rows[0].yes as boolean;
      const rows = (n: number, t0: number): IngestRecord[] =>
        Array.from({ length: n }, (_, i) => ({ table: 'device_events', values: [new Date(t0 + i), randomUUID(), 'tag-1', 'site-auto', i, 'tag.health', '{}'] }));
      assert.deepEqual(await writeBatch(session, rows(COPY_MIN_ROWS - 1, 1_764_000_000_000), copyOrInsert), { written: COPY_MIN_ROWS - 1, duplicates: 0, deadLettered: 0, writtenByTable: { tag_fixes: 0, device_events: COPY_MIN_ROWS - 1, metrics: 0 } });
      assert.equal(await copied(), false, 'below COPY_MIN_ROWS: multi-row INSERT');
      const big = rows(COPY_MIN_ROWS, 1_765_000_000_000);
      assert.deepEqual(await writeBatch(session, big, copyOrInsert), { written: COPY_MIN_ROWS, duplicates: 0, deadLettered: 0, writtenByTable: { tag_fixes: 0, device_events: COPY_MIN_ROWS, metrics: 0 } });
      assert.equal(await copied(), true, 'from COPY_MIN_ROWS: COPY');
      assert.deepEqual(await writeBatch(session, big, copyOrInsert), { written: 0, duplicates: COPY_MIN_ROWS, deadLettered: 0, writtenByTable: { tag_fixes: 0, device_events: 0, metrics: 0 } });
    } finally {
      await session.end();
    }
  });

  test('COPY stores exactly what INSERT stores, awkward text and bytes included, and dedupes in the database', async () => {
    const awkward = 'tab\there, line\nbreak, cr\r, back\\slash, \\N, 监所 "quoted"';
    const batch = (site: string, ids: string[]): IngestRecord[] => [
      { table: 'tag_fixes', values: [new Date(1_764_000_000_123), ids[0], 'tag-1', site, 1, 31.25, 121.5, 4.5, null, 90, null, 7, awkward] },
      { table: 'device_events', values: [new Date(1_764_000_000_456), ids[1], 'tag-1', site, 2, 'tag.health', JSON.stringify({ note: awkward, battery_pct: 7 })] },
      { table: 'metrics', values: ['2025-11-24T16:00:00.000000123Z', site, `env-${site}`, 'weather', JSON.stringify({ room: awkward }), JSON.stringify({ t: 1.5 })] },
      { table: 'dead_letters', values: ['mqtt', `vigil/v1/${site}/tag-1/telemetry`, Buffer.from([0, 9, 10, 13, 92, 255]), 'VIGIL_SCHEMA_JSON', '', awkward], error: { code: 'VIGIL_SCHEMA_JSON', field: '', message: awkward } },
    ];
    const ids = [randomUUID(), randomUUID()];
    const ids2 = [randomUUID(), randomUUID()];
    assert.deepEqual(await writeBatch(pool, batch('site-copy', ids), copyRows), { written: 3, duplicates: 0, deadLettered: 1, writtenByTable: { tag_fixes: 1, device_events: 1, metrics: 1 } });
    assert.deepEqual(
      await writeBatch(pool, batch('site-copy', ids), copyRows),
      // The dead letter too: the same bytes on the same topic are stored once (migration 013).
      { written: 0, duplicates: 3, deadLettered: 0, writtenByTable: { tag_fixes: 0, device_events: 0, metrics: 0 } },
      'the same batch again',
    );
    await writeBatch(pool, batch('site-insert', ids2), insertValues);
    const read = async (site: string) => ({
      fix: (await pool.query('SELECT time, device_id, seq, lat, lon, acc_m, speed_mps, heading_deg, sats, src FROM tag_fixes WHERE site_id = $1', [site])).rows,
      event: (await pool.query('SELECT time, type, body FROM device_events WHERE site_id = $1', [site])).rows,
      metric: (await pool.query("SELECT to_char(time, 'YYYY-MM-DD HH24:MI:SS.US') AS t, tags, fields FROM metrics WHERE site_id = $1", [site])).rows,
      dead: (await pool.query('SELECT payload, reason FROM dead_letters WHERE topic = $1', [`vigil/v1/${site}/tag-1/telemetry`])).rows,
    });
    const copied = await read('site-copy');
    assert.deepEqual(copied.dead.slice(0, 1), (await read('site-insert')).dead);
    assert.deepEqual({ ...copied, dead: [] }, { ...(await read('site-insert')), dead: [] });
    assert.equal(copied.fix[0].src, awkward);
    assert.deepEqual(copied.dead[0].payload, Buffer.from([0, 9, 10, 13, 92, 255]));
  });
});
