import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { buildApp } from '../src/app.js';
import { createAlertHub } from '../src/alert-feed.js';
import { createScopeCache } from '../src/access/scope.js';
import { DEFAULT_SECURITY, makeContext } from '../src/context.js';
import { loadCheckinPlans, plannedSlots } from '../src/checkin/plan.js';
import { checkinRequestRoutes } from '../src/routes/checkin-requests.js';
import { scheduleCheckins, type CheckinLink } from '../src/checkin/scheduler.js';
import { verifyCheckinToken } from '../src/checkin/token.js';
import { seedSubjects } from './checkin-helpers.js';
import { addUser, login } from './auth-helpers.js';
import { startTestDb, testLogger } from './helpers.js';

const SECRET = randomBytes(32);
const DAY = Date.UTC(2026, 10, 26); // a Thursday, 00:00 UTC
const at = (h: number, m = 0, s = 0) => DAY + ((h * 60 + m) * 60 + s) * 1000;

test('planned slots: fixed times in the plan\'s zone, and random times inside the window that stay the same for the same secret', () => {
  const fixed = plannedSlots({ subject: 's1', times: ['09:00', '18:30'] }, at(0), at(23, 59), 'Asia/Shanghai', SECRET);
  // 09:00 and 18:30 in Shanghai are 01:00 and 10:30 UTC.
  assert.deepEqual(fixed.map((s) => [s.kind, s.atMs]), [['scheduled', at(1)], ['scheduled', at(10, 30)]]);
  const plan = { subject: 's1', random: { perDay: 3, start: '08:00', end: '20:00' }, timezone: 'UTC' };
  const a = plannedSlots(plan, at(0), at(23, 59), 'UTC', SECRET);
  assert.equal(a.length, 3);
  assert.ok(a.every((s) => s.kind === 'random' && s.atMs >= at(8) && s.atMs < at(20)));
  assert.deepEqual(plannedSlots(plan, at(0), at(23, 59), 'UTC', SECRET), a, 'the same after a restart');
  assert.notDeepEqual(plannedSlots(plan, at(0), at(23, 59), 'UTC', randomBytes(32)).map((s) => s.atMs), a.map((s) => s.atMs), 'unpredictable without the secret');
  // Split in two ticks, the slots are the same as in one.
  const mid = a[1]!.atMs;
  assert.deepEqual([...plannedSlots(plan, at(0), mid, 'UTC', SECRET), ...plannedSlots(plan, mid, at(23, 59), 'UTC', SECRET)], a);
});

