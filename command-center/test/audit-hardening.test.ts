import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { buildApp, createAlertHub, verifyAuditChain } from '../src/index.js';
import { addUser, login, seedBasicTree } from './auth-helpers.js';
import { insertAlert, sampleAlert, startTestDb, testLogger } from './helpers.js';

describe('audit trail: hash chain, verification, append-only (embedded database)', () => {
  let db: { pool: Pool; close(): Promise<void> };
  let app: FastifyInstance;
  let auditor: string;
  let admin: string;

  before(async () => {
    db = await startTestDb();
    await seedBasicTree(db.pool);
    app = await buildApp({ pool: db.pool, alertFeed: createAlertHub(), logger: testLogger });
    auditor = await login(app, await addUser(db.pool, { id: 'aud-1', role: 'auditor', orgUnit: 'moj' }));
    admin = await login(app, await addUser(db.pool, { id: 'adm-1', role: 'administrator', orgUnit: 'moj' }));
    const op = await login(app, await addUser(db.pool, { id: 'op-1', role: 'operator', orgUnit: 'moj' }));
    await insertAlert(db.pool, sampleAlert({ site: 'prison-a' }));
    for (let i = 0; i < 5; i++) await app.inject({ url: '/api/alerts', headers: { cookie: op } });
  });
  after(async () => {
    await app?.close();
    await db?.close();
  });

  const verify = async () => (await app.inject({ url: '/api/audit/verify', headers: { cookie: auditor } })).json() as { ok: boolean; checked: number; first_bad: { seq: number; reason: string } | null };

  test('the auditor reads who did what, when, from where and with what outcome; the chain verifies', async () => {
    const res = await app.inject({ url: '/api/audit?action=alerts.', headers: { cookie: auditor } });
    const { entries } = res.json() as { entries: { actor: string; action: string; ip: string; outcome: string; hash: string; at: number }[] };
    assert.equal(entries.length, 5);
    for (const e of entries) {
      assert.deepEqual([e.actor, e.action, e.ip, e.outcome], ['op-1', 'alerts.list', '127.0.0.1', 'ok']);
      assert.match(e.hash, /^[0-9a-f]{64}$/);
    }
    const v = await verify();
    assert.equal(v.ok, true);
    assert.ok(v.checked >= 8);
    // The auditor's own reads are audited too.
    const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM audit_log WHERE actor = 'aud-1' AND action IN ('audit.list', 'audit.verify')");
    assert.equal(rows[0].n, 2);
  });

  test('nobody can change it: no route for it, and the database refuses UPDATE, DELETE and TRUNCATE', async () => {
    for (const cookie of [auditor, admin]) {
      for (const method of ['DELETE', 'PATCH', 'PUT', 'POST'] as const) {
        const res = await app.inject({ method, url: '/api/audit/1', headers: { cookie }, payload: {} });
        assert.equal(res.statusCode, 404, `${method} /api/audit/1`);
      }
    }
    assert.equal((await app.inject({ url: '/api/audit', headers: { cookie: admin } })).statusCode, 403, 'administrators do not even read it');
    for (const sql of ["UPDATE audit_log SET actor = 'x' WHERE seq = 1", 'DELETE FROM audit_log WHERE seq = 1', 'TRUNCATE audit_log']) {
      await assert.rejects(db.pool.query(sql), /append-only/, sql);
    }
  });

  test('an edited or removed record is detected (by someone who got round the trigger)', async () => {
    assert.equal((await verify()).ok, true);
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update');
      await client.query("UPDATE audit_log SET detail = '{\"returned\": 0}' WHERE seq = 5");
      await client.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update');
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    assert.deepEqual((await verifyAuditChain(db.pool)).firstBad, { seq: 5, reason: 'hash_mismatch' });
    const c2 = await db.pool.connect();
    try {
      await c2.query('BEGIN');
      await c2.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update');
      await c2.query('DELETE FROM audit_log WHERE seq IN (3, 5)');
      await c2.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update');
      await c2.query('COMMIT');
    } finally {
      c2.release();
    }
    const v = await verify();
    assert.equal(v.ok, false);
    assert.deepEqual(v.first_bad, { seq: 4, reason: 'seq_gap' });
  });
});

