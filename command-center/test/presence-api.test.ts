import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { newId } from '@vigil/schemas';
import { buildApp, createAlertHub } from '../src/index.js';
import { addUser, login, seedBasicTree } from './auth-helpers.js';
import { startTestDb, testLogger } from './helpers.js';

describe('GET /api/devices/presence (app.inject, embedded database)', () => {
  let db: { pool: Pool; close(): Promise<void> };
  let app: FastifyInstance;
  let cookie: string;
  const get = (url: string) => app.inject({ url, headers: { cookie } });
  const t0 = Date.parse('2025-03-01T08:00:00Z');
  const rows = [
    { id: 'tag-0002', site: 'prison-a', online: false, since: t0 + 60_000 },
    { id: 'gate-01', site: 'prison-a', online: true, since: t0 },
    { id: 'tag-0009', site: 'office-b', online: true, since: t0 + 5_000 },
  ];
  const auditCount = async (): Promise<number> => (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log')).rows[0]!.n;

  before(async () => {
    db = await startTestDb();
    for (const r of rows) {
      // what ingest's upsert leaves (ingest/src/presence.ts)
      await db.pool.query('INSERT INTO device_presence (device_id, site_id, online, since, last_msg_id) VALUES ($1, $2, $3, $4, $5)', [
        r.id,
        r.site,
        r.online,
        new Date(r.since),
        newId(),
      ]);
    }
    app = await buildApp({ pool: db.pool, alertFeed: createAlertHub(), logger: testLogger });
    await seedBasicTree(db.pool);
    cookie = await login(app, await addUser(db.pool, { id: 'op-1', role: 'operator', orgUnit: 'moj' }));
  });

  after(async () => {
    await app?.close();
    await db?.close();
  });

  const expected = (r: (typeof rows)[number]) => ({ id: r.id, site: r.site, online: r.online, since: new Date(r.since).toISOString() });

  test('lists every device by site then id, with online and since', async () => {
    const res = await get('/api/devices/presence');
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { devices: [rows[2]!, rows[1]!, rows[0]!].map(expected) });
  });

  test('filters by site and honours limit', async () => {
    const bySite = await get('/api/devices/presence?site=prison-a');
    assert.deepEqual(bySite.json(), { devices: [rows[1]!, rows[0]!].map(expected) });
    const none = await get('/api/devices/presence?site=nowhere');
    assert.deepEqual(none.json(), { devices: [] });
    const limited = await get('/api/devices/presence?limit=1');
    assert.deepEqual(limited.json(), { devices: [expected(rows[2]!)] });
  });

  test('a bad query is a 400 naming the field, and is not audited', async () => {
    const before = await auditCount();
    for (const [query, field] of [
      ['site=a%2Fb', 'site'],
      ['site=', 'site'],
      ['limit=0', 'limit'],
      ['limit=10001', 'limit'],
      ['limit=all', 'limit'],
    ] as const) {
      const res = await get(`/api/devices/presence?${query}`);
      assert.equal(res.statusCode, 400, query);
      const body = res.json() as { code: string; field: string; message: string };
      assert.equal(body.code, 'VIGIL_CC_VALIDATION', query);
      assert.equal(body.field, field, query);
      assert.match(body.message, new RegExp(`^${field}: `), query);
    }
    assert.equal(await auditCount(), before);
  });

  test('every read writes an audit row with the actor and the query', async () => {
    const before = await auditCount();
    const res = await get('/api/devices/presence?site=office-b');
    assert.equal(res.statusCode, 200);
    assert.equal(await auditCount(), before + 1);
    const { rows: audit } = await db.pool.query('SELECT actor, action, resource, detail FROM audit_log ORDER BY id DESC LIMIT 1');
    assert.deepEqual(audit[0], {
      actor: 'op-1',
      action: 'presence.list',
      resource: 'device_presence',
      detail: { site: 'office-b', limit: 1000, returned: 1 },
    });
  });
});
