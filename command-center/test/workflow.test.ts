import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { MqttClient } from 'mqtt';
import type { Pool } from 'pg';
import { check, CommandRequest, newId, type Alert } from '@vigil/schemas';
import { buildApp, createAlertHub, createMqttCommandBus, type CommandBus } from '../src/index.js';
import { addUser, login, loginHttp, seedBasicTree, type TestUser } from './auth-helpers.js';
import { connectPublisher, insertAlert, sampleAlert, sseReader, startTestBroker, startTestDb, testLogger } from './helpers.js';

describe('alert workflow, commands, check-ins, tracks, dashboards and reports (real broker, embedded database)', () => {
  let db: { pool: Pool; close(): Promise<void> };
  let broker: { url: string; close(): Promise<void> };
  let bus: CommandBus;
  let app: FastifyInstance;
  let base: string;
  let op: string;
  let officer: TestUser;
  let officerCookie: string;
  const fixTs = Date.now() - 120_000;
  const alert = sampleAlert({
    site: 'prison-a',
    dev: 'tag-0001',
    subject: 'p-0001',
    raised_ts: fixTs,
    last_ts: fixTs,
    evidence: { fixes: [{ msg_id: newId(), ts: fixTs, lat: 30.25, lon: 120.15, acc_m: 5 }], zone_id: 'zone-fence' },
  });
  const post = (url: string, payload: object, cookie: string) => app.inject({ method: 'POST', url, payload, headers: { cookie } });

  before(async () => {
    db = await startTestDb();
    broker = await startTestBroker();
    await seedBasicTree(db.pool);
    await db.pool.query(`INSERT INTO org_units (id, parent_id, level, name_en, name_zh) VALUES ('elsewhere', NULL, 1, 'Elsewhere', '别处')`);
    const q = (sql: string, p: unknown[] = []) => db.pool.query(sql, p);
    officer = await addUser(db.pool, { id: 'off-near', role: 'officer', orgUnit: 'moj' });
    for (const [id, unit] of [['off-far', 'moj'], ['off-busy', 'moj'], ['off-other', 'elsewhere']] as const) await addUser(db.pool, { id, role: 'officer', orgUnit: unit });
    // Positions: busy is closest but unavailable; near is 1 km off; far 10 km.
    await q(`INSERT INTO officer_positions (user_id, lat, lon, at, available) VALUES
               ('off-busy', 30.2501, 120.1501, now(), false), ('off-near', 30.259, 120.15, now(), true), ('off-far', 30.34, 120.15, now(), true)`);
    await q(`INSERT INTO subjects (id, site_id, ref, display_name, officer_id) VALUES ('p-0001', 'prison-a', 'case-1', 'Subject one', 'off-near')`);
    await q(`INSERT INTO devices (id, site_id, kind, subject_id, secret_hash) VALUES ('tag-0001', 'prison-a', 'tag', 'p-0001', 'x')`);
    await q(`INSERT INTO tag_fixes (time, msg_id, device_id, site_id, seq, lat, lon, acc_m) VALUES (to_timestamp($1 / 1000.0), $2, 'tag-0001', 'prison-a', 1, 30.25, 120.15, 5)`, [fixTs, alert.evidence.fixes![0]!.msg_id]);
    await insertAlert(db.pool, alert);
    const hub = createAlertHub();
    bus = createMqttCommandBus({ url: broker.url, pool: db.pool, logger: testLogger });
    app = await buildApp({ pool: db.pool, alertFeed: hub, commandBus: bus, logger: testLogger });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    op = await login(app, await addUser(db.pool, { id: 'op-1', role: 'operator', orgUnit: 'moj' }));
    officerCookie = await login(app, officer);
    for (let i = 0; i < 100 && !bus.isConnected(); i++) await new Promise((r) => setTimeout(r, 50));
  });
  after(async () => {
    await app?.close();
    await bus?.close();
    await broker?.close();
    await db?.close();
  });

  test('detail carries the evidence: the track around the alert and every transition', async () => {
    const res = await app.inject({ url: `/api/alerts/${alert.id}`, headers: { cookie: op } });
    assert.equal(res.statusCode, 200);
    const d = res.json() as { alert: Alert; fixes: { ts: number; lat: number }[]; transitions: unknown[] };
    assert.equal(d.alert.id, alert.id);
    assert.deepEqual(d.fixes.map((f) => [f.ts, f.lat]), [[fixTs, 30.25]]);
    const { rows } = await db.pool.query("SELECT detail FROM audit_log WHERE action = 'alerts.read' ORDER BY seq DESC LIMIT 1");
    assert.deepEqual(rows[0].detail, { site: 'prison-a', subject: 'p-0001' });
  });

  test('acknowledge, dispatch to the nearest available officer, arrive, resolve — each checked, each on the live stream', async () => {
    const ac = new AbortController();
    const watcher = await loginHttp(base, await addUser(db.pool, { id: 'op-2', role: 'operator', orgUnit: 'moj' }));
    const stream = await fetch(`${base}/api/alerts/stream`, { headers: { cookie: watcher }, signal: ac.signal });
    const sse = sseReader(stream.body!);
    await sse.readUntil((f) => f.length >= 2);

    assert.equal((await post(`/api/alerts/${alert.id}/acknowledge`, {}, op)).statusCode, 200);
    const again = await post(`/api/alerts/${alert.id}/acknowledge`, {}, op);
    assert.deepEqual([again.statusCode, (again.json() as { code: string }).code], [409, 'VIGIL_CC_CONFLICT']);

    const sugg = (await app.inject({ url: `/api/alerts/${alert.id}/officers`, headers: { cookie: op } })).json() as { suggested: string; officers: { id: string; distance_m: number | null; available: boolean }[] };
    assert.equal(sugg.suggested, 'off-near');
    assert.deepEqual(sugg.officers.map((o) => o.id), ['off-near', 'off-far', 'off-busy'], 'available by distance first; another subtree never');
    assert.ok(Math.abs(sugg.officers[0]!.distance_m! - 1001) < 5, String(sugg.officers[0]!.distance_m));

    const noOfficer = await post(`/api/alerts/${alert.id}/dispatch`, {}, op);
    assert.deepEqual([noOfficer.statusCode, (noOfficer.json() as { field: string }).field], [400, 'officer']);
    const foreign = await post(`/api/alerts/${alert.id}/dispatch`, { officer: 'off-other' }, op);
    assert.deepEqual([foreign.statusCode, (foreign.json() as { field: string }).field], [400, 'officer']);
    const sent = await post(`/api/alerts/${alert.id}/dispatch`, { officer: 'off-near' }, op);
    assert.equal((sent.json() as { alert: Alert }).alert.state, 'dispatched');

    // The officer takes it from the phone.
    assert.equal((await post(`/api/alerts/${alert.id}/arrive`, {}, officerCookie)).statusCode, 200);
    const noNote = await post(`/api/alerts/${alert.id}/resolve`, { disposition: 'false_alarm' }, officerCookie);
    assert.deepEqual([noNote.statusCode, (noNote.json() as { field: string }).field], [400, 'note']);
    const done = await post(`/api/alerts/${alert.id}/resolve`, { disposition: 'false_alarm', note: 'GPS drift near the fence' }, officerCookie);
    const closed = (done.json() as { alert: Alert }).alert;
    assert.deepEqual([closed.state, closed.disposition, closed.officer], ['resolved', 'false_alarm', 'off-near']);
    const late = await post(`/api/alerts/${alert.id}/arrive`, {}, officerCookie);
    assert.equal(late.statusCode, 409);

    const frames = await sse.readUntil((f) => f.filter((x) => 'event' in x && x.event === 'alert').length >= 4);
    const states = frames.filter((x): x is { event: string; data: string } => 'event' in x && x.event === 'alert').map((x) => (JSON.parse(x.data) as Alert).state);
    assert.deepEqual(states, ['acknowledged', 'dispatched', 'on_scene', 'resolved']);
    ac.abort();

    const { rows } = await db.pool.query<{ to_state: string; actor: string }>('SELECT to_state, actor FROM alert_transitions WHERE alert_id = $1 ORDER BY id', [alert.id]);
    assert.deepEqual(rows.map((r) => [r.to_state, r.actor]), [['acknowledged', 'op-1'], ['dispatched', 'op-1'], ['on_scene', 'off-near'], ['resolved', 'off-near']]);
  });

  test('reports: response times per site and officer, and the rule resolved as a false alarm', async () => {
    const rt = (await app.inject({ url: '/api/reports/response-times', headers: { cookie: op } })).json() as { by_site: { key: string; resolve: { n: number; avg_s: number } }[]; by_officer: { key: string; arrive: { n: number } }[] };
    assert.deepEqual(rt.by_site.map((s) => [s.key, s.resolve.n]), [['prison-a', 1]]);
    assert.ok(rt.by_site[0]!.resolve.avg_s >= 100);
    assert.deepEqual(rt.by_officer.map((s) => [s.key, s.arrive.n]), [['off-near', 1]]);
    const q = (await app.inject({ url: '/api/reports/alarm-quality', headers: { cookie: op } })).json() as { sites: { site: string; alerts: number; operators: number }[]; false_alarm_rules: { rule: string; ratio: number }[] };
    assert.deepEqual(q.false_alarm_rules, [{ rule: 'zone.exclusion', resolved: 1, false_alarms: 1, ratio: 1 }]);
    assert.equal(q.sites[0]!.operators, 2);
  });

  test('a flood and a chattering condition show in alarm quality', async () => {
    const now = Date.now() - 30 * 60_000;
    for (let i = 0; i < 12; i++) await insertAlert(db.pool, sampleAlert({ site: 'office-b', key: 'door.held:gate-9', state: 'resolved', raised_ts: now + i * 20_000, last_ts: now + i * 20_000 }));
    const q = (await app.inject({ url: '/api/reports/alarm-quality', headers: { cookie: op } })).json() as { sites: { site: string; flood_windows: number; peak_10min: number }[]; chattering: { key: string; raised: number }[] };
    const b = q.sites.find((s) => s.site === 'office-b')!;
    assert.ok(b.peak_10min >= 11 && b.flood_windows >= 1, JSON.stringify(b));
    assert.deepEqual(q.chattering.map((c) => [c.key, c.raised]), [['door.held:gate-9', 12]]);
  });

  test('commands go to the device over MQTT and its answer is stored; a forged answer from another device is not', async () => {
    const device: MqttClient = await connectPublisher(broker.url);
    const got = new Promise<{ topic: string; req: CommandRequest }>((resolve) => device.on('message', (topic, p) => resolve({ topic, req: JSON.parse(p.toString()) as CommandRequest })));
    await device.subscribeAsync('vigil/v1/prison-a/tag-0001/cmd/#', { qos: 1 });
    const res = await post('/api/devices/tag-0001/commands', { name: 'vibrate', args: { seconds: 3 } }, op);
    assert.equal(res.statusCode, 202);
    const sent = res.json() as { id: string; status: string };
    assert.equal(sent.status, 'sent');
    const { topic, req } = await got;
    assert.equal(topic, 'vigil/v1/prison-a/tag-0001/cmd/vibrate');
    assert.ok(check(CommandRequest, req).ok);
    assert.deepEqual([req.id, req.args, req.by], [sent.id, { seconds: 3 }, 'op-1']);
    // Another device answering the same id on its own topic is ignored.
    await device.publishAsync('vigil/v1/prison-a/tag-9999/cmd/vibrate/res', JSON.stringify({ id: req.id, name: 'vibrate', status: 'error', ts: Date.now() }), { qos: 1 });
    await device.publishAsync('vigil/v1/prison-a/tag-0001/cmd/vibrate/res', JSON.stringify({ id: req.id, name: 'vibrate', status: 'ok', detail: 'buzzed', ts: Date.now() }), { qos: 1 });
    let answer: { status: string; detail: string | null } = { status: 'sent', detail: null };
    for (let i = 0; i < 100 && answer.status === 'sent'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      answer = (await app.inject({ url: `/api/devices/tag-0001/commands/${sent.id}`, headers: { cookie: op } })).json() as typeof answer;
    }
    assert.deepEqual([answer.status, answer.detail], ['ok', 'buzzed']);
    await device.endAsync();
  });

  test('check-in review queue, subject track and dashboard series', async () => {
    const ck = newId();
    await db.pool.query("INSERT INTO checkins (time, msg_id, subject_id, device_id, site_id, result, review_state, liveness_score) VALUES (now(), $1, 'p-0001', 'tag-0001', 'prison-a', 'review', 'pending', 0.55)", [ck]);
    const queue = (await app.inject({ url: '/api/checkins?review=pending', headers: { cookie: officerCookie } })).json() as { checkins: { id: string; liveness_score: number }[] };
    assert.deepEqual(queue.checkins.map((c) => c.id), [ck]);
    const review = await post(`/api/checkins/${ck}/review`, { decision: 'approved' }, officerCookie);
    assert.deepEqual([review.statusCode, (review.json() as { review: string; reviewed_by: string }).reviewed_by], [200, 'off-near']);
    assert.equal((await post(`/api/checkins/${ck}/review`, { decision: 'rejected' }, officerCookie)).statusCode, 409);
    const track = (await app.inject({ url: `/api/subjects/p-0001/track?from=${fixTs - 1000}`, headers: { cookie: officerCookie } })).json() as { fixes: { ts: number }[] };
    assert.deepEqual(track.fixes.map((f) => f.ts), [fixTs]);
    const series = (await app.inject({ url: `/api/dashboard/alerts-hourly?from=${fixTs - 3_600_000}`, headers: { cookie: op } })).json() as { points: { site: string; alerts: number }[] };
    assert.equal(series.points.filter((p) => p.site === 'prison-a').reduce((n, p) => n + p.alerts, 0), 1);
  });

  test('out of service and back, shelving with its fields; an officer cannot shelve', async () => {
    const a = sampleAlert({ site: 'office-b', dev: 'gate-7' });
    await insertAlert(db.pool, a);
    const oos = await post(`/api/alerts/${a.id}/out_of_service`, { reason: 'maintenance' }, op);
    assert.equal((oos.json() as { alert: Alert }).alert.state, 'out_of_service');
    assert.equal(((await post(`/api/alerts/${a.id}/return_to_service`, {}, op)).json() as { alert: Alert }).alert.state, 'raised');
    const noReason = await post(`/api/alerts/${a.id}/shelve`, { until: Date.now() + 3_600_000 }, op);
    assert.deepEqual([noReason.statusCode, (noReason.json() as { field: string }).field], [400, 'reason']);
    const shelved = await post(`/api/alerts/${a.id}/shelve`, { until: Date.now() + 3_600_000, reason: 'known fault' }, op);
    assert.deepEqual([(shelved.json() as { alert: Alert }).alert.state, (shelved.json() as { alert: Alert }).alert.shelved_by], ['shelved', 'op-1']);
    assert.equal((await post(`/api/alerts/${a.id}/unshelve`, {}, officerCookie)).statusCode, 403);
  });
});
