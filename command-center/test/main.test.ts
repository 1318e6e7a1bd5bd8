import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startEmbeddedDatabase } from '@vigil/ingest';
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
  ] as const) {
    test(`a bad ${name} stops start-up with exit 78 and a message naming it`, async () => {
      const { code, stderr } = await exitOf(runMain(env));
      assert.equal(code, 78);
      assert.match(stderr, new RegExp(`^${name}: `));
    });
  }

  test('starts, prints VIGIL_HTTP_READY <port>, serves health, and exits 0 on SIGTERM', async () => {
    const child = runMain({ DATABASE_URL: db.url, VIGIL_MQTT_URL: broker.url, VIGIL_HTTP_PORT: '0', VIGIL_HTTP_HOST: '127.0.0.1' });
    const done = exitOf(child);
    let port = 0;
    for await (const line of createInterface({ input: child.stdout })) {
      const m = /^VIGIL_HTTP_READY (\d+)$/.exec(line);
      if (m) {
        port = Number(m[1]);
        break;
      }
    }
    assert.ok(port > 0, 'ready line seen');
    const health = (await (await fetch(`http://127.0.0.1:${port}/api/health`)).json()) as { ok: boolean; db: boolean };
    assert.equal(health.ok, true);
    assert.equal(health.db, true);
    child.kill('SIGTERM');
    const { code } = await done;
    assert.equal(code, 0);
  });
});
