import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { deviceTopic, newMessage } from '@vigil/schemas';
import type pg from 'pg';
import {
  applyPolicies,
  createLogger,
  createPool,
  migrate,
  needsJobRunner,
  parsePolicyInterval,
  startEmbeddedDatabase,
  startJobRunner,
  type EmbeddedDatabase,
} from '../src/index.js';
import { toRecord } from '../src/records.js';
import { writeBatch } from '../src/writer.js';
import { startRealPostgres } from './helpers.js';

const quiet = createLogger('schema-test', 'silent');
const H10 = Date.parse('2025-11-24T10:00:00Z');
const H11 = Date.parse('2025-11-24T11:00:00Z');
const MIN = 60_000;
let seq = 0;

/** Fixes, events and alerts across two hours, two devices and two sites, written as ingest writes them. */
async function insertDashboardRows(pool: pg.Pool): Promise<void> {
  const fix = (site: string, dev: string, ts: number) =>
    toRecord(deviceTopic(site, dev, 'telemetry'), Buffer.from(JSON.stringify(newMessage('tag.fix', dev, ++seq, { lat: 31.2, lon: 121.4, acc_m: 5 }, ts))));
  const health = (site: string, dev: string, ts: number) =>
    toRecord(deviceTopic(site, dev, 'telemetry'), Buffer.from(JSON.stringify(newMessage('tag.health', dev, ++seq, { battery_pct: 80 }, ts))));
  const records = [
    fix('site-a', 'tag-1', H10 + 1 * MIN),
    fix('site-a', 'tag-1', H10 + 20 * MIN),
    fix('site-a', 'tag-1', H10 + 59 * MIN),
    fix('site-a', 'tag-1', H11),
    fix('site-b', 'tag-2', H11 + 5 * MIN),
    fix('site-b', 'tag-2', H11 + 6 * MIN),
    health('site-a', 'tag-1', H10 + 2 * MIN),
    health('site-a', 'tag-1', H10 + 3 * MIN),
    health('site-b', 'tag-2', H11 + 30 * MIN),
  ];
  for (const r of records) assert.notEqual(r.table, 'dead_letters', JSON.stringify(r));
  assert.equal((await writeBatch(pool, records)).written, records.length);
  const alert = (id: number, site: string, severity: string, raisedMs: number) =>
    pool.query(
      `INSERT INTO alerts (id, key, rule, severity, state, site_id, device_id, title_en, title_zh, raised_at, last_at, evidence)
       VALUES ($1, $2, 'test', $3, 'raised', $4, 'tag-1', 'Test', '测试', $5, $5, '{}')`,
      [`019ab7c0-0000-7000-8000-00000000000${id}`, `k${id}`, severity, site, new Date(raisedMs)],
    );
  await alert(1, 'site-a', 'critical', H10 + 10 * MIN);
  await alert(2, 'site-a', 'high', H10 + 50 * MIN);
  await alert(3, 'site-b', 'low', H11 + 1 * MIN);
}

async function assertDashboardCounts(pool: pg.Pool): Promise<void> {
  const inRange = `bucket >= '2025-11-24T10:00:00Z' AND bucket < '2025-11-24T12:00:00Z'`;
  const fixes = await pool.query(`SELECT bucket, site_id, device_id, fixes::int FROM fixes_per_device_hourly WHERE ${inRange} ORDER BY 1, 3`);
  assert.deepEqual(fixes.rows, [
    { bucket: new Date(H10), site_id: 'site-a', device_id: 'tag-1', fixes: 3 },
    { bucket: new Date(H11), site_id: 'site-a', device_id: 'tag-1', fixes: 1 },
    { bucket: new Date(H11), site_id: 'site-b', device_id: 'tag-2', fixes: 2 },
  ]);
  const events = await pool.query(`SELECT bucket, site_id, device_id, type, events::int FROM events_per_device_hourly WHERE ${inRange} ORDER BY 1, 3`);
  assert.deepEqual(events.rows, [
    { bucket: new Date(H10), site_id: 'site-a', device_id: 'tag-1', type: 'tag.health', events: 2 },
    { bucket: new Date(H11), site_id: 'site-b', device_id: 'tag-2', type: 'tag.health', events: 1 },
  ]);
  const alerts = await pool.query(`SELECT bucket, site_id, alerts::int, critical::int, high::int, medium::int, low::int FROM alerts_per_site_hourly WHERE ${inRange} ORDER BY 1, 2`);
  assert.deepEqual(alerts.rows, [
    { bucket: new Date(H10), site_id: 'site-a', alerts: 2, critical: 1, high: 1, medium: 0, low: 0 },
    { bucket: new Date(H11), site_id: 'site-b', alerts: 1, critical: 0, high: 0, medium: 0, low: 1 },
  ]);
}

