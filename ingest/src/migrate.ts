import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { IngestError } from './errors.js';

/** The folder of plain SQL migrations, applied in file-name order. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));

const MIGRATION_FILE = /^\d+_[A-Za-z0-9_-]+\.sql$/;

/**
 * Apply every migration in `dir` not yet recorded in `schema_migrations`,
 * each file in its own transaction, in name order. Applying twice is a no-op.
 */
export async function migrate(pool: pg.Pool, dir: string = MIGRATIONS_DIR): Promise<{ applied: string[] }> {
  const files = (await readdir(dir)).filter((f) => MIGRATION_FILE.test(f)).sort();
  await pool.query(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
  );
  const applied: string[] = [];
  for (const file of files) {
    const version = file.replace(/\.sql$/, '');
    const sql = await readFile(`${dir.replace(/\/?$/, '/')}${file}`, 'utf8');
    // One client per file, released before the next: never hold the single embedded connection longer than needed.
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      // The lock serialises concurrent runners (several services starting at once); the loser sees the row and skips.
      await client.query('LOCK TABLE schema_migrations IN EXCLUSIVE MODE');
      const done = await client.query('SELECT 1 FROM schema_migrations WHERE version = $1', [version]);
      if (done.rowCount === 0) {
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version]);
        applied.push(version);
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw new IngestError('VIGIL_INGEST_MIGRATION', `migration ${file} failed: ${(err as Error).message}`, { cause: err });
    } finally {
      client.release();
    }
  }
  return { applied };
}

/** True if the server has the TimescaleDB extension loaded in this database. */
export async function hasTimescale(pool: pg.Pool): Promise<boolean> {
  const res = await pool.query("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'");
  return (res.rowCount ?? 0) > 0;
}
