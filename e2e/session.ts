import assert from 'node:assert/strict';
import { createPool } from '@vigil/ingest';
import { createUser } from '@vigil/command-center';

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