/** agent.status through the real writer: repeats of the same state and redeliveries are not changes. */
async function assertStatusChanges(pool: pg.Pool): Promise<void> {
  const t0 = Date.parse('2025-11-25T08:00:00Z');
  const status = (online: boolean, ts: number) => newMessage('agent.status', 'gw-1', ++seq, { online }, ts);
  const birth = status(true, t0);
  const brokerBirth = status(true, t0 + 1);
  const will = status(false, t0 + 60_000);
  const toRec = (m: ReturnType<typeof status>) => toRecord(deviceTopic('site-c', 'gw-1', 'status'), Buffer.from(JSON.stringify(m)));
  await writeBatch(pool, [toRec(birth), toRec(brokerBirth), toRec(will)]);
  const redelivered = await writeBatch(pool, [toRec(will)]);
  assert.equal(redelivered.duplicates, 1);
  const rows = await pool.query('SELECT msg_id, online, site_id, reason FROM device_status_changes WHERE device_id = $1 ORDER BY time', ['gw-1']);
  assert.deepEqual(rows.rows, [
    { msg_id: birth.id, online: true, site_id: 'site-c', reason: null },
    { msg_id: will.id, online: false, site_id: 'site-c', reason: null },
  ]);
}

async function assertAnalyticsTables(pool: pg.Pool): Promise<void> {
  await pool.query(`INSERT INTO detections (time, msg_id, det_idx, device_id, site_id, zone_id, label, score, box, snapshot_ref)
    VALUES ('2025-11-24T10:00:00Z', '019ab7c0-0000-7000-8000-0000000000d1', 0, 'cam-1', 'site-a', 'yard', 'person', 0.91, '{"x":0.1,"y":0.2,"w":0.3,"h":0.4}', 'snap/1.jpg'),
           ('2025-11-24T10:00:00Z', '019ab7c0-0000-7000-8000-0000000000d1', 1, 'cam-1', 'site-a', 'yard', 'person', 0.72, NULL, NULL)`);
  await pool.query(`INSERT INTO checkins (time, msg_id, subject_id, device_id, site_id, result, liveness_score, face_match_score, lat, lon, acc_m, review_state)
    VALUES ('2025-11-24T10:00:00Z', '019ab7c0-0000-7000-8000-0000000000c1', 'p-1', 'phone-1', 'site-c', 'fail', 0.4, 0.8, 31.2, 121.4, 12, 'pending')`);
  const pending = await pool.query("SELECT subject_id FROM checkins WHERE review_state = 'pending'");
  assert.deepEqual(pending.rows, [{ subject_id: 'p-1' }]);
  await assert.rejects(pool.query("UPDATE checkins SET review_state = 'maybe'"), /check constraint/);
}

