import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createPool, migrate, startEmbeddedDatabase } from '../src/index.js';
import { freePort, startBroker, waitFor } from './helpers.js';

const PKG = new URL('..', import.meta.url).pathname;

/** Run a src entry point with tsx and the given environment (nothing inherited but PATH). */
function run(entry: string, args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(PKG, 'src', entry), ...args], { cwd: PKG, env: { PATH: process.env.PATH ?? '', ...env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exit };
}

describe('main.ts serves line protocol over HTTP when VIGIL_INGEST_HTTP_PORT is set; the lp-token CLI', () => {
  test('a bad HTTP or mirror setting stops start-up with exit 78 naming it', async () => {
    const bad = run('main.ts', [], { VIGIL_MQTT_URL: 'mqtt://127.0.0.1:1', VIGIL_INGEST_HTTP_PORT: 'eighty' });
    assert.equal(await bad.exit, 78);
    assert.match(bad.err(), /^VIGIL_INGEST_HTTP_PORT: /);
    const mirror = run('main.ts', [], { VIGIL_MQTT_URL: 'mqtt://127.0.0.1:1', VIGIL_INGEST_MIRROR_URL: 'http://127.0.0.1:8086', VIGIL_INGEST_MIRROR_API: 'v3' });
    assert.equal(await mirror.exit, 78);
    assert.match(mirror.err(), /^VIGIL_INGEST_MIRROR_API: must be v1 or v2/);
    const noBucket = run('main.ts', [], { VIGIL_MQTT_URL: 'mqtt://127.0.0.1:1', VIGIL_INGEST_MIRROR_URL: 'http://127.0.0.1:8086' });
    assert.equal(await noBucket.exit, 78);
    assert.match(noBucket.err(), /^VIGIL_INGEST_MIRROR_BUCKET: /);
  });

  test('token created by the CLI writes through main.ts; after revoke it is refused', async (t) => {
    const db = await startEmbeddedDatabase({ port: 0 });
    const broker = await startBroker();
    // Released right after each query, so the service under test gets the single embedded connection.
    const pool = createPool(db.url, { idleTimeoutMs: 1 });
    t.after(async () => {
      await pool.end();
      await broker.close();
      await db.close();
    });
    await migrate(pool);
    await pool.query(`INSERT INTO org_units (id, level, name_en, name_zh) VALUES ('sh', 3, 'Shanghai', '上海')`);
    await pool.query(`INSERT INTO sites (id, org_unit_id, kind, name_en, name_zh) VALUES ('cc-xuhui', 'sh', 'community', 'Xuhui', '徐汇')`);
    await pool.query(`INSERT INTO devices (id, site_id, kind, secret_hash) VALUES ('env-0001', 'cc-xuhui', 'sensor', 'unused')`);
    const env = { DATABASE_URL: db.url };

    const unknown = run('cli/lp-token.ts', ['create', '--device', 'nobody'], env);
    assert.equal(await unknown.exit, 65);
    assert.match(unknown.err(), /device "nobody" is not registered or is revoked/);
    const created = run('cli/lp-token.ts', ['create', '--device', 'env-0001'], env);
    assert.equal(await created.exit, 0, created.err());
    const token = created.out().trim().split('\n').at(-1)!;
    assert.match(token, /^vlp_[A-Za-z0-9_-]{43}$/);
    const stored = await pool.query<{ token_hash: string }>('SELECT token_hash FROM lp_tokens');
    assert.equal(stored.rows.length, 1);
    assert.match(stored.rows[0]!.token_hash, /^[0-9a-f]{64}$/);
    assert.ok(!JSON.stringify(stored.rows).includes(token.slice(4)), 'only the hash is stored');

    const port = await freePort();
    const svc = run('main.ts', [], { ...env, VIGIL_MQTT_URL: broker.url, VIGIL_INGEST_HTTP_PORT: String(port), VIGIL_INGEST_FLUSH_INTERVAL_MS: '20' });
    t.after(() => svc.child.kill('SIGKILL'));
    await waitFor('ingest ready', () => svc.out().includes('VIGIL_INGEST_READY'), 60_000);
    assert.match(svc.out(), /"line protocol HTTP server listening"/);
    const write = (body: string) =>
      fetch(`http://127.0.0.1:${port}/api/v2/write?org=o&bucket=b&precision=s`, { method: 'POST', headers: { Authorization: `Token ${token}` }, body });
    assert.equal((await write('room,door=3 open=true 1764000000')).status, 204);
    const rows = await pool.query('SELECT site_id, device_id, measurement, tags, fields FROM metrics');
    assert.deepEqual(rows.rows, [{ site_id: 'cc-xuhui', device_id: 'env-0001', measurement: 'room', tags: { door: '3' }, fields: { open: true } }]);

    const revoked = run('cli/lp-token.ts', ['revoke', '--device', 'env-0001'], env);
    assert.equal(await revoked.exit, 0, revoked.err());
    assert.match(revoked.out(), /^revoked 1 token\(s\)/);
    // The service trusts a token it has seen for a few seconds (its cache); the revocation applies after that.
    await waitFor('the revoked token refused', async () => (await write('room,door=3 open=false 1764000001')).status === 401, 30_000);
    const listed = run('cli/lp-token.ts', ['list'], env);
    assert.equal(await listed.exit, 0);
    assert.match(listed.out(), /^1\tenv-0001\tcc-xuhui\t\S+\trevoked /);

    svc.child.kill('SIGTERM');
    assert.equal(await svc.exit, 0);
  });
});
