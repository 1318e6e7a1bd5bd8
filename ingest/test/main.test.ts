import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { deviceTopic, newMessage } from '@vigil/schemas';
import mqtt from 'mqtt';
import { createPool, migrate, startEmbeddedDatabase } from '../src/index.js';
import { startBroker, waitFor } from './helpers.js';

const PKG = new URL('..', import.meta.url).pathname;

/** Run a src entry point with tsx and the given environment (nothing inherited but PATH). */
function run(entry: string, env: Record<string, string>): { child: ChildProcessWithoutNullStreams; out: () => string; err: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(PKG, 'src', entry)], { cwd: PKG, env: { PATH: process.env.PATH ?? '', ...env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exit };
}

describe('main.ts', () => {
  test('a bad setting stops start-up with exit 78 and names the variable', async () => {
    const bad = run('main.ts', { VIGIL_MQTT_URL: 'mqtt://127.0.0.1:1', VIGIL_INGEST_BATCH_MAX_ROWS: 'many' });
    assert.equal(await bad.exit, 78);
    assert.match(bad.err(), /^VIGIL_INGEST_BATCH_MAX_ROWS: /);
    const missing = run('main.ts', {});
    assert.equal(await missing.exit, 78);
    assert.match(missing.err(), /VIGIL_MQTT_URL/);
  });

  test('with DATABASE_URL: migrates, ingests, and exits 0 on SIGTERM', async (t) => {
    const db = await startEmbeddedDatabase({ port: 0 });
    const broker = await startBroker();
    // Released right after each query: this test polls every 50 ms, which would otherwise keep the
    // single embedded connection busy and starve the service under test.
    const pool = createPool(db.url, { idleTimeoutMs: 1 });
    t.after(async () => {
      await pool.end();
      await broker.close();
      await db.close();
    });
    const svc = run('main.ts', { DATABASE_URL: db.url, VIGIL_MQTT_URL: broker.url, VIGIL_INGEST_FLUSH_INTERVAL_MS: '20' });
    t.after(() => svc.child.kill('SIGKILL'));
    await waitFor('ingest running', () => svc.out().includes('"ingest running"'), 30_000);
    assert.deepEqual(await migrate(pool), { applied: [] }, 'main.ts ran the migrations');
    const m = newMessage('tag.fix', 'tag-9', 1, { lat: 1, lon: 2, acc_m: 3 });
    const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
    await pub.publishAsync(deviceTopic('site-9', 'tag-9', 'telemetry'), JSON.stringify(m), { qos: 1 });
    await pub.endAsync();
    await waitFor('the fix stored', async () => (await pool.query('SELECT 1 FROM tag_fixes WHERE msg_id = $1', [m.id])).rowCount === 1);
    svc.child.kill('SIGTERM');
    assert.equal(await svc.exit, 0);
  });
});

describe('db-main.ts', () => {
  test('prints VIGIL_DB_READY <url>, keeps data on disk across restarts, exits 0 on SIGTERM', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-dbmain-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const env = { VIGIL_DB_PORT: '0', VIGIL_DATA_DIR: dir };
    const first = run('db-main.ts', env);
    t.after(() => first.child.kill('SIGKILL'));
    await waitFor('ready line', () => /^VIGIL_DB_READY \S+$/m.test(first.out()), 30_000);
    const url = /^VIGIL_DB_READY (\S+)$/m.exec(first.out())![1]!;
    const pool = createPool(url);
    await pool.query("INSERT INTO org_units (id, level, name_en, name_zh) VALUES ('root', 1, 'Ministry', '部')");
    await pool.end();
    first.child.kill('SIGTERM');
    assert.equal(await first.exit, 0);

    const second = run('db-main.ts', env);
    t.after(() => second.child.kill('SIGKILL'));
    await waitFor('ready line', () => /^VIGIL_DB_READY \S+$/m.test(second.out()), 30_000);
    const pool2 = createPool(/^VIGIL_DB_READY (\S+)$/m.exec(second.out())![1]!);
    const rows = await pool2.query('SELECT name_zh FROM org_units');
    await pool2.end();
    assert.deepEqual(rows.rows, [{ name_zh: '部' }]);
    second.child.kill('SIGTERM');
    assert.equal(await second.exit, 0);
  });
});
