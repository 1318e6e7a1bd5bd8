import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool } from '@vigil/ingest';
import { createUser } from '@vigil/command-center';
import { startStack, type Stack, type StackOptions } from '../scripts/stack/stack.js';

/** Add an operator at the top of the demo tree to a running stack's database. */
export async function addOperator(databaseUrl: string, id: string, password: string): Promise<void> {
  const pool = createPool(databaseUrl);
  try {
    await createUser(pool, { id, username: id, displayName: `Operator ${id}`, role: 'operator', orgUnitId: 'moj', password });
  } finally {
    await pool.end();
  }
}

/** Sign in through the command centre's API; returns the session cookie header. */
export async function signIn(httpUrl: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${httpUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  assert.equal(res.status, 200, `sign-in of ${username}`);
  return res.headers.getSetCookie()[0]!.split(';')[0]!;
}

/** A whole stack for a test: free ports, the embedded database in a fresh temporary folder, no demo simulator unless asked. */
export async function startTestStack(
  prefix: string,
  opts: Partial<StackOptions> = {},
): Promise<{ stack: Stack; dir: string; lines: { name: string; line: string }[]; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const lines: { name: string; line: string }[] = [];
  try {
    const stack = await startStack({
      httpPort: 0,
      httpHost: '127.0.0.1',
      mqttPort: 0,
      dbPort: 0,
      dataDir: join(dir, 'pg'),
      snapshotDir: join(dir, 'snapshots'),
      simulator: false,
      simFixIntervalMs: 1000,
      sink: (name, line) => void lines.push({ name, line }),
      ...opts,
    });
    return { stack, dir, lines, stop: async () => (await stack.stop(), rmSync(dir, { recursive: true, force: true })) };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
