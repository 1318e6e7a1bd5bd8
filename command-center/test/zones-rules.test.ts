import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { loadRuleSet } from '@vigil/analytics';
import { buildApp, createAlertHub } from '../src/index.js';
import { addUser, login, seedBasicTree } from './auth-helpers.js';
import { startTestDb, testLogger } from './helpers.js';

describe('zones with schedules, and rules and thresholds, as the rules engine reads them', () => {
  let db: { pool: Pool; close(): Promise<void> };
  let app: FastifyInstance;
  let admin: string;
  let county: string;
  const home = {
    id: 'zone-home-1',
    site: 'office-b',
    kind: 'inclusion',
    name: { en: 'Home', 'zh-CN': '居所' },
    geometry: { type: 'Point', coordinates: [120.15, 30.25] },
    radius_m: 80,
    schedule: { weekly: [{ days: [1, 2, 3, 4, 5, 6, 7], start: '21:00', end: '06:00' }], timezone: 'Asia/Shanghai' },
    curfew: true,
    devices: ['tag-0001'],
    grace_s: 600,
  };
  const send = (method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload: unknown, cookie = admin) => app.inject({ method, url, payload: payload as object, headers: { cookie } });

  before(async () => {
    db = await startTestDb();
    await seedBasicTree(db.pool);
    await db.pool.query(`INSERT INTO org_units (id, parent_id, level, name_en, name_zh) VALUES ('prov', 'moj', 2, 'P', '省')`);
    await db.pool.query(`INSERT INTO sites (id, org_unit_id, kind, name_en, name_zh) VALUES ('prov-site', 'prov', 'prison', 'P', '省')`);
    app = await buildApp({ pool: db.pool, alertFeed: createAlertHub(), logger: testLogger });
    admin = await login(app, await addUser(db.pool, { id: 'adm-1', role: 'administrator', orgUnit: 'moj' }));
    county = await login(app, await addUser(db.pool, { id: 'adm-prov', role: 'administrator', orgUnit: 'prov' }));
  });
  after(async () => {
    await app?.close();
    await db?.close();
  });

  test('a curfew zone (circle, weekly window) is stored so that analytics loads exactly it', async () => {
    const res = await send('POST', '/api/zones', home);
    assert.equal(res.statusCode, 201, res.body);
    const rs = await loadRuleSet(db.pool);
    const z = rs.zones.find((x) => x.id === home.id)!;
    assert.deepEqual({ ...z }, { ...home });
    assert.equal((await send('PATCH', `/api/zones/${home.id}`, { active: false })).statusCode, 200);
    assert.equal((await loadRuleSet(db.pool)).zones.some((x) => x.id === home.id), false, 'inactive zones are not loaded');
  });

  test('bad zones are a 400 naming the field', async () => {
    for (const [body, field] of [
      [{ ...home, id: 'z2', radius_m: undefined }, 'radius_m'],
      [{ ...home, id: 'z3', kind: 'exclusion' }, 'curfew'],
      [{ ...home, id: 'z4', schedule: { weekly: [{ days: [8], start: '21:00', end: '06:00' }] } }, 'schedule.weekly.0.days.0'],
      [{ ...home, id: 'z5', site: 'prov-site-x' }, 'site'],
    ] as const) {
      const res = await send('POST', '/api/zones', body);
      assert.equal(res.statusCode, 400, JSON.stringify(body));
      assert.equal((res.json() as { field: string }).field, field, res.body);
    }
  });

  test('thresholds are for the top of the tree; doors follow the scope of their site', async () => {
    const ok = await send('PUT', '/api/rules/defaults', { comm_loss_s: 600, battery_low_pct: 25 });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal((await loadRuleSet(db.pool)).defaults.comm_loss_s, 600);
    const below = await send('PUT', '/api/rules/defaults', { comm_loss_s: 60 }, county);
    assert.equal(below.statusCode, 403);
    const bad = await send('PUT', '/api/rules/defaults', { comm_loss_s: 0 });
    assert.deepEqual([bad.statusCode, (bad.json() as { field: string }).field], [400, 'comm_loss_s']);

    const door = { id: 'door-c1', site: 'prov-site', held_open_s: 45 };
    assert.equal((await send('PUT', '/api/rules/doors/door-c1', door, county)).statusCode, 200);
    assert.deepEqual((await loadRuleSet(db.pool)).doors, [door]);
    // Someone whose subtree does not hold the site: 404, as if there were no such door.
    const other = await login(app, await addUser(db.pool, { id: 'adm-other', role: 'administrator', orgUnit: 'moj' }));
    await db.pool.query(`INSERT INTO org_units (id, parent_id, level, name_en, name_zh) VALUES ('prov2', 'moj', 2, 'Q', '省二')`);
    await db.pool.query(`UPDATE users SET org_unit_id = 'prov2' WHERE id = 'adm-other'`);
    const foreign = await app.inject({ method: 'PUT', url: '/api/rules/doors/door-c1', payload: door, headers: { cookie: other } });
    assert.equal(foreign.statusCode, 404);
    const rules = (await app.inject({ url: '/api/rules', headers: { cookie: admin } })).json() as { defaults: { comm_loss_s: number }; doors: unknown[] };
    assert.equal(rules.defaults.comm_loss_s, 600);
    assert.deepEqual(rules.doors, [door]);
    assert.equal((await send('DELETE', '/api/rules/doors/door-c1', undefined, county)).statusCode, 204);
    assert.deepEqual((await loadRuleSet(db.pool)).doors, []);
  });
});
