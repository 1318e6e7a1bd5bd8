// COPY against multi-row INSERT for the ingest writer, on the embedded TimescaleDB and on a real
// PostgreSQL 15 server (started here like the tests do; or DATABASE_URL to use one you have).
// Both write the same batches of tag_fixes rows, with the dedupe in the database.
//   npm run bench:ingest-write            VIGIL_BENCH_ROWS=40000 VIGIL_BENCH_BATCH_ROWS=500 VIGIL_BENCH_ROUNDS=3
import { randomUUID } from 'node:crypto';
import { copyRows, createPool, insertValues, migrate, startEmbeddedDatabase, writeBatch, type IngestRecord, type RowWriter } from '@vigil/ingest';
import { startPgServer } from '../ingest/test/pg-server.js';

const TOTAL_ROWS = Number(process.env.VIGIL_BENCH_ROWS ?? 40_000);
const ROUNDS = Number(process.env.VIGIL_BENCH_ROUNDS ?? 3);
const BATCH_ROWS = Number(process.env.VIGIL_BENCH_BATCH_ROWS ?? 500);
const out = (line: string) => process.stdout.write(`${line}\n`);

function batchOf(n: number, t0: number): IngestRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    table: 'tag_fixes' as const,
    values: [new Date(t0 + i), randomUUID(), `tag-${i % 200}`, 'prison-a', i, 31.2 + i * 1e-6, 121.4, 5, 1.2, 90, null, 9, 'gnss'],
  }));
}

/** Rows per second writing TOTAL_ROWS in batches, plus one batch again to check the dedupe. */
async function measure(url: string, writer: RowWriter): Promise<number> {
  const pool = createPool(url, { idleTimeoutMs: 1_000 });
  try {
    await pool.query('DELETE FROM tag_fixes');
    await writeBatch(pool, batchOf(BATCH_ROWS, 0), writer); // warm-up: connection, plans, temp table
    const batches = Array.from({ length: Math.ceil(TOTAL_ROWS / BATCH_ROWS) }, (_, b) => batchOf(BATCH_ROWS, 1_764_000_000_000 + b * BATCH_ROWS));
    const start = process.hrtime.bigint();
    for (const batch of batches) await writeBatch(pool, batch, writer);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const again = await writeBatch(pool, batches[0]!, writer);
    if (again.written !== 0 || again.duplicates !== BATCH_ROWS) throw new Error(`dedupe failed: ${JSON.stringify(again)}`);
    return (batches.length * BATCH_ROWS) / seconds;
  } finally {
    await pool.end();
  }
}

async function compare(name: string, url: string, copySupported = true): Promise<void> {
  const pool = createPool(url);
  await migrate(pool);
  await pool.end();
  if (!copySupported) {
    let insert = 0;
    for (let round = 0; round < ROUNDS; round++) insert = Math.max(insert, await measure(url, insertValues));
    out(`${name}: multi-row INSERT ${insert.toFixed(0)} rows/s, COPY not measured (COPY FROM STDIN through pglite-socket aborts PGlite: "RuntimeError: unreachable")`);
    return;
  }
  // Alternate the methods and keep the best of ROUNDS runs each: this machine is shared, so the best run is the least disturbed.
  let bestInsert = 0;
  let bestCopy = 0;
  for (let round = 0; round < ROUNDS; round++) {
    bestInsert = Math.max(bestInsert, await measure(url, insertValues));
    bestCopy = Math.max(bestCopy, await measure(url, copyRows));
  }
  out(`${name}: multi-row INSERT ${bestInsert.toFixed(0)} rows/s, COPY via temp table ${bestCopy.toFixed(0)} rows/s, COPY/INSERT ${(bestCopy / bestInsert).toFixed(2)}`);
}

out(`ingest writer, ${TOTAL_ROWS} tag_fixes rows in batches of ${BATCH_ROWS}`);
const embedded = await startEmbeddedDatabase({ port: 0 });
try {
  await compare('embedded TimescaleDB (PGlite)', embedded.url, false);
} finally {
  await embedded.close();
}
if (process.env.DATABASE_URL) {
  await compare('DATABASE_URL', process.env.DATABASE_URL);
} else {
  const server = await startPgServer();
  try {
    await compare('PostgreSQL 15 (fsync=off)', server.url);
  } finally {
    await server.destroy();
  }
}