describe('the check-in scheduler on the embedded database', () => {
  let db: { pool: Pool; close(): Promise<void> };
  before(async () => {
    db = await startTestDb();
    await seedSubjects(db.pool, ['s-1', 's-2']);
  });
  after(() => db?.close());

  test('issues each planned request once, sends the link (again after a failed send), and raises a missed check-in after deadline and grace', async () => {
    const sent: CheckinLink[] = [];
    let failNext = true;
    const scheduler = scheduleCheckins({
      pool: db.pool, tokenSecret: SECRET, baseUrl: 'https://vigil.test/', timezone: 'UTC', tickMs: 0, dueMs: 10 * 60_000, graceMs: 5 * 60_000,
      plans: () => [{ subject: 's-1', times: ['09:00'] }, { subject: 's-2', times: ['09:00'] }],
      send: async (link) => {
        if (link.subject === 's-2' && failNext) {
          failNext = false;
          throw new Error('SMS gateway down');
        }
        sent.push(link);
      },
    });
    try {
      assert.deepEqual(await scheduler.tick(at(8, 59)), { issued: 0, sent: 0, missed: 0 });
      assert.deepEqual(await scheduler.tick(at(9, 0, 30)), { issued: 2, sent: 1, missed: 0 });
      const first = sent[0]!;
      assert.equal(first.subject, 's-1');
      assert.equal(first.dueTs, at(9, 10));
      assert.equal(first.expiresTs, at(9, 15));
      assert.match(first.url, /^https:\/\/vigil\.test\/checkin\/[A-Za-z0-9_-]{27}\.[A-Za-z0-9_-]{22}$/);
      assert.match(first.text, /^请于 09:10 前完成自拍签到 \/ Please check in with a selfie by 09:10: https:/);
      assert.equal(verifyCheckinToken(SECRET, first.url.split('/').pop()!, at(9, 1)).requestId, first.requestId);
      // The next tick sends the failed one and issues nothing new; a restarted scheduler does not ask twice either.
      assert.deepEqual(await scheduler.tick(at(9, 1)), { issued: 0, sent: 1, missed: 0 });
      assert.equal(sent[1]!.subject, 's-2');
      const again = scheduleCheckins({ pool: db.pool, tokenSecret: SECRET, baseUrl: 'https://vigil.test', timezone: 'UTC', tickMs: 0, dueMs: 10 * 60_000, plans: () => [{ subject: 's-1', times: ['09:00'] }], send: async (l) => void sent.push(l) });
      assert.deepEqual(await again.tick(at(9, 2)), { issued: 0, sent: 0, missed: 0 });
      // s-1 answers (a check-in row inside the window, as the endpoint records it); s-2 does not.
      await db.pool.query(`UPDATE checkin_requests SET used_at = to_timestamp($2 / 1000.0), result = 'pass' WHERE id = $1`, [first.requestId, at(9, 5)]);
      await db.pool.query(
        `INSERT INTO checkins (time, msg_id, subject_id, device_id, site_id, result, review_state) VALUES (to_timestamp($1 / 1000.0), gen_random_uuid(), 's-1', 'checkin-web', 'office-b', 'pass', 'none')`,
        [at(9, 5)],
      );
      assert.equal((await scheduler.tick(at(9, 14, 59))).missed, 0, 'still inside the grace');
      assert.equal((await scheduler.tick(at(9, 15))).missed, 1);
      const { rows } = await db.pool.query<{ rule: string; subject_id: string; site_id: string; device_id: string; severity: string; title_zh: string }>(
        `SELECT rule, subject_id, site_id, device_id, severity, title_zh FROM alerts WHERE rule = 'checkin.missed'`,
      );
      assert.deepEqual(rows, [{ rule: 'checkin.missed', subject_id: 's-2', site_id: 'office-b', device_id: 'checkin-web', severity: 'high', title_zh: '未按时报到' }]);
      assert.equal((await scheduler.tick(at(9, 30))).missed, 0, 'raised once');
      // An officer's request now.
      const now = await scheduler.issueNow('s-1', at(10));
      assert.equal(now?.link.kind, 'manual');
      assert.equal(now?.sent, true);
      assert.equal(sent.at(-1)?.requestId, now?.link.requestId);
      assert.equal(await scheduler.issueNow('nobody', at(10)), undefined);
    } finally {
      scheduler.stop();
    }
  });

  test('officers see the requests of their own subjects with the challenge outcome, and can ask one of them now', async () => {
    const officer = await addUser(db.pool, { id: 'off-1', role: 'officer', orgUnit: 'moj' });
    await db.pool.query(`UPDATE subjects SET officer_id = 'off-1' WHERE id = 's-1'`);
    const sent: CheckinLink[] = [];
    const scheduler = scheduleCheckins({ pool: db.pool, tokenSecret: SECRET, baseUrl: 'https://vigil.test', tickMs: 0, plans: () => [], send: async (l) => void sent.push(l) });
    const app = await buildApp({ pool: db.pool, alertFeed: createAlertHub(), logger: testLogger });
    // As app.ts would register it (with the app's own context).
    await app.register(checkinRequestRoutes, { ctx: makeContext(db.pool, createScopeCache(db.pool, 0), DEFAULT_SECURITY), scheduler });
    try {
      const cookie = await login(app, officer);
      const ask = await app.inject({ method: 'POST', url: '/api/subjects/s-1/checkin-requests', headers: { cookie } });
      assert.equal(ask.statusCode, 201, ask.body);
      const issued = ask.json<{ id: string; sent: boolean }>();
      assert.equal(issued.sent, true);
      assert.equal(sent.at(-1)?.requestId, issued.id);
      assert.equal((await app.inject({ method: 'POST', url: '/api/subjects/s-2/checkin-requests', headers: { cookie } })).statusCode, 404, 'not their subject');
      const list = (await app.inject({ url: '/api/checkin-requests', headers: { cookie } })).json<{ requests: Array<{ id: string; subject: string; kind: string; result: string | null }> }>();
      assert.ok(list.requests.length >= 2);
      assert.ok(list.requests.every((r) => r.subject === 's-1'), 'only their subject');
      assert.equal(list.requests[0]!.id, issued.id);
      assert.equal(list.requests.find((r) => r.kind === 'scheduled')?.result, 'pass');
      assert.equal((await app.inject({ url: '/api/checkin-requests' })).statusCode, 401);

      // The officer sets when s-1 is asked; the scheduler reads it on its next tick.
      const plan = { times: ['07:30'], random: { perDay: 2, start: '08:00', end: '20:00', days: [1, 2, 3, 4, 5] }, timezone: 'UTC' };
      const put = await app.inject({ method: 'PUT', url: '/api/subjects/s-1/checkin-plan', headers: { cookie }, payload: plan });
      assert.equal(put.statusCode, 200, put.body);
      assert.deepEqual((await app.inject({ url: '/api/subjects/s-1/checkin-plan', headers: { cookie } })).json(), { subject: 's-1', plan });
      const badZone = await app.inject({ method: 'PUT', url: '/api/subjects/s-1/checkin-plan', headers: { cookie }, payload: { timezone: 'Mars/Olympus' } });
      assert.equal(badZone.json<{ field: string }>().field, 'timezone');
      const badTime = await app.inject({ method: 'PUT', url: '/api/subjects/s-1/checkin-plan', headers: { cookie }, payload: { times: ['25:00'] } });
      assert.equal(badTime.statusCode, 400);
      assert.equal((await app.inject({ method: 'PUT', url: '/api/subjects/s-2/checkin-plan', headers: { cookie }, payload: plan })).statusCode, 404);
      assert.deepEqual(await loadCheckinPlans(db.pool), [{ ...plan, subject: 's-1' }]);
      const fromDb = scheduleCheckins({ pool: db.pool, tokenSecret: SECRET, baseUrl: 'https://vigil.test', tickMs: 0, plans: () => loadCheckinPlans(db.pool), send: async (l) => void sent.push(l) });
      const day2 = DAY + 86_400_000;
      await fromDb.tick(day2 + 7 * 3_600_000);
      assert.equal((await fromDb.tick(day2 + 7.5 * 3_600_000 + 1000)).issued, 1, 'the 07:30 request');
      const random = plannedSlots({ ...plan, subject: 's-1' }, day2 + 8 * 3_600_000, day2 + 20 * 3_600_000, 'UTC', SECRET);
      assert.equal(random.length, 2);
      for (const r of random) assert.equal((await fromDb.tick(r.atMs + 1000)).issued, 1, `the random one at ${new Date(r.atMs).toISOString()}`);
      assert.equal((await app.inject({ method: 'DELETE', url: '/api/subjects/s-1/checkin-plan', headers: { cookie } })).statusCode, 204);
      assert.deepEqual(await loadCheckinPlans(db.pool), []);
    } finally {
      scheduler.stop();
      await app.close();
    }
  });
});
