import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { newId, type Alert } from '@vigil/schemas';
import { buildApp, createAlertHub } from '../src/index.js';
import { addUser, login, seedBasicTree, type TestUser } from './auth-helpers.js';
import { injectAs, lastAudit as lastAuditOf } from './inject-helpers.js';
import { insertAlert, sampleAlert, startTestDb, testLogger } from './helpers.js';

/**
 * Issue 9's API gaps, as a user meets them: an officer accepting a dispatch from the phone,
 * the officers' positions for whoever dispatches, a tag's battery and signal, and a device's
 * uptime history. Each is scoped (a 404 outside, the same as for an id that exists nowhere),
 * audited, and a 400 names the bad field.
 */
describe('API gaps of issue 9 (app.inject, embedded database)', () => {
  let db: { pool: Pool; close(): Promise<void> };
  let app: FastifyInstance;
  const cookies: Record<string, string> = {};
  const emitted: Alert[] = [];
  const HOUR = 3_600_000;
  const now = Date.now();
  const T = now - 10 * HOUR;
  const a = {
    open: sampleAlert({ site: 'prison-a', dev: 'tag-0001', subject: 'p-0001' }),
    colleagues: sampleAlert({ site: 'prison-a', dev: 'tag-0001', subject: 'p-0001', state: 'dispatched' }),
    closed: sampleAlert({ site: 'prison-a', dev: 'tag-0001', subject: 'p-0001', state: 'resolved' }),
    unassigned: sampleAlert({ site: 'prison-a', dev: 'tag-0002', subject: 'p-0002' }),
    elsewhere: sampleAlert({ site: 'prison-x', dev: 'tag-x', subject: 'p-x' }),
  };
  const q = (sql: string, p: unknown[] = []) => db.pool.query(sql, p);
  const as = injectAs(() => app, cookies);
  const lastAudit = (action: string) => lastAuditOf(db.pool, action);
  const status = (dev: string, site: string, at: number, online: boolean) =>
    // As ingest stores an agent.status; the trigger of migration 010 records the change.
    q("INSERT INTO device_events (time, msg_id, device_id, site_id, seq, type, body) VALUES ($1, $2, $3, $4, 1, 'agent.status', $5)", [new Date(at), newId(), dev, site, JSON.stringify({ online })]);

  before(async () => {
    db = await startTestDb();
    await seedBasicTree(db.pool);
    const signIn: TestUser[] = [];
    await q(`INSERT INTO org_units (id, parent_id, level, name_en, name_zh) VALUES ('east', 'moj', 2, 'East', '东'), ('elsewhere', NULL, 1, 'Elsewhere', '别处')`);
    await q(`INSERT INTO sites (id, org_unit_id, kind, name_en, name_zh) VALUES ('prison-x', 'elsewhere', 'prison', 'Prison X', '戊监狱')`);
    for (const [id, role, orgUnit] of [
      ['off-1', 'officer', 'moj'],
      ['off-2', 'officer', 'moj'],
      ['off-east', 'officer', 'east'],
      ['off-x', 'officer', 'elsewhere'],
      ['op-1', 'operator', 'moj'],
      ['sup-1', 'supervisor', 'moj'],
      ['op-x', 'operator', 'elsewhere'],
      ['aud-1', 'auditor', 'moj'],
    ] as const) {
      const u = await addUser(db.pool, { id, role, orgUnit });
      if (id !== 'off-east' && id !== 'off-x') signIn.push(u);
    }
    await q(`INSERT INTO subjects (id, site_id, ref, display_name, officer_id) VALUES
               ('p-0001', 'prison-a', 'c1', 'One', 'off-1'), ('p-0002', 'prison-a', 'c2', 'Two', NULL), ('p-x', 'prison-x', 'cx', 'X', 'off-x')`);
    await q(`INSERT INTO devices (id, site_id, kind, subject_id, secret_hash) VALUES
               ('tag-0001', 'prison-a', 'tag', 'p-0001', 'x'), ('tag-0002', 'prison-a', 'tag', 'p-0002', 'x'), ('tag-x', 'prison-x', 'tag', 'p-x', 'x')`);
    for (const alert of Object.values(a)) await insertAlert(db.pool, alert);
    await q("UPDATE alerts SET officer_id = 'off-2', acked = true WHERE id = $1", [a.colleagues.id]);
    await q(`INSERT INTO officer_positions (user_id, lat, lon, acc_m, at, available) VALUES
               ('off-1', 30.25, 120.15, 8, now() - interval '2 minutes', true), ('off-2', 30.26, 120.16, NULL, now(), false), ('off-x', 31, 121, 5, now(), true)`);
    const hub = createAlertHub();
    hub.subscribe((x) => emitted.push(x));
    app = await buildApp({ pool: db.pool, alertFeed: hub, logger: testLogger });
    for (const u of signIn) cookies[u.id] = await login(app, u);
  });

  after(async () => {
    await app?.close();
    await db?.close();
  });

  describe('POST /api/alerts/:id/accept', () => {
    test('an officer takes an open alert of their subject: dispatched to them, on the live stream, audited', async () => {
      const res = await as('off-1', 'POST', `/api/alerts/${a.open.id}/accept`, {});
      assert.equal(res.statusCode, 200, res.body);
      const { alert } = res.json() as { alert: Alert };
      assert.equal(alert.state, 'dispatched');
      assert.equal(alert.officer, 'off-1');
      assert.equal(emitted.at(-1)?.id, a.open.id);
      const { rows } = await q("SELECT actor, action, to_state FROM alert_transitions WHERE alert_id = $1 AND action = 'dispatch'", [a.open.id]);
      assert.deepEqual(rows, [{ actor: 'off-1', action: 'dispatch', to_state: 'dispatched' }]);
      const audit = await lastAudit('alerts.accept');
      assert.equal(audit?.actor, 'off-1');
      assert.equal(audit?.outcome, 'ok');
      assert.deepEqual([audit?.detail.from, audit?.detail.to, audit?.detail.officer], ['raised', 'dispatched', 'off-1']);
    });

    test('accepting again, a colleague\'s dispatch or a closed alert is a 409 in both languages, and nothing changes', async () => {
      for (const [id, text] of [
        [a.open.id, 'already dispatched to you / 已派给您'],
        [a.colleagues.id, 'already dispatched to another officer / 已派给其他民警'],
        [a.closed.id, 'cannot dispatch an alert that is resolved / 处于"resolved"状态的告警不能派警'],
      ] as const) {
        const res = await as('off-1', 'POST', `/api/alerts/${id}/accept`, {});
        assert.equal(res.statusCode, 409, id);
        assert.deepEqual(res.json(), { code: 'VIGIL_CC_CONFLICT', message: text });
        assert.equal((await lastAudit('alerts.accept'))?.outcome, 'failed');
      }
      const { rows } = await q('SELECT officer_id FROM alerts WHERE id = $1', [a.colleagues.id]);
      assert.equal(rows[0].officer_id, 'off-2');
    });

    test('an alert outside the officer\'s scope (another subtree, or a subject not theirs) is the 404 of an alert that exists nowhere', async () => {
      const ghost = await as('off-1', 'POST', `/api/alerts/${newId()}/accept`, {});
      assert.equal(ghost.statusCode, 404);
      for (const id of [a.elsewhere.id, a.unassigned.id]) {
        const res = await as('off-1', 'POST', `/api/alerts/${id}/accept`, {});
        assert.equal(res.statusCode, 404, id);
        assert.deepEqual(res.json(), ghost.json());
        const audit = await lastAudit('alerts.accept');
        assert.deepEqual([audit?.resource, audit?.outcome], [`alerts/${id}`, 'denied']);
      }
      const { rows } = await q('SELECT state FROM alerts WHERE id = ANY($1)', [[a.elsewhere.id, a.unassigned.id]]);
      assert.deepEqual(rows.map((r) => r.state), ['raised', 'raised']);
    });

    test('only officers accept; a bad id or body is a 400 naming the field', async () => {
      for (const user of ['op-1', 'sup-1', 'aud-1']) assert.equal((await as(user, 'POST', `/api/alerts/${a.unassigned.id}/accept`, {})).statusCode, 403, user);
      for (const [url, body, field] of [
        ['/api/alerts/not-a-uuid/accept', {}, 'id'],
        [`/api/alerts/${a.unassigned.id}/accept`, { reason: '' }, 'reason'],
        [`/api/alerts/${a.unassigned.id}/accept`, { officer: 'off-2' }, 'officer'],
      ] as const) {
        const res = await as('off-1', 'POST', url, body);
        assert.equal(res.statusCode, 400, url);
        assert.equal((res.json() as { field: string }).field, field);
      }
    });

    test('the phone view shows accept for open alerts to whoever holds alerts.accept, not once dispatched', async () => {
      // The UI is its own project (Vite; kept out of `tsc -b`), so its module is loaded by address, not by a typed import.
      const { can } = (await import(new URL('../ui/src/lifecycle.ts', import.meta.url).href)) as { can(alert: { state: string }, action: string, permissions: readonly string[]): boolean };
      const officer = ['alerts.read', 'alerts.accept'];
      assert.ok(can({ state: 'raised' }, 'accept', officer));
      assert.ok(can({ state: 'acknowledged' }, 'accept', officer));
      for (const state of ['dispatched', 'on_scene', 'resolved', 'shelved'] as const) assert.ok(!can({ state }, 'accept', officer), state);
      assert.ok(!can({ state: 'raised' }, 'accept', ['alerts.read', 'alerts.dispatch']));
    });
  });

  describe('GET /api/officers/positions', () => {
    type Pos = { id: string; org_unit: string; available: boolean; lat: number | null; lon: number | null; acc_m: number | null; position_ts: number | null; age_s: number | null };
    const list = async (user: string, query = '') => {
      const res = await as(user, 'GET', `/api/officers/positions${query}`);
      assert.equal(res.statusCode, 200, res.body);
      return (res.json() as { officers: Pos[] }).officers;
    };

    test('a dispatcher sees every officer of their subtree: position, availability and its age; never another subtree', async () => {
      const officers = await list('op-1');
      assert.deepEqual(officers.map((o) => o.id), ['off-east', 'off-1', 'off-2']);
      const [east, one, two] = officers;
      assert.deepEqual([east!.available, east!.lat, east!.position_ts, east!.age_s], [false, null, null, null], 'no position yet: not available');
      assert.deepEqual([one!.available, one!.lat, one!.lon, one!.acc_m], [true, 30.25, 120.15, 8]);
      assert.ok(Math.abs(one!.age_s! - 120) <= 5, String(one!.age_s));
      assert.ok(Math.abs(one!.position_ts! - (Date.now() - 120_000)) < 5000);
      assert.deepEqual([two!.available, two!.acc_m], [false, null]);
      assert.deepEqual((await list('sup-1')).map((o) => o.id), ['off-east', 'off-1', 'off-2']);
      assert.deepEqual((await list('op-x')).map((o) => o.id), ['off-x']);
    });

    test('filters by unit (with the units under it); a unit outside the subtree gives nothing', async () => {
      assert.deepEqual((await list('op-1', '?unit=east')).map((o) => o.id), ['off-east']);
      assert.deepEqual((await list('op-1', '?unit=moj')).map((o) => o.id), ['off-east', 'off-1', 'off-2']);
      assert.deepEqual(await list('op-1', '?unit=elsewhere'), []);
    });

    test('officers and auditors get a 403; a bad unit is a 400 naming it; the read is audited', async () => {
      for (const user of ['off-1', 'aud-1']) assert.equal((await as(user, 'GET', '/api/officers/positions')).statusCode, 403, user);
      const bad = await as('op-1', 'GET', '/api/officers/positions?unit=a%2Fb');
      assert.equal(bad.statusCode, 400);
      assert.equal((bad.json() as { field: string }).field, 'unit');
      await list('sup-1', '?unit=east');
      const audit = await lastAudit('officers.positions');
      assert.deepEqual([audit?.actor, audit?.detail], ['sup-1', { unit: 'east', returned: 1 }]);
    });
  });

  describe('GET /api/devices/:id/health', () => {
    before(async () => {
      const health = (at: number, body: object) =>
        q("INSERT INTO device_events (time, msg_id, device_id, site_id, seq, type, body) VALUES ($1, $2, 'tag-0001', 'prison-a', 1, 'tag.health', $3)", [new Date(at), newId(), JSON.stringify(body)]);
      await health(now - 30 * 60_000, { battery_pct: 80, rssi_dbm: -70 });
      await health(now - 10 * 60_000, { battery_pct: 64, rssi_dbm: -91, charging: false, fw: '1.4.2' });
      await q("INSERT INTO tag_fixes (time, msg_id, device_id, site_id, seq, lat, lon, acc_m) VALUES ($1, $2, 'tag-0001', 'prison-a', 2, 30.25, 120.15, 5)", [new Date(now - 5 * 60_000), newId()]);
      await q("INSERT INTO device_presence (device_id, site_id, online, since, last_msg_id) VALUES ('tag-0001', 'prison-a', true, $1, $2)", [new Date(now - HOUR), newId()]);
    });

    test('the newest battery and signal, the last fix and the last contact', async () => {
      const res = await as('op-1', 'GET', '/api/devices/tag-0001/health');
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), {
        id: 'tag-0001',
        site: 'prison-a',
        kind: 'tag',
        online: true,
        since_ts: now - HOUR,
        battery_pct: 64,
        charging: false,
        rssi_dbm: -91,
        temp_c: null,
        fw: '1.4.2',
        health_ts: now - 10 * 60_000,
        last_fix_ts: now - 5 * 60_000,
        last_seen_ts: now - 5 * 60_000,
      });
      const audit = await lastAudit('devices.health');
      assert.deepEqual([audit?.actor, audit?.resource, audit?.outcome], ['op-1', 'devices/tag-0001', 'ok']);
    });

    test('the device list carries each tag\'s newest battery and signal (null where none was reported)', async () => {
      const res = await as('op-1', 'GET', '/api/devices?site=prison-a');
      assert.equal(res.statusCode, 200, res.body);
      const byId = new Map((res.json() as { devices: { id: string; battery_pct: number | null; signal_dbm: number | null }[] }).devices.map((d) => [d.id, d]));
      assert.deepEqual([byId.get('tag-0001')?.battery_pct, byId.get('tag-0001')?.signal_dbm], [64, -91]);
      assert.deepEqual([byId.get('tag-0002')?.battery_pct, byId.get('tag-0002')?.signal_dbm], [null, null]);
    });

    test('a device that never reported has nulls, not zeros', async () => {
      const h = (await as('sup-1', 'GET', '/api/devices/tag-0002/health')).json() as Record<string, unknown>;
      assert.deepEqual([h.battery_pct, h.rssi_dbm, h.online, h.health_ts, h.last_seen_ts], [null, null, null, null, null]);
    });

    test('a device of another subtree is the 404 of one that exists nowhere (audited as denied); officers 403; a bad id 400', async () => {
      const ghost = await as('op-1', 'GET', '/api/devices/tag-nowhere/health');
      const res = await as('op-1', 'GET', '/api/devices/tag-x/health');
      assert.equal(res.statusCode, 404);
      assert.deepEqual(res.json(), ghost.json());
      assert.deepEqual([(await lastAudit('devices.health'))?.resource, (await lastAudit('devices.health'))?.outcome], ['devices/tag-x', 'denied']);
      assert.equal((await as('op-x', 'GET', '/api/devices/tag-x/health')).statusCode, 200);
      assert.equal((await as('off-1', 'GET', '/api/devices/tag-0001/health')).statusCode, 403);
      const bad = await as('op-1', 'GET', '/api/devices/a%20b/health');
      assert.deepEqual([bad.statusCode, (bad.json() as { field: string }).field], [400, 'id']);
    });
  });

  describe('GET /api/devices/:id/presence/history', () => {
    type Uptime = { from: number; to: number; state_at_from: boolean | null; changes: { ts: number; online: boolean }[]; truncated: boolean; online_ms: number; offline_ms: number; unknown_ms: number; online_fraction: number };
    before(async () => {
      // tag-0001: online before the window, offline an hour in, back two hours later.
      await status('tag-0001', 'prison-a', T - 2 * HOUR, true);
      await status('tag-0001', 'prison-a', T + HOUR, false);
      await status('tag-0001', 'prison-a', T + HOUR + 60_000, false); // a repeated status is not a change
      await status('tag-0001', 'prison-a', T + 3 * HOUR, true);
      // tag-0002: first heard of an hour into the window.
      await status('tag-0002', 'prison-a', T + HOUR, true);
    });
    const history = async (user: string, dev: string, query: string) => {
      const res = await as(user, 'GET', `/api/devices/${dev}/presence/history${query}`);
      assert.equal(res.statusCode, 200, res.body);
      return res.json() as Uptime;
    };

    test('the changes in the window and the online fraction over it', async () => {
      const h = await history('op-1', 'tag-0001', `?from=${T}&to=${T + 4 * HOUR}`);
      assert.deepEqual(
        { ...h, changes: h.changes.map((c) => [c.ts - T, c.online]) },
        { id: 'tag-0001', site: 'prison-a', from: T, to: T + 4 * HOUR, state_at_from: true, changes: [[HOUR, false], [3 * HOUR, true]], truncated: false, online_ms: 2 * HOUR, offline_ms: 2 * HOUR, unknown_ms: 0, online_fraction: 0.5 },
      );
      const audit = await lastAudit('devices.uptime');
      assert.deepEqual([audit?.actor, audit?.resource, audit?.detail], ['op-1', 'devices/tag-0001', { from: T, to: T + 4 * HOUR, returned: 2 }]);
    });

    test('time before the first status is unknown, not offline; limit truncates the list but not the totals', async () => {
      const h = await history('op-1', 'tag-0002', `?from=${T}&to=${T + 4 * HOUR}`);
      assert.deepEqual([h.state_at_from, h.online_ms, h.offline_ms, h.unknown_ms, h.online_fraction], [null, 3 * HOUR, 0, HOUR, 0.75]);
      const cut = await history('op-1', 'tag-0001', `?from=${T}&to=${T + 4 * HOUR}&limit=1`);
      assert.deepEqual([cut.changes.length, cut.truncated, cut.online_ms], [1, true, 2 * HOUR]);
    });

    test('by default the last 24 hours up to now; a window into the future ends now', async () => {
      const h = await history('sup-1', 'tag-0001', '');
      assert.ok(Math.abs(h.to - Date.now()) < 5000 && h.to - h.from === 86_400_000);
      assert.equal(h.changes.length, 3, 'the first change, twelve hours ago, is in the last day too');
      const ahead = await history('sup-1', 'tag-0001', `?from=${T + 3 * HOUR}&to=${Date.now() + 10 * HOUR}`);
      assert.ok(ahead.to <= Date.now());
      assert.ok(Math.abs(ahead.online_fraction - 1) < 1e-9, String(ahead.online_fraction));
    });

    test('out of scope is a 404 like a missing device; a bad window is a 400 naming the field', async () => {
      const ghost = await as('op-1', 'GET', '/api/devices/tag-nowhere/presence/history');
      const res = await as('op-1', 'GET', '/api/devices/tag-x/presence/history');
      assert.equal(res.statusCode, 404);
      assert.deepEqual(res.json(), ghost.json());
      assert.equal((await lastAudit('devices.uptime'))?.outcome, 'denied');
      assert.equal((await as('off-1', 'GET', '/api/devices/tag-0001/presence/history')).statusCode, 403);
      for (const [query, field] of [
        [`from=${T + HOUR}&to=${T}`, 'from'],
        [`from=${T - 100 * 86_400_000}&to=${T}`, 'from'],
        ['from=yesterday', 'from'],
        ['to=0', 'to'],
        ['limit=0', 'limit'],
        ['since=1', 'since'],
      ] as const) {
        const bad = await as('op-1', 'GET', `/api/devices/tag-0001/presence/history?${query}`);
        assert.equal(bad.statusCode, 400, query);
        const body = bad.json() as { field: string; message: string };
        assert.equal(body.field, field, query);
        assert.match(body.message, new RegExp(`^${field}: `), query);
      }
    });
  });
});