describe('hardening: headers, bad input, no stack traces, limits', () => {
  let db: { pool: Pool; close(): Promise<void> };
  let app: FastifyInstance;
  let op: string;

  before(async () => {
    db = await startTestDb();
    await seedBasicTree(db.pool);
    app = await buildApp({ pool: db.pool, alertFeed: createAlertHub(), logger: testLogger, security: { rateLimitPerUser: 30, bodyLimitBytes: 4096 } });
    op = await login(app, await addUser(db.pool, { id: 'op-1', role: 'operator', orgUnit: 'moj' }));
  });
  after(async () => {
    await app?.close();
    await db?.close();
  });

  test('security headers and a strict Content-Security-Policy on every answer', async () => {
    const res = await app.inject('/api/health');
    const csp = String(res.headers['content-security-policy']);
    for (const d of ["default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "style-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"]) assert.ok(csp.includes(d), d);
    assert.ok(!csp.includes('unsafe-inline'));
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['x-frame-options'], 'SAMEORIGIN');
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
  });

  test('a bad request is a 400 naming the field; an unknown field is refused, not dropped', async () => {
    for (const [url, payload, field] of [
      ['/api/alerts/0195f3a0-0000-7000-8000-000000000000/resolve', { disposition: 'meh' }, 'disposition'],
      ['/api/alerts/0195f3a0-0000-7000-8000-000000000000/acknowledge', { reason: 'x', colour: 'red' }, 'colour'],
      ['/api/alerts/not-a-uuid/acknowledge', {}, 'id'],
      ['/api/officers/me/position', { lat: 91, lon: 0 }, 'lat'],
    ] as const) {
      const res = await app.inject({ method: url.includes('position') ? 'PUT' : 'POST', url, payload, headers: { cookie: op } });
      assert.equal(res.statusCode, url.includes('position') ? 403 : 400, url);
      if (res.statusCode === 400) {
        const body = res.json() as { code: string; field: string; message: string };
        assert.deepEqual([body.code, body.field], ['VIGIL_CC_VALIDATION', field], url);
      }
    }
    const badJson = await app.inject({ method: 'POST', url: '/api/auth/login', payload: '{"username":', headers: { 'content-type': 'application/json' } });
    assert.equal(badJson.statusCode, 400);
  });

  test('no stack trace or internal message ever reaches the client', async () => {
    // Break the database under the app: the answer is a plain 500.
    await db.pool.query('ALTER TABLE alerts RENAME TO alerts_away');
    try {
      const res = await app.inject({ url: '/api/alerts', headers: { cookie: op } });
      assert.equal(res.statusCode, 500);
      assert.deepEqual(res.json(), { code: 'VIGIL_CC_INTERNAL', message: 'internal error / 内部错误' });
      assert.ok(!/at |\.ts:|alerts_away|relation/.test(res.body));
    } finally {
      await db.pool.query('ALTER TABLE alerts_away RENAME TO alerts');
    }
  });

  test('request bodies over the limit are refused (413)', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'x', password: 'y'.repeat(10_000) } });
    assert.equal(res.statusCode, 413);
  });

  test('per-user rate limit: 429 with Retry-After once the user passes the limit', async () => {
    let limited = 0;
    for (let i = 0; i < 40; i++) {
      const res = await app.inject({ url: '/api/sites', headers: { cookie: op } });
      if (res.statusCode === 429) {
        limited += 1;
        assert.ok(Number(res.headers['retry-after']) > 0);
        assert.equal((res.json() as { code: string }).code, 'VIGIL_CC_RATE_LIMITED');
      }
    }
    assert.ok(limited >= 9, `${limited} refused`);
  });

  test('OpenAPI document served from the route schemas', async () => {
    const doc = (await app.inject('/api/openapi.json')).json() as { openapi: string; paths: Record<string, Record<string, { parameters?: { name: string }[] }>> };
    assert.match(doc.openapi, /^3\./);
    for (const p of ['/api/alerts', '/api/alerts/{id}/resolve', '/api/subjects', '/api/devices/{id}/commands', '/api/audit/verify', '/api/auth/login', '/api/zones']) assert.ok(doc.paths[p], p);
    const params = doc.paths['/api/alerts']!.get!.parameters!.map((x) => x.name);
    for (const q of ['site', 'severity', 'state', 'type', 'from', 'to', 'limit']) assert.ok(params.includes(q), q);
  });
});
