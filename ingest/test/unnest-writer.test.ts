import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { createPool, insertValues, migrate, rowWriterFor, writeBatch, type IngestRecord, type RowWriter } from '../src/index.js';
import { arrayLiteral } from '../src/unnest-writer.js';
import { backends } from './backends.js';

test('arrayLiteral: NULL bare, numbers and times bare, every text quoted with " and \\ escaped', () => {
  const rows = [[null], [1.5], [new Date(1_764_000_000_123)], [''], ['NULL'], ['a,b {c} "d" \\e'], [Buffer.from([0, 255])], [true], [12n]];
  assert.equal(arrayLiteral(rows, 0), '{NULL,1.5,2025-11-24T16:00:00.123Z,"","NULL","a,b {c} \\"d\\" \\\\e","\\\\x00ff",t,12}');
});

for (const backend of backends()) {
  describe(`INSERT ... unnest writer on ${backend.name}`, { skip: backend.skip }, () => {
    let url: string;
    let pool: pg.Pool;
    let writer: RowWriter;
    before(async () => {
      url = await backend.start();
      pool = createPool(url);
      await migrate(pool);
      writer = await rowWriterFor(pool, 'auto');
    });
    after(async () => {
      await pool.end();
      await backend.stop();
    });

    test('stores exactly what multi-row INSERT stores, awkward text, NULLs and bytes included, and dedupes in the database', async () => {
      const awkward = 'tab\there, line\nbreak, cr\r, back\\slash, \\N, NULL, {a,b}, 监所 "quoted"';
      const batch = (site: string, ids: string[]): IngestRecord[] => [
        { table: 'tag_fixes', values: [new Date(1_764_000_000_123), ids[0], 'tag-1', site, 1, 31.25, 121.5, 4.5, null, 90, null, 7, awkward] },
        { table: 'tag_fixes', values: [new Date(1_764_000_000_124), ids[2], 'tag-1', site, 2, -0.000001234, 1e-7, 0.1, 2.5, null, -3.25, null, null] },
        { table: 'device_events', values: [new Date(1_764_000_000_456), ids[1], 'tag-1', site, 2, 'tag.health', JSON.stringify({ note: awkward, battery_pct: 7 })] },
        { table: 'metrics', values: ['2025-11-24T16:00:00.000000123Z', site, `env-${site}`, 'weather', JSON.stringify({ room: awkward }), JSON.stringify({ t: 1.5 })] },
        { table: 'dead_letters', values: ['mqtt', `vigil/v1/${site}/tag-1/telemetry`, Buffer.from([0, 9, 10, 13, 34, 92, 123, 255]), 'VIGIL_SCHEMA_JSON', '', awkward], error: { code: 'VIGIL_SCHEMA_JSON', field: '', message: awkward } },
      ];
      const ids = [randomUUID(), randomUUID(), randomUUID()];
      const ids2 = [randomUUID(), randomUUID(), randomUUID()];
      assert.deepEqual(await writeBatch(pool, batch('site-unnest', ids), writer), { written: 4, duplicates: 0, deadLettered: 1, writtenByTable: { tag_fixes: 2, device_events: 1, metrics: 1 } });
      assert.deepEqual(
        await writeBatch(pool, batch('site-unnest', ids), writer),
        { written: 0, duplicates: 4, deadLettered: 0, writtenByTable: { tag_fixes: 0, device_events: 0, metrics: 0 } },
        'the same batch again',
      );
      await writeBatch(pool, batch('site-insert', ids2), insertValues);
      const read = async (site: string) => ({
        fix: (await pool.query('SELECT time, device_id, seq, lat, lon, acc_m, speed_mps, heading_deg, alt_m, sats, src FROM tag_fixes WHERE site_id = $1 ORDER BY seq', [site])).rows,
        event: (await pool.query('SELECT time, type, body FROM device_events WHERE site_id = $1', [site])).rows,
        metric: (await pool.query("SELECT to_char(time, 'YYYY-MM-DD HH24:MI:SS.US') AS t, tags, fields FROM metrics WHERE site_id = $1", [site])).rows,
        dead: (await pool.query('SELECT payload, reason FROM dead_letters WHERE topic = $1', [`vigil/v1/${site}/tag-1/telemetry`])).rows,
      });
      const unnested = await read('site-unnest');
      assert.deepEqual(unnested, await read('site-insert'));
      assert.equal(unnested.fix[0].src, awkward);
      assert.equal(unnested.fix[1].src, null);
      assert.deepEqual(unnested.dead[0].payload, Buffer.from([0, 9, 10, 13, 34, 92, 123, 255]));
    });

    test('a batch of one table is one statement: committed, duplicates inside the batch and across batches folded', async () => {
      const fix = (id: string, seq: number): IngestRecord => ({ table: 'tag_fixes', values: [new Date(1_764_100_000_000 + seq), id, 'tag-2', 'site-one', seq, 31, 121, 5, null, null, null, null, 'gnss'] });
      const ids = Array.from({ length: 5 }, () => randomUUID());
      // a QoS 1 redelivery can land in the same batch as the first copy
      const first = [...ids.map((id, i) => fix(id, i)), fix(ids[0]!, 0)];
      assert.deepEqual(await writeBatch(pool, first, writer), { written: 5, duplicates: 1, deadLettered: 0, writtenByTable: { tag_fixes: 5, device_events: 0, metrics: 0 } });
      // committed: seen from another connection at once
      const other = createPool(url);
      try {
        assert.equal((await other.query("SELECT count(*)::int AS n FROM tag_fixes WHERE site_id = 'site-one'")).rows[0].n, 5);
      } finally {
        await other.end();
      }
      assert.deepEqual(await writeBatch(pool, [fix(ids[1]!, 1), fix(randomUUID(), 9)], writer), { written: 1, duplicates: 1, deadLettered: 0, writtenByTable: { tag_fixes: 1, device_events: 0, metrics: 0 } });
      const bad = [fix(randomUUID(), 20), { table: 'tag_fixes' as const, values: [new Date(1_764_100_000_021), 'not-a-uuid', 'tag-2', 'site-one', 21, 31, 121, 5, null, null, null, null, null] }];
      await assert.rejects(writeBatch(pool, bad, writer), /uuid/);
      assert.equal((await pool.query("SELECT count(*)::int AS n FROM tag_fixes WHERE site_id = 'site-one'")).rows[0].n, 6, 'a failed statement stores none of its rows');
    });

    test('values binary cannot carry go as text and are stored as multi-row INSERT stores them', async () => {
      const id = randomUUID();
      const upper = randomUUID().toUpperCase();
      const braced = randomUUID();
      const fix = (msgId: string, seq: number | bigint, time: Date): IngestRecord => ({ table: 'tag_fixes', values: [time, msgId, 'tag-4', 'site-fallback', seq, 31, 121, 5, null, null, null, 3, null] });
      const rows = [
        fix(id, 1, new Date(1_764_300_000_001)),
        // binary path, upper-case hex
        fix(upper, 2, new Date(1_764_300_000_002)),
        // PostgreSQL also reads {braced} UUIDs: that column goes as text
        fix(`{${braced}}`, 3n, new Date(1_764_300_000_003)),
        // beyond the µs a JS number holds exactly: the time column goes as text
        fix(randomUUID(), 2n ** 40n, new Date(8_640_000_000_000_000)),
        fix(randomUUID(), 5, new Date(Date.UTC(-99, 0, 1))),
      ];
      assert.deepEqual(await writeBatch(pool, rows, writer), { written: 5, duplicates: 0, deadLettered: 0, writtenByTable: { tag_fixes: 5, device_events: 0, metrics: 0 } });
      const stored = (await pool.query<{ msg_id: string; seq_text: string; year: number }>("SELECT msg_id, seq::text AS seq_text, extract(year FROM time AT TIME ZONE 'UTC')::int AS year FROM tag_fixes WHERE site_id = 'site-fallback' ORDER BY seq")).rows;
      assert.deepEqual(stored.map((r) => r.msg_id).slice(0, 3), [id, upper.toLowerCase(), braced]);
      assert.deepEqual(stored.map((r) => r.seq_text), ['1', '2', '3', '5', String(2n ** 40n)]);
      // 100 BC is year -99 in JS (there is a year 0) and -100 in extract's count (there is none)
      assert.deepEqual(stored.map((r) => r.year).slice(3), [-100, 275760]);
      // the same rows again are duplicates, whichever way each column went
      assert.deepEqual(await writeBatch(pool, rows, writer), { written: 0, duplicates: 5, deadLettered: 0, writtenByTable: { tag_fixes: 0, device_events: 0, metrics: 0 } });
      await assert.rejects(writeBatch(pool, [fix(randomUUID(), 1.5, new Date(1_764_300_000_005))], writer), /bigint/);
    });

    test('keeps working across new connections (the pool closes idle ones): statement names never clash', async () => {
      const short = createPool(url, { idleTimeoutMs: 1 });
      try {
        for (let round = 0; round < 3; round++) {
          const id = randomUUID();
          const rows: IngestRecord[] = [{ table: 'device_events', values: [new Date(1_764_200_000_000 + round), id, 'tag-3', 'site-conn', round, 'tag.health', '{}'] }];
          assert.deepEqual(await writeBatch(short, rows, writer), { written: 1, duplicates: 0, deadLettered: 0, writtenByTable: { tag_fixes: 0, device_events: 1, metrics: 0 } });
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      } finally {
        await short.end();
      }
    });
  });
}
