import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { createPool, migrate, startEmbeddedDatabase } from '@vigil/ingest';
import { connectClient } from './helpers.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
let db: { url: string; close(): Promise<void> };

before(async () => {
  db = await startEmbeddedDatabase({ port: 0 });
  const pool = createPool(db.url);
  await migrate(pool);
  await pool.end();
});
after(async () => {
  await db.close();
});

function run(env: Record<string, string>) {
  const child = spawn(TSX, [MAIN], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, exited, out: () => stdout, err: () => stderr };
}

test('a missing DATABASE_URL or a bad port stops start-up with exit 78 naming the variable', async () => {
  const missing = run({});
  assert.equal(await missing.exited, 78);
  assert.match(missing.err(), /DATABASE_URL/);
  const badPort = run({ DATABASE_URL: db.url, VIGIL_MQTT_PORT: 'x' });
  assert.equal(await badPort.exited, 78);
  assert.match(badPort.err(), /VIGIL_MQTT_PORT/);
});

test('a bad or unusable VIGIL_BROKER_PERSISTENCE stops start-up with exit 78 naming the variable', async () => {
  const bad = run({ DATABASE_URL: db.url, VIGIL_MQTT_PORT: '0', VIGIL_BROKER_PERSISTENCE: 'disk' });
  assert.equal(await bad.exited, 78);
  assert.match(bad.err(), /VIGIL_BROKER_PERSISTENCE/);
  // a file that cannot be created (its folder is a file): found when the broker opens it
  const dir = mkdtempSync(join(tmpdir(), 'vigil-main-'));
  try {
    writeFileSync(join(dir, 'plain'), '');
    const unusable = run({ DATABASE_URL: db.url, VIGIL_MQTT_PORT: '0', VIGIL_BROKER_PERSISTENCE: `sqlite:${dir}/plain/broker.sqlite` });
    assert.equal(await unusable.exited, 78);
    assert.match(unusable.err(), /VIGIL_BROKER_PERSISTENCE: cannot use ".*\/plain\/broker\.sqlite"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('with VIGIL_MQTT_TLS_PORT set, a missing certificate file stops start-up with exit 78 naming the file', async () => {
  const p = run({
    DATABASE_URL: db.url,
    VIGIL_MQTT_PORT: '0',
    VIGIL_MQTT_TLS_PORT: '0',
    VIGIL_MQTT_TLS_CERT: '/nonexistent/vigil-server.pem',
    VIGIL_MQTT_TLS_KEY: '/nonexistent/vigil-server-key.pem',
    VIGIL_MQTT_TLS_CA: '/nonexistent/vigil-ca.pem',
  });
  assert.equal(await p.exited, 78);
  assert.match(p.err(), /VIGIL_MQTT_TLS_CERT/);
  assert.match(p.err(), /\/nonexistent\/vigil-server\.pem/);
  const unset = run({ DATABASE_URL: db.url, VIGIL_MQTT_PORT: '0', VIGIL_MQTT_TLS_PORT: '0' });
  assert.equal(await unset.exited, 78);
  assert.match(unset.err(), /VIGIL_MQTT_TLS_CERT/);
});

test('main prints VIGIL_BROKER_READY <port>, serves service accounts, and exits 0 on SIGTERM', async () => {
  const secret = 'ingest-secret-0123456789';
  const p = run({ DATABASE_URL: db.url, VIGIL_MQTT_PORT: '0', VIGIL_INGEST_MQTT_SECRET: secret });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line; stderr: ${p.err()}`)), 30_000);
    p.child.stdout.on('data', () => {
      const m = /^VIGIL_BROKER_READY (\d+)$/m.exec(p.out());
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  assert.ok(port > 0);
  const c = await connectClient(port, { clientId: 'svc-ingest-main', username: 'svc-ingest', password: secret });
  await c.endAsync();
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0);
});
