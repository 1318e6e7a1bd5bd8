import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { newId, type Alert } from '@vigil/schemas';
import { allows, buildApp, createAlertHub, createMqttCommandBus, ROLES, type AlertHub, type CommandBus, type Permission, type Role } from '../src/index.js';
import { addUser, login, type TestUser } from './auth-helpers.js';
import { insertAlert, sampleAlert, sseReader, startTestBroker, testLogger, type SseFrame } from './helpers.js';
import { createPool, migrate } from '@vigil/ingest';
import { backends } from '../../ingest/test/backends.js';

/**
 * The access matrix, generated: a five-level tree with a sibling at every level, one site
 * under every unit, every role at every level of one branch, and every resource and action
 * tried by every user on every object of the whole tree (and on ids that exist nowhere).
 * What a user may reach is computed here from the tree alone; the API must give exactly that
 * in lists, single reads, exports, the live stream and commands — and a 404 (the same one as
 * for an id that does not exist) for everything else.
 */

// parent -> children; the chain M > P1 > C1 > K1 > T1 holds the users, the siblings P2, C2, K2, T2 do not.
const TREE: Record<string, string | null> = { M: null, P1: 'M', P2: 'M', C1: 'P1', C2: 'P1', K1: 'C1', K2: 'C1', T1: 'K1', T2: 'K1' };
const UNITS = Object.keys(TREE);
const CHAIN = ['M', 'P1', 'C1', 'K1', 'T1'];
const levelOf = (u: string): number => (TREE[u] === null ? 1 : levelOf(TREE[u]!) + 1);
const isUnder = (x: string, u: string): boolean => x === u || (TREE[x] !== null && isUnder(TREE[x]!, u));
const subtree = (u: string): Set<string> => new Set(UNITS.filter((x) => isUnder(x, u)));
const siteOf = (u: string) => `s-${u}`;
/** The officer who supervises the subjects of unit u: the one at the nearest chain unit at or above it. */
const officerFor = (u: string): string => (CHAIN.includes(u) ? `officer-${u}` : officerFor(TREE[u]!));

interface Obj {
  unit: string;
  site: string;
  /** The subject this object concerns, if any (officers see only theirs). */
  subject: string | null;
}