describe('schema on the embedded database (PGlite + TimescaleDB)', () => {
  let db: EmbeddedDatabase;
  let pool: pg.Pool;
  before(async () => {
    db = await startEmbeddedDatabase({ port: 0 });
    pool = createPool(db.url);
    await migrate(pool);
  });
  after(async () => {
    await pool.end();
    await db.close();
  });

  test('the new time series are hypertables and the fix/event views are continuous aggregates', async () => {
    const hyper = await pool.query<{ n: string }>("SELECT hypertable_name AS n FROM timescaledb_information.hypertables WHERE hypertable_schema = 'public'");
    const names = hyper.rows.map((r) => r.n);
    for (const t of ['device_status_changes', 'detections', 'checkins']) assert.ok(names.includes(t), `${t} is a hypertable`);
    const caggs = await pool.query<{ view_name: string; materialized_only: boolean }>(
      'SELECT view_name, materialized_only FROM timescaledb_information.continuous_aggregates ORDER BY 1',
    );
    assert.deepEqual(caggs.rows, [
      { view_name: 'events_per_device_hourly', materialized_only: false },
      { view_name: 'fixes_per_device_hourly', materialized_only: false },
    ]);
  });

  test('dashboard views give exact hourly counts, before and after a refresh', async () => {
    await insertDashboardRows(pool);
    // Real-time aggregation: exact with nothing materialized yet (no scheduler runs refreshes here).
    await assertDashboardCounts(pool);
    await pool.query('CALL refresh_continuous_aggregate($1, NULL, NULL)', ['fixes_per_device_hourly']);
    await pool.query('CALL refresh_continuous_aggregate($1, NULL, NULL)', ['events_per_device_hourly']);
    await assertDashboardCounts(pool);
  });

  test('agent.status envelopes become status changes; detections and check-ins store', async () => {
    await assertStatusChanges(pool);
    await assertAnalyticsTables(pool);
  });

  test('applyPolicies sets compression, retention and refresh jobs, idempotently', async () => {
    const jobs = async () =>
      (
        await pool.query<{ proc_name: string; hypertable_name: string; config: Record<string, unknown> }>(
          "SELECT proc_name, hypertable_name, config FROM timescaledb_information.jobs WHERE proc_name LIKE 'policy_%' AND proc_name <> 'policy_job_stat_history_retention' ORDER BY 1, 2",
        )
      ).rows;
    const result = await applyPolicies(pool, { compressAfter: '7 days', retainFor: '400 days', logger: quiet });
    assert.deepEqual(result.filter((r) => r.status !== 'applied').map((r) => [r.object, r.status]), [['alerts_per_site_hourly', 'by_query']]);
    const first = await jobs();
    const tables = ['checkins', 'detections', 'device_events', 'device_status_changes', 'metrics', 'tag_fixes'];
    for (const t of tables) {
      assert.deepEqual(first.find((j) => j.proc_name === 'policy_compression' && j.hypertable_name === t)?.config.compress_after, '7 days', `${t} compression`);
      assert.deepEqual(first.find((j) => j.proc_name === 'policy_retention' && j.hypertable_name === t)?.config.drop_after, '400 days', `${t} retention`);
    }
    const refreshes = first.filter((j) => j.proc_name === 'policy_refresh_continuous_aggregate');
    assert.deepEqual(refreshes.map((j) => j.config.start_offset), ['400 days', '400 days'], 'the refresh window reaches back as far as retention');
    const settings = await pool.query("SELECT attname, segmentby_column_index FROM timescaledb_information.compression_settings WHERE hypertable_name = 'tag_fixes' ORDER BY 1");
    assert.deepEqual(settings.rows, [{ attname: 'device_id', segmentby_column_index: 1 }, { attname: 'time', segmentby_column_index: null }]);

    // Again with other ages: the same jobs, replaced; 'forever' removes retention.
    await applyPolicies(pool, { compressAfter: '2 days', retainFor: null, logger: quiet });
    const second = await jobs();
    assert.equal(second.filter((j) => j.proc_name === 'policy_retention').length, 0);
    assert.equal(second.filter((j) => j.proc_name === 'policy_compression').length, tables.length);
    assert.ok(second.filter((j) => j.proc_name === 'policy_compression').every((j) => j.config.compress_after === '2 days'));
    assert.deepEqual(second.filter((j) => j.proc_name === 'policy_refresh_continuous_aggregate').map((j) => j.config.start_offset), [null, null]);
  });

  test('the job runner runs compression, retention and refresh on the embedded build', async (t) => {
    await applyPolicies(pool, { compressAfter: '7 days', retainFor: '400 days', logger: quiet });
    const ancient = new Date(Date.now() - 500 * 86_400_000);
    await pool.query(`INSERT INTO tag_fixes (time, msg_id, device_id, site_id, seq, lat, lon, acc_m)
      VALUES ($1, '019ab7c0-0000-7000-8000-0000000000a1', 'tag-old', 'site-a', 1, 31.2, 121.4, 5)`, [ancient]);
    // Late data far older than the compression age, in an hour never materialized: below the
    // watermark it is invisible until a refresh covers it, so the refresh window must reach it.
    await pool.query(`INSERT INTO tag_fixes (time, msg_id, device_id, site_id, seq, lat, lon, acc_m)
      VALUES ('2025-11-24T14:10:00Z', '019ab7c0-0000-7000-8000-0000000000a2', 'tag-late', 'site-a', 1, 31.2, 121.4, 5),
             ('2025-11-24T14:20:00Z', '019ab7c0-0000-7000-8000-0000000000a3', 'tag-late', 'site-a', 2, 31.2, 121.4, 5)`);
    let clockMs = Date.now();
    // PGlite has no background workers, so nothing else runs these jobs here.
    const runner = await startJobRunner(pool, { checkIntervalMs: 3_600_000, nowMs: () => clockMs, logger: quiet });
    t.after(() => runner.close());
    assert.equal(runner.active, true);
    const policyJobs = await pool.query<{ job_id: number; proc_name: string }>(
      "SELECT job_id, proc_name FROM timescaledb_information.jobs WHERE proc_name IN ('policy_compression', 'policy_retention', 'policy_refresh_continuous_aggregate') ORDER BY job_id",
    );
    assert.equal(policyJobs.rows.length, 6 + 6 + 2);
    assert.deepEqual(await runner.runDue(), policyJobs.rows.map((j) => j.job_id));
    const old = await pool.query("SELECT count(*)::int AS n FROM tag_fixes WHERE device_id = 'tag-old'");
    assert.equal(old.rows[0].n, 0, 'retention dropped the 500-day-old chunk');
    const compressed = await pool.query(
      "SELECT count(*)::int AS n FROM timescaledb_information.chunks WHERE hypertable_name = 'tag_fixes' AND is_compressed AND range_start = '2025-11-24T00:00:00Z'",
    );
    assert.equal(compressed.rows[0].n, 1, 'the 2025-11-24 chunk is compressed');
    await assertDashboardCounts(pool);
    const late = await pool.query("SELECT bucket, fixes::int FROM fixes_per_device_hourly WHERE device_id = 'tag-late'");
    assert.deepEqual(late.rows, [{ bucket: new Date('2025-11-24T14:00:00Z'), fixes: 2 }]);
    assert.deepEqual(await runner.runDue(), [], 'nothing is due again at once');
    clockMs += 13 * 3_600_000; // compression runs every 12 h, retention daily, refresh every 30 min
    const again = new Set(await runner.runDue());
    const expected = policyJobs.rows.filter((j) => j.proc_name !== 'policy_retention').map((j) => j.job_id);
    assert.deepEqual([...again].sort((a, b) => a - b), expected);
  });

  test('applyPolicies refuses ages under a day', async () => {
    await assert.rejects(applyPolicies(pool, { compressAfter: '1 hour', retainFor: null, logger: quiet }), /VIGIL_INGEST_DB|compress_after must be at least 1 day/);
  });
});

