import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createPool, migrate, startEmbeddedDatabase } from '@vigil/ingest';
import { startTestBroker } from './helpers.js';

const PKG_DIR = fileURLToPath(new URL('..', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

/** Run src/main.ts with exactly `env` (plus PATH). */
function runMain(env: Record<string, string>) {
  return spawn(TSX, ['src/main.ts'], { cwd: PKG_DIR, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

async function exitOf(child: ReturnType<typeof runMain>): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr };
}

describe('main.ts', () => {
  let db: { url: string; close(): Promise<void> };
  let broker: { url: string; close(): Promise<void> };

  before(async () => {
    db = await startEmbeddedDatabase({ port: 0 });
    broker = await startTestBroker();
  });
  after(async () => {
    await broker?.close();
    await db?.close();
  });

  for (const [name, env] of [
    ['DATABASE_URL', { VIGIL_MQTT_URL: 'mqtt://127.0.0.1:1883' }],
    ['VIGIL_MQTT_URL', { DATABASE_URL: 'postgres://x@127.0.0.1:5432/postgres', VIGIL_MQTT_URL: 'http://broker' }],
    ['VIGIL_HTTP_PORT', { DATABASE_URL: 'postgres://x@127.0.0.1:5432/postgres', VIGIL_MQTT_URL: 'mqtt://h', VIGIL_HTTP_PORT: '80a' }],
    ['VIGIL_ADMIN_PASSWORD', { DATABASE_URL: 'postgres://x@127.0.0.1:5432/postgres', VIGIL_MQTT_URL: 'mqtt://h', VIGIL_ADMIN_PASSWORD: 'short' }],
    ['VIGIL_TOTP_REQUIRED_ROLES', { DATABASE_URL: 'postgres://x@127.0.0.1:5432/postgres', VIGIL_MQTT_URL: 'mqtt://h', VIGIL_TOTP_REQUIRED_ROLES: 'operator' }],
    ['VIGIL_COOKIE_SECURE', { DATABASE_URL: 'postgres://x@127.0.0.1:5432/postgres', VIGIL_MQTT_URL: 'mqtt://h', VIGIL_COOKIE_SECURE: 'yes' }],
  ] as const) {
    test(`a bad ${name} stops start-up with exit 78 and a message naming it`, async () => {
      const { code, stderr } = await exitOf(runMain(env));
      assert.equal(code, 78);
      assert.match(stderr, new RegExp(`^${name}: `));
    });
  }

  test('starts, prints VIGIL_HTTP_READY <port>, serves health, and exits 0 on SIGTERM', async () => {
    // A tree to put the first-start accounts in; the operator's password is printed once and works.
    const pool = createPool(db.url);
    await migrate(pool);
    await pool.query(`INSERT INTO org_units (id, parent_id, level, name_en, name_zh) VALUES ('moj', NULL, 1, 'Ministry', '部') ON CONFLICT DO NOTHING`);
    await pool.end();
    const child = runMain({ DATABASE_URL: db.url, VIGIL_MQTT_URL: broker.url, VIGIL_HTTP_PORT: '0', VIGIL_HTTP_HOST: '127.0.0.1', VIGIL_ADMIN_PASSWORD: 'a long pass phrase 9' });
    const done = exitOf(child);
    let port = 0;
    const first: string[] = [];
    for await (const line of createInterface({ input: child.stdout })) {
      if (line.startsWith('VIGIL_FIRST_LOGIN ')) first.push(line);
      const m = /^VIGIL_HTTP_READY (\d+)$/.exec(line);
      if (m) {
        port = Number(m[1]);
        break;
      }
    }
    assert.equal(first.length, 2);
    assert.match(first[0]!, /^VIGIL_FIRST_LOGIN administrator user=admin password=a long pass phrase 9 totp_secret=[A-Z2-7]+ \(otpauth:\/\/totp\//);
    const password = /user=operator password=(\S+)/.exec(first[1]!)![1]!;
    const login = await fetch(`http://127.0.0.1:${port}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'operator', password }) });
    assert.equal(login.status, 200);
    assert.ok(port > 0, 'ready line seen');
    const health = (await (await fetch(`http://127.0.0.1:${port}/api/health`)).json()) as { ok: boolean; db: boolean };
    assert.equal(health.ok, true);
    assert.equal(health.db, true);
    child.kill('SIGTERM');
    const { code } = await done;
    assert.equal(code, 0);
  });
});
