import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { optionalEnv, type Env } from './config.js';
import { ConfigError } from './errors.js';
import { COLUMNS } from './records.js';
import { unnestRows, unnestRowsUnnamed } from './unnest-writer.js';
import { insertValues, type RowWriter } from './writer.js';

/**
 * How a batch's rows reach the tables: multi-row INSERT ... VALUES, COPY through a temporary table, or
 * one INSERT ... SELECT FROM unnest(array per column) (src/unnest-writer.ts).
 */
export type WriteMethod = 'insert' | 'copy' | 'unnest';

/**
 * A RowWriter using COPY ... FROM STDIN (text format) into a session-local
 * temporary table, then `INSERT ... SELECT ... ON CONFLICT DO NOTHING`: COPY
 * itself cannot skip duplicates, and the dedupe must stay in the database so
 * that two ingest processes can never double a row. Faster than bind
 * parameters on a real server from about COPY_MIN_ROWS rows, but slower than
 * INSERT ... unnest (src/unnest-writer.ts) at every size measured (bench/ingest-write.ts).
 */
export const copyRows: RowWriter = async (client, table, rows, dedupe) => {
  if (rows.length === 0) return 0;
  const cols = COLUMNS[table].join(', ');
  const target = dedupe ? `vigil_copy_${table}` : table;
  if (dedupe) {
    // Created once per connection, emptied by every COMMIT (and gone with a ROLLBACK of its creation).
    await client.query(`CREATE TEMP TABLE IF NOT EXISTS ${target} (LIKE ${table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`);
  }
  await pipeline(Readable.from([rows.map(copyLine).join('')]), client.query(copyFrom(`COPY ${target} (${cols}) FROM STDIN`)));
  if (!dedupe) return rows.length;
  const res = await client.query(`INSERT INTO ${table} (${cols}) SELECT ${cols} FROM ${target} ON CONFLICT DO NOTHING`);
  return res.rowCount ?? 0;
};

/**
 * Rows of one table in one batch from which COPY beats multi-row INSERT on a real server. bench/ingest-write.ts
 * on PostgreSQL 15, COPY/INSERT over several runs: 0.81–1.17 at 500 rows, 0.91–1.20 at 1000, 1.29–1.46 at 2000.
 */
export const COPY_MIN_ROWS = 2_000;

/** COPY for COPY_MIN_ROWS rows or more, multi-row INSERT below: the faster of the two at each size. */
export const copyOrInsert: RowWriter = (client, table, rows, dedupe) =>
  (rows.length >= COPY_MIN_ROWS ? copyRows : insertValues)(client, table, rows, dedupe);

/** True if `pool` reaches the embedded PGlite, where COPY FROM STDIN through pglite-socket aborts the database. */
export async function isEmbeddedServer(pool: pg.Pool): Promise<boolean> {
  const res = await pool.query<{ v: string }>('SELECT version() AS v');
  return isPglite(res.rows[0]?.v ?? '');
}

/** PGlite is PostgreSQL compiled to WebAssembly with Emscripten, and its version() says so. */
function isPglite(version: string): boolean {
  return /emscripten|wasm/i.test(version);
}

/** One row in COPY text format [PostgreSQL docs, COPY "Text Format"]: tab-separated, \N for NULL, backslash escapes. */
function copyLine(values: readonly unknown[]): string {
  return `${values.map(copyField).join('\t')}\n`;
}

function copyField(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  if (v instanceof Date) return v.toISOString();
  // bytea hex input is \x..., and the backslash itself must be escaped in text format.
  if (Buffer.isBuffer(v)) return `\\\\x${v.toString('hex')}`;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 't' : 'f';
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return text.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

/**
 * The RowWriter for `method`. `'auto'` and `'unnest'`: INSERT ... unnest, the fastest on both
 * (bench/ingest-write.ts), as a named statement on a real PostgreSQL or TimescaleDB server and unnamed
 * on the embedded PGlite (its one backend outlives client connections, so names would clash there).
 * `'copy'`: COPY through a temporary table for every batch (not on the embedded PGlite: COPY FROM STDIN
 * through pglite-socket aborts it); `'insert'`: multi-row INSERT ... VALUES.
 */
export async function rowWriterFor(pool: pg.Pool, method: WriteMethod | 'auto'): Promise<RowWriter> {
  if (method === 'insert') return insertValues;
  if (method === 'copy') return copyRows;
  return (await isEmbeddedServer(pool)) ? unnestRowsUnnamed : unnestRows;
}

const METHODS = ['auto', 'insert', 'copy', 'unnest'] as const;

/** The write-method setting `name` (`auto`, `unnest`, `insert` or `copy`; default `auto`); a ConfigError naming it otherwise. */
export function writeMethodEnv(name: string, env: Env = process.env): WriteMethod | 'auto' {
  const raw = optionalEnv(name, 'auto', env);
  const method = METHODS.find((m) => m === raw);
  if (!method) {
    throw new ConfigError(name, `${name}: must be one of ${METHODS.join(', ')}, got ${JSON.stringify(raw)} / 配置项 ${name}：必须是 ${METHODS.join('、')} 之一，当前为 ${JSON.stringify(raw)}`);
  }
  return method;
}
