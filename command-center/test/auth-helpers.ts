import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { createUser, currentTotp, newTotpSecret, SESSION_COOKIE, type Role } from '../src/index.js';

/** The password every test user gets (meets the rules). */
export const TEST_PASSWORD = 'correct horse battery staple';

/** A small tree: ministry `moj` with the sites the older tests use (`prison-a`, `office-b`). */
export async function seedBasicTree(pool: Pool): Promise<void> {
  await pool.query(`INSERT INTO org_units (id, parent_id, level, name_en, name_zh) VALUES ('moj', NULL, 1, 'Ministry', '部') ON CONFLICT DO NOTHING`);
  await pool.query(
    `INSERT INTO sites (id, org_unit_id, kind, name_en, name_zh) VALUES ('prison-a', 'moj', 'prison', 'Prison A', '甲监狱'), ('office-b', 'moj', 'community', 'Office B', '乙司法所')
     ON CONFLICT DO NOTHING`,
  );
}

/** A test user; administrators (and anyone given `totp: true`) get an enrolled TOTP secret. */
export interface TestUser {
  id: string;
  username: string;
  role: Role;
  orgUnit: string;
  totpSecret?: string;
}

export async function addUser(pool: Pool, u: { id: string; role: Role; orgUnit: string; totp?: boolean }): Promise<TestUser> {
  const totp = u.totp ?? u.role === 'administrator';
  const secret = totp ? newTotpSecret(u.id).secret : undefined;
  await createUser(pool, { id: u.id, username: u.id, displayName: `Test ${u.id}`, role: u.role, orgUnitId: u.orgUnit, password: TEST_PASSWORD, ...(secret ? { totpSecret: secret } : {}) });
  return { id: u.id, username: u.id, role: u.role, orgUnit: u.orgUnit, ...(secret ? { totpSecret: secret } : {}) };
}

/** The `cookie` header value of a session cookie in a response, or throws. */
export function sessionCookie(setCookie: string | string[] | undefined): string {
  const all = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  const c = all.find((x) => x.startsWith(`${SESSION_COOKIE}=`));
  if (!c) throw new Error(`no session cookie in ${JSON.stringify(setCookie)}`);
  return c.split(';')[0]!;
}

/** Sign in through the API (password and, where enrolled, the current TOTP code); returns the cookie header. */
export async function login(app: FastifyInstance, u: TestUser): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { username: u.username, password: TEST_PASSWORD, ...(u.totpSecret ? { totp: await currentTotp(u.totpSecret) } : {}) },
  });
  if (res.statusCode !== 200 || (res.json() as { stage: string }).stage !== 'full') throw new Error(`login ${u.username}: ${res.statusCode} ${res.body}`);
  return sessionCookie(res.headers['set-cookie']);
}

/** The same over real HTTP (for streams and the browser). */
export async function loginHttp(base: string, u: TestUser): Promise<string> {
  const res = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: u.username, password: TEST_PASSWORD, ...(u.totpSecret ? { totp: await currentTotp(u.totpSecret) } : {}) }),
  });
  if (res.status !== 200) throw new Error(`login ${u.username}: ${res.status} ${await res.text()}`);
  return sessionCookie(res.headers.getSetCookie());
}
