import assert from 'node:assert/strict';
import { test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import pg from 'pg';
import { startEmbeddedDatabase } from '../src/index.js';

// PGlite kept every message its backend sent through the socket (BindComplete, CommandComplete,
// ReadyForQuery, DEBUG notices) until an in-process query ran: ~590 bytes per statement, ~115 MiB/h
// in a soak (src/pglite-socket-messages.ts). The live heap must stay flat under socket traffic alone.

function gcFunction(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

test('statements through the socket leave nothing on the live JavaScript heap', async () => {
  const gc = gcFunction();
  const liveHeap = () => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const db = await startEmbeddedDatabase({ port: 0 });
  const client = new pg.Client(db.url);
  try {
    await client.connect();
    await client.query('CREATE TABLE heap_probe (ts timestamptz NOT NULL, id uuid PRIMARY KEY, dev text, v float8)');
    const insert = async () => {
      const ids = Array.from({ length: 20 }, () => crypto.randomUUID());
      await client.query({
        name: 'heap_probe_insert',
        text: 'INSERT INTO heap_probe SELECT * FROM unnest($1::timestamptz[], $2::uuid[], $3::text[], $4::float8[]) ON CONFLICT DO NOTHING',
        values: [ids.map(() => new Date()), ids, ids.map(() => 'd1'), ids.map(() => Math.random())],
      });
    };
    for (let i = 0; i < 500; i++) await insert();
    const before = liveHeap();
    const statements = 5000;
    for (let i = 0; i < statements; i++) await insert();
    const grown = liveHeap() - before;
    // Unfixed: ~590 bytes a statement, ~2.8 MiB here; fixed: well under 0.5 MiB.
    assert.ok(grown < 1024 * 1024, `live heap grew ${(grown / 1048576).toFixed(2)} MiB over ${statements} statements (${Math.round(grown / statements)} bytes each)`);
  } finally {
    await client.end();
    await db.close();
  }
});