describe('schema on a real PostgreSQL 15 server without TimescaleDB', () => {
  test('migrations apply, views aggregate by query, applyPolicies is a no-op', async (t) => {
    const server = await startRealPostgres();
    if ('skip' in server) {
      if (process.env.CI === 'true') assert.fail(`PostgreSQL 15 is required under CI: ${server.skip}`);
      t.diagnostic(`skipped: ${server.skip}`);
      t.skip(server.skip);
      return;
    }
    const setup = createPool(server.url);
    const { applied } = await migrate(setup);
    // A session time zone with a half-hour offset must not shift the buckets (new sessions get it).
    await setup.query("ALTER DATABASE postgres SET timezone = 'Asia/Kolkata'");
    await setup.end();
    const pool = createPool(server.url);
    t.after(async () => {
      await pool.end();
      await server.stop();
    });
    assert.deepEqual((await pool.query('SHOW timezone')).rows, [{ TimeZone: 'Asia/Kolkata' }]);
    assert.ok(applied.includes('010_status_detections_checkins') && applied.includes('011_dashboard_aggregates') && applied.includes('012_policies'));
    const kinds = await pool.query("SELECT relname, relkind FROM pg_class WHERE relname IN ('fixes_per_device_hourly', 'events_per_device_hourly', 'alerts_per_site_hourly') ORDER BY 1");
    assert.deepEqual(kinds.rows.map((r) => r.relkind), ['v', 'v', 'v']);
    await insertDashboardRows(pool);
    await assertDashboardCounts(pool);
    await assertStatusChanges(pool);
    await assertAnalyticsTables(pool);
    const result = await applyPolicies(pool, { compressAfter: '7 days', retainFor: '400 days', logger: quiet });
    assert.deepEqual(result, [{ object: '*', feature: 'policies', status: 'skipped', detail: 'plain PostgreSQL: no TimescaleDB extension' }]);
    assert.equal(await needsJobRunner(pool), false);
    const runner = await startJobRunner(pool, { logger: quiet });
    assert.equal(runner.active, false);
    assert.deepEqual(await runner.runDue(), []);
    await runner.close();
  });
});

describe('policy settings', () => {
  test('parsePolicyInterval accepts hours, days and weeks from 1 day to 100 years', () => {
    assert.equal(parsePolicyInterval('7 days'), '7 days');
    assert.equal(parsePolicyInterval('2w'), '14 days');
    assert.equal(parsePolicyInterval('36 hours'), '36 hours');
    assert.equal(parsePolicyInterval(' 48H '), '2 days');
    for (const bad of ['', 'soon', '7', '1 hour', '23 hours', '3 months', '1 year', '-1 day', '1.5 days', '36526 days']) {
      assert.equal(parsePolicyInterval(bad), undefined, bad);
    }
  });

  test('a bad VIGIL_COMPRESS_AFTER or VIGIL_RETAIN_FOR stops ingest main with exit 78 naming it', async () => {
    const pkg = new URL('..', import.meta.url).pathname;
    const run = async (env: Record<string, string>) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(pkg, 'src', 'main.ts')], {
        cwd: pkg,
        env: { PATH: process.env.PATH ?? '', VIGIL_MQTT_URL: 'mqtt://127.0.0.1:1', ...env },
      });
      let err = '';
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      return { code, err };
    };
    const compress = await run({ VIGIL_COMPRESS_AFTER: 'soon' });
    assert.equal(compress.code, 78);
    assert.match(compress.err, /^VIGIL_COMPRESS_AFTER: .*"soon"/);
    const retain = await run({ VIGIL_RETAIN_FOR: '3 months' });
    assert.equal(retain.code, 78);
    assert.match(retain.err, /^VIGIL_RETAIN_FOR: .*"forever"/);
  });
});
