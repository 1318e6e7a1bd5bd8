import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createPool, hasTimescale, migrate, startEmbeddedDatabase, type EmbeddedDatabase } from '../src/index.js';
import { startRealPostgres } from './helpers.js';
import type pg from 'pg';

const TABLES = ['org_units', 'sites', 'devices', 'zones', 'tag_fixes', 'device_events', 'metrics', 'dead_letters', 'alerts', 'alert_transitions'];

async function tableNames(pool: pg.Pool): Promise<string[]> {
  const res = await pool.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
  return res.rows.map((r) => r.table_name);
}

describe('migrations on the embedded database (PGlite + TimescaleDB)', () => {
  let db: EmbeddedDatabase;
  let pool: pg.Pool;
  before(async () => {
    db = await startEmbeddedDatabase({ port: 0 });
    pool = createPool(db.url);
  });
  after(async () => {
    await pool.end();
    await db.close();
  });

  test('applies every file in order and makes the time series hypertables', async () => {
    const { applied } = await migrate(pool);
    assert.deepEqual(applied.slice(0, 4), ['001_extension', '002_registry', '003_timeseries', '004_alerts']);
    assert.deepEqual([...applied].sort(), applied);
    assert.equal(await hasTimescale(pool), true);
    for (const t of TABLES) assert.ok((await tableNames(pool)).includes(t), `table ${t} exists`);
    const hyper = await pool.query<{ hypertable_name: string }>('SELECT hypertable_name FROM timescaledb_information.hypertables ORDER BY 1');
    assert.deepEqual(
      hyper.rows.map((r) => r.hypertable_name).filter((n) => ['tag_fixes', 'device_events', 'metrics'].includes(n)),
      ['device_events', 'metrics', 'tag_fixes'],
    );
    const recorded = await pool.query<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version');
    assert.deepEqual(recorded.rows.map((r) => r.version), applied);
  });

  test('applying again is a no-op', async () => {
    const before = await pool.query('SELECT count(*)::int AS n FROM schema_migrations');
    assert.deepEqual(await migrate(pool), { applied: [] });
    const after = await pool.query('SELECT count(*)::int AS n FROM schema_migrations');
    assert.equal(after.rows[0].n, before.rows[0].n);
  });

  test('a failing migration rolls back and names the file', async (t) => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(`${tmpdir()}/vigil-mig-`);
    t.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(`${dir}/900_half.sql`, 'CREATE TABLE half_done (x int); SELECT no_such_function();');
    await assert.rejects(migrate(pool, dir), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'VIGIL_INGEST_MIGRATION');
      assert.match(err.message, /900_half\.sql/);
      return true;
    });
    assert.ok(!(await tableNames(pool)).includes('half_done'), 'the half-applied file left nothing behind');
    const rec = await pool.query("SELECT 1 FROM schema_migrations WHERE version = '900_half'");
    assert.equal(rec.rowCount, 0);
  });
});

describe('migrations on a real PostgreSQL 15 server without TimescaleDB', () => {
  test('apply as plain tables, and a fix can be stored and deduplicated', async (t) => {
    const server = await startRealPostgres();
    if ('skip' in server) {
      if (process.env.CI === 'true') assert.fail(`PostgreSQL 15 is required under CI: ${server.skip}`);
      t.diagnostic(`skipped: ${server.skip}`);
      t.skip(server.skip);
      return;
    }
    const pool = createPool(server.url);
    t.after(async () => {
      await pool.end();
      await server.stop();
    });
    const { applied } = await migrate(pool);
    assert.ok(applied.includes('003_timeseries'));
    assert.equal(await hasTimescale(pool), false);
    for (const t of TABLES) assert.ok((await tableNames(pool)).includes(t), `table ${t} exists`);
    const insert = `INSERT INTO tag_fixes (time, msg_id, device_id, site_id, seq, lat, lon, acc_m)
      VALUES ('2025-11-24T16:00:00Z', '019ab7c0-0000-7000-8000-000000000001', 'tag-1', 'site-1', 1, 31.2, 121.4, 5)
      ON CONFLICT DO NOTHING`;
    assert.equal((await pool.query(insert)).rowCount, 1);
    assert.equal((await pool.query(insert)).rowCount, 0);
    assert.deepEqual(await migrate(pool), { applied: [] });
  });
});
