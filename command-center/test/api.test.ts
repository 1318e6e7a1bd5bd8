import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { Alert, check } from '@vigil/schemas';
import { buildApp, createAlertHub, type AlertHub } from '../src/index.js';
import { addUser, login, seedBasicTree, type TestUser } from './auth-helpers.js';
import { insertAlert, sampleAlert, startTestDb, testLogger } from './helpers.js';

describe('command-center API (app.inject, embedded database)', () => {
  let db: { pool: Pool; close(): Promise<void> };
  let app: FastifyInstance;
  let hub: AlertHub;
  let publicDir: string;
  let operator: TestUser;
  let cookie: string;
  const get = (url: string) => app.inject({ url, headers: { cookie } });
  const t0 = Date.parse('2025-03-01T08:00:00Z');
  const oldest = sampleAlert({ site: 'prison-a', state: 'resolved', raised_ts: t0, last_ts: t0, severity: 'low' });
  const middle = sampleAlert({ site: 'office-b', dev: 'tag-0002', raised_ts: t0 + 60_000, last_ts: t0 + 90_000, count: 3 });
  const newest = sampleAlert({ site: 'prison-a', dev: 'gate-01', raised_ts: t0 + 120_000, last_ts: t0 + 120_000, severity: 'critical' });
  delete newest.subject;

  before(async () => {
    db = await startTestDb();
    for (const a of [middle, oldest, newest]) await insertAlert(db.pool, a);
    publicDir = await mkdtemp(join(tmpdir(), 'cc-public-'));
    await writeFile(join(publicDir, 'index.html'), '<!doctype html><title>Vigil test UI</title>');
    hub = createAlertHub();
    app = await buildApp({ pool: db.pool, alertFeed: hub, publicDir, logger: testLogger });
    await seedBasicTree(db.pool);
    operator = await addUser(db.pool, { id: 'op-1', role: 'operator', orgUnit: 'moj' });
    cookie = await login(app, operator);
  });

  after(async () => {
    await app?.close();
    await db?.close();
    if (publicDir) await rm(publicDir, { recursive: true, force: true });
  });

  test('lists alerts newest first, each a valid Alert record equal to what was stored', async () => {
    const res = await get('/api/alerts');
    assert.equal(res.statusCode, 200);
    const { alerts } = res.json() as { alerts: unknown[] };
    // The record as stored, plus the lifecycle fields analytics fills in (acked, active, escalation, updated).
    const stored = alerts.map((a) => {
      const { acked: _a, active: _b, escalation_level: _c, updated_ts: _d, ...rest } = a as Alert;
      return rest;
    });
    assert.deepEqual(stored, [newest, middle, oldest]);
    for (const a of alerts) assert.equal(check(Alert, a).ok, true);
  });

  test('filters by site and by state, and honours limit', async () => {
    const bySite = (await get('/api/alerts?site=prison-a')).json() as { alerts: Alert[] };
    assert.deepEqual(bySite.alerts.map((a) => a.id), [newest.id, oldest.id]);
    const byState = (await get('/api/alerts?state=resolved')).json() as { alerts: Alert[] };
    assert.deepEqual(byState.alerts.map((a) => a.id), [oldest.id]);
    const both = (await get('/api/alerts?site=office-b&state=resolved')).json() as { alerts: Alert[] };
    assert.deepEqual(both.alerts, []);
    const limited = (await get('/api/alerts?limit=2')).json() as { alerts: Alert[] };
    assert.deepEqual(limited.alerts.map((a) => a.id), [newest.id, middle.id]);
  });

  test('a bad query is a 400 naming the field', async () => {
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['limit=ten', 'limit'],
      ['state=panicking', 'state'],
      ['site=a%2Fb', 'site'],
    ] as const) {
      const res = await get(`/api/alerts?${query}`);
      assert.equal(res.statusCode, 400, query);
      const body = res.json() as { code: string; field: string; message: string };
      assert.equal(body.code, 'VIGIL_CC_VALIDATION', query);
      assert.equal(body.field, field, query);
      assert.match(body.message, new RegExp(`^${field}: `), query);
    }
    const bad = (await get('/api/alerts?state=panicking')).json() as { message: string };
    assert.match(bad.message, /one of the allowed values \(raised, acknowledged, .*normal, out_of_service\)$/);
  });

  test('every read of alerts writes an audit row with the actor and the query', async () => {
    const before = await db.pool.query('SELECT count(*)::int AS n FROM audit_log');
    const res = await get('/api/alerts?site=office-b&limit=5');
    assert.equal(res.statusCode, 200);
    const { rows } = await db.pool.query('SELECT actor, action, resource, detail, at FROM audit_log ORDER BY id DESC LIMIT 1');
    assert.equal((await db.pool.query('SELECT count(*)::int AS n FROM audit_log')).rows[0].n, before.rows[0].n + 1);
    assert.equal(rows[0].actor, operator.id);
    assert.equal(rows[0].action, 'alerts.list');
    assert.equal(rows[0].resource, 'alerts');
    assert.deepEqual(rows[0].detail, { site: 'office-b', state: null, severity: null, type: null, subject: null, from: null, to: null, limit: 5, returned: 1 });
    assert.ok(rows[0].at instanceof Date);
  });

  test('a rejected query is not audited as a read', async () => {
    const n = async (): Promise<number> => (await db.pool.query('SELECT count(*)::int AS n FROM audit_log')).rows[0].n;
    const before = await n();
    assert.equal((await get('/api/alerts?limit=-1')).statusCode, 400);
    assert.equal(await n(), before);
  });

  test('health reports the database and the feed', async () => {
    assert.deepEqual((await app.inject('/api/health')).json(), { ok: true, db: true, mqtt: true });
    hub.setConnected(false);
    assert.deepEqual((await app.inject('/api/health')).json(), { ok: true, db: true, mqtt: false });
    hub.setConnected(true);
  });

  test('serves the UI from publicDir with index.html at /', async () => {
    const res = await app.inject('/');
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /text\/html/);
    assert.match(res.body, /Vigil test UI/);
  });
});
