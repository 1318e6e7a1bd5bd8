import type pg from 'pg';
import { upsertPresence } from './presence.js';
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
export type RowWriter = (client: pg.PoolClient, table: keyof typeof COLUMNS, rows: unknown[][], dedupe: boolean) => Promise<number>;

// PostgreSQL allows 65535 bind parameters per statement; stay well below it.
const MAX_PARAMS = 30_000;

/**
 * Write one batch in a single transaction: multi-row INSERTs per table,
 * duplicates removed by the primary key (ON CONFLICT DO NOTHING). Resolves
 * only after COMMIT, so the caller may then acknowledge every message in it.
 */
export async function writeBatch(pool: pg.Pool, records: readonly IngestRecord[], insertRows: RowWriter = insertValues): Promise<BatchResult> {
  const byTable = { tag_fixes: [] as unknown[][], device_events: [] as unknown[][], metrics: [] as unknown[][], dead_letters: [] as unknown[][] };
  for (const r of records) byTable[r.table].push(r.values);
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const fixes = await insertRows(client, 'tag_fixes', byTable.tag_fixes, true);
    const events = await insertRows(client, 'device_events', byTable.device_events, true);
    // agent.status rows also update who is online, in the same transaction (presence.ts)
    await upsertPresence(client, byTable.device_events);
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
