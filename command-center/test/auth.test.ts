import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { buildApp, createAlertHub, currentTotp, SESSION_COOKIE } from '../src/index.js';
import { addUser, login, seedBasicTree, sessionCookie, TEST_PASSWORD } from './auth-helpers.js';
import { startTestDb, testLogger } from './helpers.js';

describe('identity: passwords, TOTP, lockout, idle timeout, API tokens (embedded database)', () => {
  let db: { pool: Pool; close(): Promise<void> };
  let app: FastifyInstance;
  const IDLE_MS = 1500;
  const audit = async (actor: string) =>
    (await db.pool.query<{ action: string; outcome: string; ip: string | null }>('SELECT action, outcome, ip FROM audit_log WHERE actor = $1 ORDER BY seq', [actor])).rows;
  const post = (url: string, payload: object, cookie?: string) => app.inject({ method: 'POST', url, payload, ...(cookie ? { headers: { cookie } } : {}) });

  before(async () => {
    db = await startTestDb();
    await seedBasicTree(db.pool);
    app = await buildApp({
      pool: db.pool,
      alertFeed: createAlertHub(),
      logger: testLogger,
      security: { sessionIdleMs: IDLE_MS, lockoutMs: 60_000, loginRateLimitPerAddress: 1000 },
    });
  });
  after(async () => {
    await app?.close();
    await db?.close();
  });

  test('the API needs a session, except health, login and the OpenAPI document', async () => {
    for (const url of ['/api/alerts', '/api/subjects', '/api/audit', '/api/users', '/api/auth/me', '/api/no-such-route']) {
      const res = await app.inject(url);
      assert.equal(res.statusCode, 401, url);
      assert.equal((res.json() as { code: string }).code, 'VIGIL_CC_UNAUTHENTICATED', url);
    }
    assert.equal((await app.inject('/api/health')).statusCode, 200);
    assert.equal((await app.inject('/api/openapi.json')).statusCode, 200);
  });

  test('the cookie is HttpOnly and SameSite=Strict; a password-only user is in at once; logout ends the session', async () => {
    const u = await addUser(db.pool, { id: 'op-a', role: 'operator', orgUnit: 'moj' });
    const res = await post('/api/auth/login', { username: 'OP-A', password: TEST_PASSWORD }); // user names are case-insensitive
    assert.equal(res.statusCode, 200);
    assert.equal((res.json() as { stage: string }).stage, 'full');
    const raw = String(res.headers['set-cookie']);
    assert.match(raw, new RegExp(`^${SESSION_COOKIE}=`));
    assert.match(raw, /HttpOnly/);
    assert.match(raw, /SameSite=Strict/);
    const cookie = sessionCookie(res.headers['set-cookie']);
    assert.equal((await app.inject({ url: '/api/auth/me', headers: { cookie } })).statusCode, 200);
    assert.equal((await post('/api/auth/logout', {}, cookie)).statusCode, 204);
    assert.equal((await app.inject({ url: '/api/auth/me', headers: { cookie } })).statusCode, 401);
    // The hash is Argon2id, never the password.
    const { rows } = await db.pool.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [u.id]);
    assert.match(rows[0]!.password_hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.deepEqual((await audit(u.id)).map((a) => [a.action, a.outcome, a.ip]), [
      ['auth.login', 'ok', '127.0.0.1'],
      ['auth.logout', 'ok', '127.0.0.1'],
    ]);
  });

  test('an administrator must give a TOTP code; the same code is not accepted twice', async () => {
    const admin = await addUser(db.pool, { id: 'adm-a', role: 'administrator', orgUnit: 'moj' });
    const first = await post('/api/auth/login', { username: admin.username, password: TEST_PASSWORD });
    assert.deepEqual([first.statusCode, (first.json() as { stage: string; next: string }).next], [200, 'totp']);
    const half = sessionCookie(first.headers['set-cookie']);
    // A session owing its second factor reaches nothing but the second-factor routes.
    const blocked = await app.inject({ url: '/api/users', headers: { cookie: half } });
    assert.deepEqual([blocked.statusCode, (blocked.json() as { code: string }).code], [401, 'VIGIL_CC_MFA_REQUIRED']);
    const code = await currentTotp(admin.totpSecret!);
    const second = await post('/api/auth/totp', { code }, half);
    assert.equal((second.json() as { stage: string }).stage, 'full');
    assert.equal((await app.inject({ url: '/api/users', headers: { cookie: half } })).statusCode, 200);
    // Replaying the code (or an older one) on a new login fails.
    const again = await post('/api/auth/login', { username: admin.username, password: TEST_PASSWORD, totp: code });
    assert.equal(again.statusCode, 401);
  });

  test('an administrator without a second factor must enrol one before anything else', async () => {
    const admin = await addUser(db.pool, { id: 'adm-new', role: 'administrator', orgUnit: 'moj', totp: false });
    const res = await post('/api/auth/login', { username: admin.username, password: TEST_PASSWORD });
    assert.equal((res.json() as { next: string }).next, 'enrol');
    const cookie = sessionCookie(res.headers['set-cookie']);
    assert.equal((await app.inject({ url: '/api/devices', headers: { cookie } })).statusCode, 401);
    const enrol = await post('/api/auth/totp/enrol', {}, cookie);
    const { secret, uri } = enrol.json() as { secret: string; uri: string };
    assert.match(uri, /^otpauth:\/\/totp\/Vigil:adm-new\?/);
    const wrong = await post('/api/auth/totp/confirm', { code: '000000' }, cookie);
    assert.deepEqual([wrong.statusCode, (wrong.json() as { field: string }).field], [400, 'code']);
    const ok = await post('/api/auth/totp/confirm', { code: await currentTotp(secret) }, cookie);
    assert.equal((ok.json() as { stage: string }).stage, 'full');
    assert.equal((await app.inject({ url: '/api/devices', headers: { cookie } })).statusCode, 200);
    // From now on the code is asked at login.
    const next = await post('/api/auth/login', { username: admin.username, password: TEST_PASSWORD });
    assert.equal((next.json() as { next: string }).next, 'totp');
  });

  test('five failures lock the account (even the right password is refused), each attempt audited', async () => {
    const u = await addUser(db.pool, { id: 'op-lock', role: 'operator', orgUnit: 'moj' });
    for (let i = 0; i < 5; i++) {
      const res = await post('/api/auth/login', { username: u.username, password: 'wrong password 123' });
      assert.equal(res.statusCode, 401);
      assert.equal((res.json() as { message: string }).message, 'invalid user name, password or code / 用户名、密码或验证码错误');
    }
    const locked = await post('/api/auth/login', { username: u.username, password: TEST_PASSWORD });
    assert.equal(locked.statusCode, 423);
    assert.deepEqual(
      (await audit(u.id)).map((a) => `${a.action}:${a.outcome}`),
      [...Array(5).fill('auth.login:failed'), 'auth.lockout:denied', 'auth.login:denied'],
    );
    // An unknown user gets the same answer as a wrong password, and is audited too.
    const unknown = await post('/api/auth/login', { username: 'nobody-here', password: 'wrong password 123' });
    assert.equal(unknown.statusCode, 401);
    const { rows } = await db.pool.query("SELECT detail FROM audit_log WHERE action = 'auth.login' AND actor = 'anonymous' ORDER BY seq DESC LIMIT 1");
    assert.deepEqual(rows[0].detail, { username: 'nobody-here', reason: 'unknown_user' });
    // An administrator can unlock.
    const admin = await addUser(db.pool, { id: 'adm-unlock', role: 'administrator', orgUnit: 'moj' });
    const cookie = await login(app, admin);
    assert.equal((await post(`/api/users/${u.id}/unlock`, {}, cookie)).statusCode, 204);
    assert.equal((await post('/api/auth/login', { username: u.username, password: TEST_PASSWORD })).statusCode, 200);
  });

  test('an idle session ends after the idle timeout, and the timeout is audited', async () => {
    const u = await addUser(db.pool, { id: 'op-idle', role: 'operator', orgUnit: 'moj' });
    const cookie = await login(app, u);
    assert.equal((await app.inject({ url: '/api/auth/me', headers: { cookie } })).statusCode, 200);
    await new Promise((r) => setTimeout(r, IDLE_MS + 300));
    assert.equal((await app.inject({ url: '/api/auth/me', headers: { cookie } })).statusCode, 401);
    assert.ok((await audit(u.id)).some((a) => a.action === 'auth.timeout'));
  });

  test('password rules are enforced, naming the field', async () => {
    const admin = await addUser(db.pool, { id: 'adm-pw', role: 'administrator', orgUnit: 'moj' });
    const cookie = await login(app, admin);
    for (const password of ['short', 'newuser-pw-123456', 'aaaaaaaaaaaaaaaa', 'password1234']) {
      const res = await post('/api/users', { id: 'newuser', username: 'newuser', display_name: 'N', role: 'operator', org_unit: 'moj', password }, cookie);
      assert.equal(res.statusCode, 400, password);
      assert.equal((res.json() as { field: string }).field, 'password', password);
    }
    const ok = await post('/api/users', { id: 'newuser', username: 'newuser', display_name: 'N', role: 'operator', org_unit: 'moj', password: 'a long enough passphrase' }, cookie);
    assert.equal(ok.statusCode, 201);
  });

  test('API tokens: scoped to a subset of the role, expiring, revocable, stored hashed', async () => {
    const op = await addUser(db.pool, { id: 'op-tok', role: 'operator', orgUnit: 'moj' });
    const cookie = await login(app, op);
    const tooMuch = await post('/api/tokens', { name: 'x', scopes: ['users.write'], expires_in_days: 1 }, cookie);
    assert.deepEqual([tooMuch.statusCode, (tooMuch.json() as { field: string }).field], [400, 'scopes']);
    const made = await post('/api/tokens', { name: 'wall display', scopes: ['alerts.read'], expires_in_days: 30 }, cookie);
    assert.equal(made.statusCode, 201);
    const { id, token } = made.json() as { id: string; token: string };
    assert.match(token, /^vgt_/);
    const bearer = { authorization: `Bearer ${token}` };
    assert.equal((await app.inject({ url: '/api/alerts', headers: bearer })).statusCode, 200);
    assert.equal((await app.inject({ url: '/api/devices', headers: bearer })).statusCode, 403, 'outside the token scopes');
    assert.equal((await app.inject({ url: '/api/tokens', headers: bearer })).statusCode, 403, 'a token cannot manage tokens');
    const { rows } = await db.pool.query<{ token_hash: string }>('SELECT token_hash FROM api_tokens WHERE id = $1', [id]);
    assert.notEqual(rows[0]!.token_hash, token);
    assert.match(rows[0]!.token_hash, /^[0-9a-f]{64}$/);
    // Expired: refused.
    await db.pool.query("UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1", [id]);
    assert.equal((await app.inject({ url: '/api/alerts', headers: bearer })).statusCode, 401);
    await db.pool.query("UPDATE api_tokens SET expires_at = now() + interval '1 day' WHERE id = $1", [id]);
    assert.equal((await app.inject({ method: 'DELETE', url: `/api/tokens/${id}`, headers: { cookie } })).statusCode, 204);
    assert.equal((await app.inject({ url: '/api/alerts', headers: bearer })).statusCode, 401);
  });
});
