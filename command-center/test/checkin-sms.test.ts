import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Pool } from 'pg';
import { startCommandCenter, type CommandCenter } from '../src/index.js';
import { readNotifyConfig } from '../src/notifications/index.js';
import { addUser, loginHttp, seedBasicTree, type TestUser } from './auth-helpers.js';
import { startTestBroker, startTestDb, testLogger } from './helpers.js';
import { startSmsc, waitFor } from './notify-servers.js';

// Remote check-in as `main.ts` runs it: the officer records the subject's mobile
// number, asks for a check-in, and the link reaches that number by SMS through a
// real SMPP server; the link opens the check-in; the plan's scheduler runs.
describe('remote check-in links by SMS in the running command centre', () => {
  let db: { pool: Pool; close(): Promise<void> };
  let broker: { url: string; close(): Promise<void> };
  let smsc: Awaited<ReturnType<typeof startSmsc>>;
  let center: CommandCenter;
  let officer: TestUser;
  let otherOfficer: TestUser;
  let base: string;

  before(async () => {
    db = await startTestDb();
    broker = await startTestBroker();
    smsc = await startSmsc({ systemId: 'vigil', password: 'smpp-pw' });
    await seedBasicTree(db.pool);
    officer = await addUser(db.pool, { id: 'officer-1', role: 'officer', orgUnit: 'moj' });
    otherOfficer = await addUser(db.pool, { id: 'officer-2', role: 'officer', orgUnit: 'moj' });
    await db.pool.query(
      `INSERT INTO subjects (id, site_id, ref, display_name, officer_id) VALUES ('c-0001', 'office-b', 'R1', 'Subject 1', 'officer-1'), ('c-0002', 'office-b', 'R2', 'Subject 2', 'officer-2')`,
    );
    const notify = readNotifyConfig({
      VIGIL_NOTIFY_LINK_SECRET: 'a-link-secret-of-at-least-32-characters!',
      VIGIL_NOTIFY_LINK_BASE: 'https://vigil.office-b.example',
      VIGIL_SMPP_URL: `smpp://127.0.0.1:${smsc.port}`,
      VIGIL_SMPP_SYSTEM_ID: 'vigil',
      VIGIL_SMPP_PASSWORD: 'smpp-pw',
      VIGIL_SMPP_SOURCE: '10690001',
    });
    center = await startCommandCenter({ port: 0, host: '127.0.0.1', pool: db.pool, mqttUrl: broker.url, publicDir: '/nonexistent', logger: testLogger, notify });
    base = `http://127.0.0.1:${center.port}`;
  });

  after(async () => {
    await center?.close();
    await smsc?.close();
    await broker?.close();
    await db?.close();
  });

  const call = (cookie: string, method: string, path: string, body?: unknown) =>
    fetch(`${base}${path}`, { method, headers: { cookie, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });

  test('the officer records the number; a bad one is a 400 naming phone; another officer\'s subject is a 404', async () => {
    const cookie = await loginHttp(base, officer);
    assert.deepEqual(await (await call(cookie, 'GET', '/api/subjects/c-0001/contact')).json(), { subject: 'c-0001', phone: null });
    const bad = await call(cookie, 'PUT', '/api/subjects/c-0001/contact', { phone: '138-0013' });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(await bad.json()), /phone/);
    const ok = await call(cookie, 'PUT', '/api/subjects/c-0001/contact', { phone: '+8613800138001' });
    assert.equal(ok.status, 200);
    assert.deepEqual(await (await call(cookie, 'GET', '/api/subjects/c-0001/contact')).json(), { subject: 'c-0001', phone: '+8613800138001' });
    assert.equal((await call(cookie, 'GET', '/api/subjects/c-0002/contact')).status, 404, 'not their subject');
    assert.equal((await call(cookie, 'PUT', '/api/subjects/c-0002/contact', { phone: '+8613800138002' })).status, 404);
    const { rows } = await db.pool.query<{ action: string; outcome: string; detail: unknown }>(
      `SELECT action, outcome, detail FROM audit_log WHERE actor = 'officer-1' AND action LIKE 'subjects.contact.%' ORDER BY seq`,
    );
    assert.deepEqual(rows.map((r) => `${r.action}:${r.outcome}`), [
      'subjects.contact.read:ok', 'subjects.contact.update:ok', 'subjects.contact.read:ok', 'subjects.contact.read:denied', 'subjects.contact.update:denied',
    ]);
    assert.ok(!JSON.stringify(rows).includes('13800138001'), 'the number itself is not in the audit trail');
  });

  test('a check-in asked now reaches the subject\'s phone by SMS, and its link opens the check-in', async () => {
    const cookie = await loginHttp(base, officer);
    const res = await call(cookie, 'POST', '/api/subjects/c-0001/checkin-requests');
    assert.equal(res.status, 201);
    const issued = (await res.json()) as { id: string; sent: boolean };
    assert.equal(issued.sent, true);
    await waitFor(() => smsc.sms.some((m) => m.to === '+8613800138001'), 10_000, 'the SMS to the subject');
    const sms = smsc.sms.find((m) => m.to === '+8613800138001')!;
    assert.equal(sms.from, '10690001');
    assert.match(sms.text, /请于 \d\d:\d\d 前完成自拍签到 \/ Please check in with a selfie by \d\d:\d\d: https:\/\/vigil\.office-b\.example\/checkin\//);
    const token = /\/checkin\/([A-Za-z0-9_.-]+)/.exec(sms.text)![1]!;
    const page = await fetch(`${base}/api/checkin/${token}`);
    assert.equal(page.status, 200);
    const { rows } = await db.pool.query<{ id: string; sent: boolean }>('SELECT id, sent_at IS NOT NULL AS sent FROM checkin_requests WHERE subject_id = $1', ['c-0001']);
    assert.deepEqual(rows, [{ id: issued.id, sent: true }]);
  });

  test('without a number on record the request is kept unsent, and the officer is told so', async () => {
    const cookie = await loginHttp(base, otherOfficer);
    const before = smsc.sms.length;
    const res = await call(cookie, 'POST', '/api/subjects/c-0002/checkin-requests');
    assert.equal(res.status, 201);
    assert.equal(((await res.json()) as { sent: boolean }).sent, false);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(smsc.sms.length, before, 'no SMS went anywhere');
    const { rows } = await db.pool.query<{ sent: boolean; attempts: number }>('SELECT sent_at IS NOT NULL AS sent, send_attempts AS attempts FROM checkin_requests WHERE subject_id = $1', ['c-0002']);
    assert.deepEqual(rows, [{ sent: false, attempts: 1 }], 'kept, to be sent on a later tick once a number is recorded');
    assert.ok(center.checkinScheduler, 'the scheduler runs when an SMS channel is configured');
  });
});
