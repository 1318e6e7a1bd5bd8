import type pg from 'pg';
import { presenceRows, upsertPresenceRows } from './presence.js';
import { COLUMNS, type IngestRecord } from './records.js';

/** What one committed batch did. */
export interface BatchResult {
  /** New rows in tag_fixes, device_events and metrics. */
  written: number;
  /** Valid rows already stored (same msg_id and time; for metrics same device, measurement, tags and time): QoS 1 redelivery or edge replay. */
  duplicates: number;
  /** New rows in dead_letters: one already stored (same source, topic and payload bytes) is not counted again. */
  deadLettered: number;
  /** New rows per table (the parts of `written`). */
  writtenByTable: { tag_fixes: number; device_events: number; metrics: number };
}

/**
 * Stores `rows` of one table inside the caller's transaction and returns how
 * many are new; `dedupe` skips rows whose key is already stored.
 */
export type RowWriter = ((client: pg.PoolClient, table: keyof typeof COLUMNS, rows: unknown[][], dedupe: boolean) => Promise<number>) & {
  /**
   * True if the writer stores any number of rows of one table with one statement and nothing else. A batch
   * needing just that one statement then runs it on its own, without BEGIN and COMMIT: a single statement
   * is a transaction of its own, committed before the server answers it, so it resolves only after the
   * commit like the explicit transaction would (two round trips and two statements fewer per batch).
   */
  readonly oneStatement?: boolean;
};

const TABLES = ['tag_fixes', 'device_events', 'metrics', 'dead_letters'] as const;

// PostgreSQL allows 65535 bind parameters per statement; stay well below it.
const MAX_PARAMS = 30_000;

/**
 * Write one batch in a single transaction: one RowWriter call per table,
 * duplicates removed by the primary key (ON CONFLICT DO NOTHING). Resolves
 * only after COMMIT, so the caller may then acknowledge every message in it.
 * A batch a `oneStatement` writer stores with one statement is that statement alone.
 */
export async function writeBatch(pool: pg.Pool, records: readonly IngestRecord[], insertRows: RowWriter = insertValues): Promise<BatchResult> {
  const byTable = { tag_fixes: [] as unknown[][], device_events: [] as unknown[][], metrics: [] as unknown[][], dead_letters: [] as unknown[][] };
  for (const r of records) byTable[r.table].push(r.values);
  // agent.status rows also update who is online, in the same transaction (presence.ts): one row per device.
  const presence = presenceRows(byTable.device_events);
  const tables = TABLES.filter((t) => byTable[t].length > 0);
  const client = await pool.connect();
  let broken = false;
  try {
    if (insertRows.oneStatement && tables.length === 1 && presence.length === 0) {
      // One statement, its own transaction: committed when it returns (RowWriter.oneStatement).
      const table = tables[0]!;
      const n = await insertRows(client, table, byTable[table], true);
      const valid = table === 'dead_letters' ? 0 : byTable[table].length;
      const written = table === 'dead_letters' ? 0 : n;
      const writtenByTable = { tag_fixes: 0, device_events: 0, metrics: 0 };
      if (table !== 'dead_letters') writtenByTable[table] = n;
      return { written, duplicates: valid - written, deadLettered: table === 'dead_letters' ? n : 0, writtenByTable };
    }
    await client.query('BEGIN');
    const fixes = await insertRows(client, 'tag_fixes', byTable.tag_fixes, true);
    const events = await insertRows(client, 'device_events', byTable.device_events, true);
    await upsertPresenceRows(client, presence);
    const metrics = await insertRows(client, 'metrics', byTable.metrics, true);
    // Deduped too (migration 013): a redelivered invalid message is the same bytes on the same topic.
    const dead = await insertRows(client, 'dead_letters', byTable.dead_letters, true);
    await client.query('COMMIT');
    const valid = byTable.tag_fixes.length + byTable.device_events.length + byTable.metrics.length;
    const written = fixes + events + metrics;
    return { written, duplicates: valid - written, deadLettered: dead, writtenByTable: { tag_fixes: fixes, device_events: events, metrics } };
  } catch (err) {
    broken = true;
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    // A connection that failed mid-transaction may be dead; discard it rather than reuse it.
    client.release(broken);
  }
}

/** The default RowWriter: multi-row INSERT ... VALUES with bind parameters (ON CONFLICT DO NOTHING when deduping). */
export const insertValues: RowWriter = async (client, table, rows, dedupe) => {
  const cols = COLUMNS[table];
  const perStatement = Math.floor(MAX_PARAMS / cols.length);
  let inserted = 0;
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    const params: unknown[] = [];
    const tuples = chunk.map((row) => `(${row.map((v) => `$${params.push(v)}`).join(', ')})`);
    const sql = `INSERT INTO ${table} (${cols.join(', ')}) VALUES ${tuples.join(', ')}${dedupe ? ' ON CONFLICT DO NOTHING' : ''}`;
    const res = await client.query(sql, params);
    inserted += res.rowCount ?? 0;
  }
  return inserted;
};