for (const backend of backends())
describe(`scope matrix on ${backend.name}: every role × every level × every resource and action`, { skip: backend.skip ?? false }, () => {
  let db: { pool: Pool; close(): Promise<void> };
  let broker: { url: string; close(): Promise<void> };
  let bus: CommandBus;
  let app: FastifyInstance;
  let hub: AlertHub;
  let base: string;
  const users: { user: TestUser; cookie: string }[] = [];
  const subjects = new Map<string, Obj & { officer: string | null }>();
  const alerts = new Map<string, Obj>();
  const checkins = new Map<string, Obj>();
  const devices = new Map<string, Obj>();
  const zones = new Map<string, Obj>();
  const ghost = { alert: newId(), subject: 'subj-nowhere', device: 'dev-nowhere', zone: 'zone-nowhere', checkin: newId(), unit: 'X9', site: 's-X9', user: 'user-nowhere' };

  before(async () => {
    const url = await backend.start();
    const pool = createPool(url, { maxConnections: backend.name.includes('embedded') ? 1 : 4 });
    await migrate(pool);
    db = {
      pool,
      async close() {
        await pool.end();
        await backend.stop();
      },
    };
    broker = await startTestBroker();
    const q = (sql: string, p: unknown[]) => db.pool.query(sql, p);
    for (const u of UNITS) {
      await q('INSERT INTO org_units (id, parent_id, level, name_en, name_zh) VALUES ($1, $2, $3, $1, $1)', [u, TREE[u], levelOf(u)]);
      await q("INSERT INTO sites (id, org_unit_id, kind, name_en, name_zh) VALUES ($1, $2, 'community', $1, $1)", [siteOf(u), u]);
    }
    for (const unit of CHAIN) for (const role of ROLES) users.push({ user: await addUser(db.pool, { id: `${role}-${unit}`, role, orgUnit: unit }), cookie: '' });
    const t0 = Date.now() - 3_600_000;
    for (const u of UNITS) {
      const site = siteOf(u);
      for (const [sid, officer] of [[`subj-${u}`, officerFor(u)], [`subj-${u}-b`, null]] as const) {
        await q('INSERT INTO subjects (id, site_id, ref, display_name, officer_id) VALUES ($1, $2, $1, $1, $3)', [sid, site, officer]);
        subjects.set(sid, { unit: u, site, subject: sid, officer });
        const dev = `tag-${sid}`;
        await q("INSERT INTO devices (id, site_id, kind, subject_id, secret_hash) VALUES ($1, $2, 'tag', $3, 'x')", [dev, site, sid]);
        devices.set(dev, { unit: u, site, subject: sid });
        await q("INSERT INTO tag_fixes (time, msg_id, device_id, site_id, seq, lat, lon, acc_m) VALUES (now() - interval '5 minutes', $1, $2, $3, 1, 30.2, 120.1, 5)", [newId(), dev, site]);
        const a = sampleAlert({ site, dev, subject: sid, raised_ts: t0, last_ts: t0 });
        await insertAlert(db.pool, a);
        alerts.set(a.id, { unit: u, site, subject: sid });
        const ck = newId();
        await q("INSERT INTO checkins (time, msg_id, subject_id, device_id, site_id, result, review_state) VALUES (now(), $1, $2, $3, $4, 'review', 'pending')", [ck, sid, dev, site]);
        checkins.set(ck, { unit: u, site, subject: sid });
      }
      const z = `zone-${u}`;
      await q(`INSERT INTO zones (id, site_id, kind, name_en, name_zh, geometry) VALUES ($1, $2, 'exclusion', $1, $1, '{"type":"Polygon","coordinates":[]}')`, [z, site]);
      zones.set(z, { unit: u, site, subject: null });
    }
    hub = createAlertHub();
    bus = createMqttCommandBus({ url: broker.url, pool: db.pool, logger: testLogger });
    app = await buildApp({ pool: db.pool, alertFeed: hub, commandBus: bus, logger: testLogger, security: { rateLimitPerUser: 1_000_000, rateLimitPerAddress: 1_000_000, loginRateLimitPerAddress: 1000, scopeCacheMs: 0 } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    for (const u of users) u.cookie = await login(app, u.user);
    for (let i = 0; i < 100 && !bus.isConnected(); i++) await new Promise((r) => setTimeout(r, 50));
  });

  after(async () => {
    await app?.close();
    await bus?.close();
    await broker?.close();
    await db?.close();
  });

  /** What a user may see, from the tree alone. */
  const reach = (u: TestUser) => {
    const units = subtree(u.orgUnit);
    const inSites = (o: Obj) => units.has(o.unit);
    const mine = (o: Obj) => inSites(o) && (u.role !== 'officer' || (o.subject !== null && subjects.get(o.subject)!.officer === u.id));
    return { units, inSites, mine };
  };
  const can = (u: TestUser, p: Permission) => allows(u.role, p);
  const call = (c: { cookie: string }, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
    app.inject({ method, url, headers: { cookie: c.cookie }, ...(payload ? { payload } : {}) });

  /** Lists: exactly the objects in reach, or a 403 when the role lacks the permission. */
  test('lists hold exactly what the user may reach', async () => {
    const cases: { url: string; perm: Permission; key: string; all: Map<string, Obj> | null; visible: (u: TestUser, o: Obj) => boolean; id: (x: Record<string, unknown>) => string }[] = [
      { url: '/api/alerts?limit=500', perm: 'alerts.read', key: 'alerts', all: alerts, visible: (u, o) => reach(u).mine(o), id: (x) => x.id as string },
      { url: '/api/subjects', perm: 'subjects.read', key: 'subjects', all: subjects, visible: (u, o) => reach(u).mine(o), id: (x) => x.id as string },
      { url: '/api/checkins?limit=1000', perm: 'checkins.read', key: 'checkins', all: checkins, visible: (u, o) => reach(u).mine(o), id: (x) => x.id as string },
      { url: '/api/devices', perm: 'devices.read', key: 'devices', all: devices, visible: (u, o) => reach(u).inSites(o), id: (x) => x.id as string },
      { url: '/api/zones', perm: 'zones.read', key: 'zones', all: zones, visible: (u, o) => reach(u).inSites(o), id: (x) => x.id as string },
    ];
    let checked = 0;
    for (const c of users) {
      const u = c.user;
      for (const k of cases) {
        const res = await call(c, 'GET', k.url);
        if (!can(u, k.perm)) {
          assert.equal(res.statusCode, 403, `${u.id} ${k.url}`);
          continue;
        }
        assert.equal(res.statusCode, 200, `${u.id} ${k.url}: ${res.body}`);
        const got = ((res.json() as Record<string, Record<string, unknown>[]>)[k.key] ?? []).map(k.id).sort();
        const want = [...k.all!].filter(([, o]) => k.visible(u, o)).map(([id]) => id).sort();
        assert.deepEqual(got, want, `${u.id} ${k.url}`);
        checked += 1;
      }
      // Units, sites and users: the subtree.
      const units = (await call(c, 'GET', '/api/org/units')).json() as { units: { id: string }[] };
      assert.deepEqual(units.units.map((x) => x.id).sort(), [...reach(u).units].sort(), `${u.id} units`);
      const sites = (await call(c, 'GET', '/api/sites')).json() as { sites: { id: string }[] };
      assert.deepEqual(sites.sites.map((x) => x.id).sort(), [...reach(u).units].map(siteOf).sort(), `${u.id} sites`);
      const list = await call(c, 'GET', '/api/users');
      if (can(u, 'users.read')) {
        const want = users.filter((x) => reach(u).units.has(x.user.orgUnit)).map((x) => x.user.id).sort();
        assert.deepEqual((list.json() as { users: { id: string }[] }).users.map((x) => x.id).sort(), want, `${u.id} users`);
      } else assert.equal(list.statusCode, 403, `${u.id} users`);
    }
    assert.ok(checked > 50);
  });

  test('single reads: in reach 200, anywhere else 404 — the same 404 as an id that exists nowhere', async () => {
    const kinds: { perm: Permission; all: Map<string, Obj>; url: (id: string) => string; ghost: string; officerBySubject: boolean }[] = [
      { perm: 'alerts.read', all: alerts, url: (id) => `/api/alerts/${id}`, ghost: ghost.alert, officerBySubject: true },
      { perm: 'subjects.read', all: subjects, url: (id) => `/api/subjects/${id}`, ghost: ghost.subject, officerBySubject: true },
      { perm: 'tracks.read', all: subjects, url: (id) => `/api/subjects/${id}/track`, ghost: ghost.subject, officerBySubject: true },
      { perm: 'devices.read', all: devices, url: (id) => `/api/devices/${id}`, ghost: ghost.device, officerBySubject: false },
      { perm: 'devices.read', all: devices, url: (id) => `/api/devices/${id}/track`, ghost: ghost.device, officerBySubject: false },
      { perm: 'zones.read', all: zones, url: (id) => `/api/zones/${id}`, ghost: ghost.zone, officerBySubject: false },
    ];
    const unitObjs = new Map(UNITS.map((x) => [x, { unit: x, site: siteOf(x), subject: null }]));
    const more = [
      { perm: 'org.read' as Permission, all: unitObjs, url: (id: string) => `/api/org/units/${id}`, ghost: ghost.unit, officerBySubject: false },
      { perm: 'org.read' as Permission, all: new Map(UNITS.map((x) => [siteOf(x), unitObjs.get(x)!])), url: (id: string) => `/api/sites/${id}`, ghost: ghost.site, officerBySubject: false },
    ];
    let n = 0;
    for (const c of users) {
      const u = c.user;
      const r = reach(u);
      for (const k of [...kinds, ...more]) {
        const ghostRes = await call(c, 'GET', k.url(k.ghost));
        if (!can(u, k.perm)) {
          assert.equal(ghostRes.statusCode, 403, `${u.id} ${k.url(k.ghost)}`);
          continue;
        }
        assert.equal(ghostRes.statusCode, 404, `${u.id} ghost ${k.url(k.ghost)}`);
        for (const [id, o] of k.all) {
          const res = await call(c, 'GET', k.url(id));
          const ok = k.officerBySubject ? r.mine(o) : r.inSites(o);
          assert.equal(res.statusCode, ok ? 200 : 404, `${u.id} GET ${k.url(id)}`);
          if (!ok) assert.deepEqual(res.json(), ghostRes.json(), `${u.id} ${k.url(id)}: an out-of-scope 404 must look like a missing one`);
          n += 1;
        }
      }
      // Users of the subtree only.
      for (const other of users) {
        const res = await call(c, 'GET', `/api/users/${other.user.id}`);
        if (!can(u, 'users.read')) assert.equal(res.statusCode, 403);
        else assert.equal(res.statusCode, r.units.has(other.user.orgUnit) ? 200 : 404, `${u.id} GET user ${other.user.id}`);
      }
    }
    assert.ok(n > 1000, `${n} reads checked`);
  });

  test('actions and commands: out of reach is a 404 and nothing changes', async () => {
    const firstAck = new Set<string>();
    for (const c of users) {
      const u = c.user;
      const r = reach(u);
      const expect = (res: { statusCode: number; body: string }, perm: Permission, inReach: boolean, okCodes: number[], what: string) => {
        if (!can(u, perm)) assert.equal(res.statusCode, 403, `${u.id} ${what}`);
        else if (!inReach) assert.equal(res.statusCode, 404, `${u.id} ${what}`);
        else assert.ok(okCodes.includes(res.statusCode), `${u.id} ${what}: ${res.statusCode} ${res.body}`);
      };
      for (const [id, o] of alerts) {
        // Shelving without its fields: in reach, the lifecycle names the missing field (nothing changes); else 404.
        expect(await call(c, 'POST', `/api/alerts/${id}/shelve`, {}), 'alerts.shelve', r.mine(o), [400], `shelve ${id}`);
        expect(await call(c, 'POST', `/api/alerts/${id}/resolve`, {}), 'alerts.resolve', r.mine(o), [400], `resolve ${id}`);
        const ack = await call(c, 'POST', `/api/alerts/${id}/acknowledge`, {});
        expect(ack, 'alerts.acknowledge', r.mine(o), [200, 409], `acknowledge ${id}`);
        if (ack.statusCode === 200) {
          assert.ok(!firstAck.has(id), 'acknowledged once only');
          firstAck.add(id);
        }
      }
      for (const [id, o] of devices) {
        expect(await call(c, 'POST', `/api/devices/${id}/commands`, { name: 'vibrate' }), 'devices.command', r.inSites(o), [202], `command ${id}`);
        expect(await call(c, 'POST', `/api/devices/${id}/assign`, { subject: 'subj-nowhere' }), 'devices.write', r.inSites(o), [400], `assign ${id}`);
      }
      for (const [id, o] of checkins) expect(await call(c, 'POST', `/api/checkins/${id}/review`, { decision: 'approved' }), 'checkins.review', r.mine(o), [200, 409], `review ${id}`);
      for (const [id, o] of zones) expect(await call(c, 'PATCH', `/api/zones/${id}`, { active: true }), 'zones.write', r.inSites(o), [200], `zone ${id}`);
      for (const [id, o] of subjects) expect(await call(c, 'PATCH', `/api/subjects/${id}`, { ref: id }), 'subjects.write', r.inSites(o), [200], `subject ${id}`);
    }
    // Every command that went out went to a device in the sender's reach; none to a sibling subtree.
    const { rows } = await db.pool.query<{ device_id: string; requested_by: string }>('SELECT device_id, requested_by FROM device_commands');
    assert.ok(rows.length > 0);
    for (const row of rows) {
      const sender = users.find((x) => x.user.id === row.requested_by)!.user;
      assert.ok(reach(sender).inSites(devices.get(row.device_id)!), `${sender.id} commanded ${row.device_id}`);
    }
    // Acknowledged alerts were acknowledged by someone who could reach them.
    const acks = await db.pool.query<{ alert_id: string; actor: string }>("SELECT alert_id, actor FROM alert_transitions WHERE action = 'acknowledge'");
    assert.equal(acks.rows.length, firstAck.size);
    for (const a of acks.rows) assert.ok(reach(users.find((x) => x.user.id === a.actor)!.user).mine(alerts.get(a.alert_id)!));
  });

  test('exports hold exactly the alerts in reach', async () => {
    for (const c of users) {
      const res = await call(c, 'GET', '/api/alerts/export.csv');
      if (!can(c.user, 'alerts.export')) {
        assert.equal(res.statusCode, 403);
        continue;
      }
      const ids = res.body.replace(/^\ufeff/, '').trim().split('\r\n').slice(1).map((l) => l.split(',')[0]!).sort();
      assert.deepEqual(ids, [...alerts].filter(([, o]) => reach(c.user).mine(o)).map(([id]) => id).sort(), c.user.id);
    }
  });

  test('the live stream carries exactly the alerts and device changes in reach', async () => {
    const streams = new Map<string, { ac: AbortController; sse: ReturnType<typeof sseReader> }>();
    for (const c of users) {
      const ac = new AbortController();
      const res = await fetch(`${base}/api/alerts/stream`, { headers: { cookie: c.cookie }, signal: ac.signal });
      if (!can(c.user, 'alerts.read')) {
        assert.equal(res.status, 403, c.user.id);
        await res.body?.cancel();
        continue;
      }
      const sse = sseReader(res.body!);
      await sse.readUntil((f) => f.some((x) => 'comment' in x && x.comment === 'connected'));
      streams.set(c.user.id, { ac, sse });
    }
    // One new alert for each subject, then one status change per site, then an end marker for everyone (site M's unassigned subject).
    const sent: (Alert & { obj: Obj })[] = [];
    for (const [sid, o] of subjects) {
      const a = sampleAlert({ site: o.site, dev: `tag-${sid}`, subject: sid });
      sent.push({ ...a, obj: o });
      hub.emit(a);
    }
    for (const u of UNITS) hub.emitStatus({ id: `tag-subj-${u}`, site: siteOf(u), online: false, ts: Date.now() });
    const marker = sampleAlert({ site: 's-M', dev: 'marker', subject: 'subj-M' });
    hub.emit(marker);
    const data = (f: SseFrame[], event: string) => f.filter((x): x is { event: string; data: string } => 'event' in x && x.event === event).map((x) => JSON.parse(x.data) as { id: string; site: string });
    for (const c of users) {
      const s = streams.get(c.user.id);
      if (!s) continue;
      const r = reach(c.user);
      const wantAlerts = sent.filter((a) => r.mine(a.obj)).map((a) => a.id);
      // Everyone who reaches subj-M gets the marker; the others wait until the last alert they should get.
      const frames = await s.sse.readUntil((f) => {
        const got = data(f, 'alert').map((x) => x.id);
        return r.mine(subjects.get('subj-M')!) ? got.includes(marker.id) : wantAlerts.every((id) => got.includes(id));
      });
      await new Promise((res) => setTimeout(res, 50));
      const got = data(frames, 'alert').map((x) => x.id).filter((id) => id !== marker.id);
      assert.deepEqual(got.sort(), [...wantAlerts].sort(), `${c.user.id} alerts on the stream`);
      const statuses = data(frames, 'device').map((x) => x.site);
      for (const site of statuses) assert.ok(r.units.has(site.slice(2)), `${c.user.id} got status of ${site}`);
      s.ac.abort();
    }
  });

  test('dashboards, reports and the audit trail stay inside the subtree', async () => {
    for (const c of users) {
      const r = reach(c.user);
      const series = await call(c, 'GET', `/api/dashboard/alerts-hourly?from=${Date.now() - 86_400_000}`);
      if (can(c.user, 'dashboard.read')) for (const p of (series.json() as { points: { site: string }[] }).points) assert.ok(r.units.has(p.site.slice(2)), `${c.user.id} dashboard ${p.site}`);
      else assert.equal(series.statusCode, 403);
      const rep = await call(c, 'GET', '/api/reports/response-times');
      if (can(c.user, 'reports.read')) for (const p of (rep.json() as { by_site: { key: string }[] }).by_site) assert.ok(r.units.has(p.key.slice(2)), `${c.user.id} report ${p.key}`);
      else assert.equal(rep.statusCode, 403);
      const audit = await call(c, 'GET', '/api/audit?limit=1000');
      if (!can(c.user, 'audit.read')) {
        assert.equal(audit.statusCode, 403, c.user.id);
        continue;
      }
      const entries = (audit.json() as { entries: { actor: string }[] }).entries;
      assert.ok(entries.length > 0);
      if (c.user.orgUnit !== 'M') {
        const inTree = new Set(users.filter((x) => r.units.has(x.user.orgUnit)).map((x) => x.user.id));
        for (const e of entries) assert.ok(inTree.has(e.actor), `${c.user.id} saw audit of ${e.actor}`);
      }
    }
  });

  test('every role is in the matrix at every level, and the role table is what PRODUCT.md says', () => {
    assert.equal(users.length, ROLES.length * CHAIN.length);
    const rolesOf = (p: Permission): Role[] => ROLES.filter((r) => allows(r, p));
    assert.deepEqual(rolesOf('audit.read'), ['auditor']);
    assert.deepEqual(rolesOf('users.write'), ['administrator']);
    assert.ok(!rolesOf('alerts.acknowledge').includes('administrator') && !rolesOf('alerts.acknowledge').includes('auditor'));
    assert.deepEqual(rolesOf('devices.write'), ['administrator']);
  });
});
