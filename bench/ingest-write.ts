// The ingest writers compared in isolation, on the embedded TimescaleDB and on a real PostgreSQL 15
// server (started here like the tests do; or DATABASE_URL to use one you have): multi-row INSERT with
// bind parameters, COPY through a temporary table, and one INSERT ... SELECT FROM unnest(arrays).
// All write the same batches of tag_fixes rows through writeBatch, with the dedupe in the database.
// Besides rows/s it prints the CPU each side spent per row: this process (the ingest side) and, for the
// server started here, every PostgreSQL process (read from /proc).
//   npm run bench:ingest-write            VIGIL_BENCH_ROWS=40000 VIGIL_BENCH_BATCH_ROWS=500 VIGIL_BENCH_ROUNDS=3
import { randomUUID } from 'node:crypto';
import { copyRows, createPool, insertValues, migrate, startEmbeddedDatabase, writeBatch, type IngestRecord, type RowWriter } from '@vigil/ingest';
import { unnestRows, unnestRowsText, unnestRowsUnnamed } from '../ingest/src/unnest-writer.js';
import { startPgServer } from '../ingest/test/pg-server.js';
import { pgCpuSeconds } from './lib/pg-cpu.js';

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

interface Measured {
  rowsPerSecond: number;
  /** CPU of this process per row, µs. */
  clientUs: number;
  /** CPU of the PostgreSQL server per row, µs (undefined when it is not ours to read). */
  serverUs: number | undefined;
}

const clientCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Rows per second writing TOTAL_ROWS in batches, plus one batch again to check the dedupe. */
async function measure(url: string, writer: RowWriter, serverCpu?: () => number): Promise<Measured> {
  const pool = createPool(url, { idleTimeoutMs: 1_000 });
  try {
    // TRUNCATE, not DELETE: no dead rows for autovacuum to clean up during the next measurement (its CPU would count)
    await pool.query('TRUNCATE tag_fixes');
    await writeBatch(pool, batchOf(BATCH_ROWS, 0), writer); // warm-up: connection, plans, temp table
    const batches = Array.from({ length: Math.ceil(TOTAL_ROWS / BATCH_ROWS) }, (_, b) => batchOf(BATCH_ROWS, 1_764_000_000_000 + b * BATCH_ROWS));
    const cpu0 = { client: clientCpu(), server: serverCpu?.() };
    const start = process.hrtime.bigint();
    for (const batch of batches) await writeBatch(pool, batch, writer);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const rows = batches.length * BATCH_ROWS;
    const measured: Measured = {
      rowsPerSecond: rows / seconds,
      clientUs: ((clientCpu() - cpu0.client) / rows) * 1e6,
      serverUs: serverCpu && cpu0.server !== undefined ? ((serverCpu() - cpu0.server) / rows) * 1e6 : undefined,
    };
    const again = await writeBatch(pool, batches[0]!, writer);
    if (again.written !== 0 || again.duplicates !== BATCH_ROWS) throw new Error(`dedupe failed: ${JSON.stringify(again)}`);
    const { rows: stored } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM tag_fixes');
    if (stored[0]!.n !== rows + BATCH_ROWS) throw new Error(`stored ${stored[0]!.n} rows, not ${rows + BATCH_ROWS}`);
    return measured;
  } finally {
    await pool.end();
  }
}

const WRITERS: [string, RowWriter][] = [
  ['multi-row INSERT', insertValues],
  ['COPY via temp table', copyRows],
  ['INSERT ... unnest', unnestRows],
  ['unnest, unnamed', unnestRowsUnnamed],
  ['unnest, text arrays', unnestRowsText],
];

async function compare(name: string, url: string, opts: { copySupported: boolean; serverCpu?: () => number }): Promise<void> {
  const pool = createPool(url);
  await migrate(pool);
  await pool.end();
  // PGlite's one backend outlives client connections, so a named statement from an earlier one clashes there.
  const writers = opts.copySupported ? WRITERS : WRITERS.filter(([n]) => !n.startsWith('COPY') && n !== 'INSERT ... unnest' && n !== 'unnest, text arrays');
  // Alternate the methods and keep the best of ROUNDS runs each: this machine is shared, so the best run is the least disturbed.
  const best = new Map<string, Measured>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [writerName, writer] of writers) {
      const m = await measure(url, writer, opts.serverCpu);
      const prev = best.get(writerName);
      if (!prev || m.rowsPerSecond > prev.rowsPerSecond) best.set(writerName, m);
    }
  }
  out(`${name}:`);
  for (const [writerName, m] of best) {
    const server = m.serverUs === undefined ? '' : `, server CPU ${m.serverUs.toFixed(1)} µs/row`;
    out(`  ${writerName.padEnd(20)} ${m.rowsPerSecond.toFixed(0).padStart(7)} rows/s, client CPU ${m.clientUs.toFixed(1)} µs/row${server}`);
  }
  if (!opts.copySupported) out('  COPY not measured (COPY FROM STDIN through pglite-socket aborts PGlite: "RuntimeError: unreachable")');
}

out(`ingest writer, ${TOTAL_ROWS} tag_fixes rows in batches of ${BATCH_ROWS}`);
if (process.env.VIGIL_BENCH_SKIP_EMBEDDED !== '1') {
  const embedded = await startEmbeddedDatabase({ port: 0 });
  try {
    await compare('embedded TimescaleDB (PGlite)', embedded.url, { copySupported: false });
  } finally {
    await embedded.close();
  }
}
if (process.env.DATABASE_URL) {
  await compare('DATABASE_URL', process.env.DATABASE_URL, { copySupported: true });
} else {
  const server = await startPgServer();
  try {
    await compare('PostgreSQL 15 (fsync=off)', server.url, { copySupported: true, serverCpu: () => pgCpuSeconds(server.dataDir) });
  } finally {
    await server.destroy();
  }
}
