import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { fastify, type FastifyInstance } from 'fastify';
import { connectAsync } from 'mqtt';
import type { Pool } from 'pg';
import { escalateOverdue } from '@vigil/analytics';
import { hashSecret, serviceAccounts, startBroker, type RunningBroker } from '@vigil/broker';
import { createPool, migrate, startEmbeddedDatabase, type EmbeddedDatabase } from '@vigil/ingest';
import { check, CommandRequest, type Alert } from '@vigil/schemas';
import {
  createEmailChannel,
  createInAppChannel,
  createMqttChannel,
  createNotifier,
  createSmppChannel,
  createWebhookChannel,
  notificationRoutes,
  type Channel,
  type Notifier,
  type NotifierOptions,
  type NotifyViewer,
} from '../src/notifications/index.js';
import { createAlertHub } from '../src/alert-feed.js';
import { insertAlert, sampleAlert, testLogger } from './helpers.js';
import { startSilentServer, startSmsc, startSmtpServer, startWebhookServer, waitFor } from './notify-servers.js';

let db: EmbeddedDatabase;
let pool: Pool;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let smsc: Awaited<ReturnType<typeof startSmsc>>;
const secret = randomBytes(32);
const OFFICER_PHONE = '8613800000001';
const OP_PHONE = '8613900000002';

async function seed(): Promise<void> {
  await pool.query(`INSERT INTO org_units (id, parent_id, level, name_en, name_zh) VALUES
    ('moj', NULL, 1, 'Ministry', '司法部'), ('prov', 'moj', 2, 'Province', '省'), ('city', 'prov', 3, 'City', '市'),
    ('county', 'city', 4, 'County', '县'), ('county-b', 'city', 4, 'County B', '乙县')`);
  await pool.query(`INSERT INTO sites (id, org_unit_id, kind, name_en, name_zh) VALUES
    ('prison-a', 'county', 'prison', 'Prison A', '甲监狱'), ('office-b', 'county-b', 'community', 'Office B', '乙社区矫正办')`);
  const users: [string, string, string][] = [
    ['admin', 'administrator', 'city'],
    ['admin-b', 'administrator', 'county-b'],
    ['sup-county', 'supervisor', 'county'],
    ['sup-city', 'supervisor', 'city'],
    ['officer1', 'officer', 'county'],
    ['op1', 'operator', 'county'],
    ['duty1', 'operator', 'county-b'],
  ];
  for (const [id, role, unit] of users) {
    await pool.query(`INSERT INTO users (id, username, display_name, role, org_unit_id, password_hash) VALUES ($1, $1, $1, $2, $3, 'x')`, [id, role, unit]);
  }
  await pool.query(`INSERT INTO notification_contacts (user_id, lang, email, phone, time_zone) VALUES
    ('officer1', 'zh-CN', 'officer1@example.org', '+${OFFICER_PHONE}', 'Asia/Shanghai'),
    ('op1', 'en', 'op1@example.org', '${OP_PHONE}', 'Europe/London'),
    ('sup-county', 'en', 'sup-county@example.org', NULL, 'Asia/Shanghai'),
    ('sup-city', 'zh-CN', 'sup-city@example.org', NULL, 'Asia/Shanghai')`);
  await pool.query(`INSERT INTO subjects (id, site_id, ref, display_name, officer_id) VALUES ('p-1', 'prison-a', 'R1', 'Subject 1', 'officer1')`);
  await pool.query(`INSERT INTO on_duty_roster (site_id, user_id, starts_at, ends_at) VALUES ('prison-a', 'duty1', now() - interval '1 hour', now() + interval '1 hour')`);
}

async function setPolicies(...ps: Record<string, unknown>[]): Promise<void> {
  await pool.query('DELETE FROM notification_policies');
  for (const p of ps) {
    await pool.query(
      `INSERT INTO notification_policies (id, name_en, name_zh, org_unit_id, site_id, rules, min_severity, subject_id, recipients, channels, schedule, escalation)
       VALUES ($1, $1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [p.id, p.org ?? null, p.site ?? null, p.rules ?? null, p.min ?? 'low', p.subject ?? null, JSON.stringify(p.recipients), p.channels, p.schedule ? JSON.stringify(p.schedule) : null, JSON.stringify(p.escalation ?? [])],
    );
  }
}

/** A raised alert stored as analytics would store it. */
async function raise(over: Partial<Alert> = {}): Promise<Alert> {
  const a = sampleAlert({ subject: 'p-1', dev: 'tag-1', ...over });
  await insertAlert(pool, a);
  return { ...a, acked: false, active: true };
}

async function rowsFor(alertId: string) {
  const { rows } = await pool.query<{ channel: string; address: string; user_id: string | null; state: string; kind: string; attempts: number; last_error: string | null; step: number }>(
    `SELECT n.channel, n.address, n.user_id, n.state, n.kind, n.attempts, n.last_error, n.step FROM notifications n
      JOIN notification_alerts l ON l.notification_id = n.id WHERE l.alert_id = $1 ORDER BY n.channel, n.address`,
    [alertId],
  );
  return rows;
}

function notifierWith(channels: Channel[], over: Partial<NotifierOptions> = {}): Notifier {
  return createNotifier({
    pool,
    channels,
    links: { baseUrl: 'https://vigil.example', secret },
    pollMs: 50,
    policyCacheMs: 0,
    sweepMs: 0,
    retry: { baseMs: 100, maxMs: 1000, maxAttempts: 4 },
    // Storm control off unless a test is about it (many alerts of one kind go to one person here).
    storm: { groupWindowMs: 0, maxPerMinute: 10_000 },
    logger: testLogger,
    ...over,
  });
}

/** The notification routes behind a stand-in for the app's session: `x-user` names the signed-in user. */
async function routesApp(inApp?: ReturnType<typeof createInAppChannel>): Promise<FastifyInstance> {
  const app = fastify();
  const viewer = async (req: { headers: Record<string, unknown> }): Promise<NotifyViewer | null> => {
    const id = req.headers['x-user'];
    if (typeof id !== 'string') return null;
    const { rows } = await pool.query<{ role: string; sites: string[] }>(
      `WITH RECURSIVE sub AS (SELECT id FROM org_units WHERE id = (SELECT org_unit_id FROM users WHERE id = $1)
                              UNION ALL SELECT o.id FROM org_units o JOIN sub ON o.parent_id = sub.id)
       SELECT (SELECT role FROM users WHERE id = $1) AS role, ARRAY(SELECT s.id FROM sites s WHERE s.org_unit_id IN (SELECT id FROM sub)) AS sites`,
      [id],
    );
    return rows[0]?.role ? { userId: id, role: rows[0].role, sites: new Set(rows[0].sites) } : null;
  };
  await app.register(notificationRoutes, { pool, viewer, linkSecret: secret, ...(inApp ? { inApp } : {}) });
  return app;
}

before(async () => {
  db = await startEmbeddedDatabase({ port: 0 });
  pool = createPool(db.url);
  await migrate(pool);
  await seed();
  smtp = await startSmtpServer();
  smsc = await startSmsc({ systemId: 'vigil', password: 'pw' });
});
after(async () => {
  await smsc.close();
  await smtp.close();
  await pool.end();
  await db.close();
});

const emailCh = () => createEmailChannel({ host: '127.0.0.1', port: smtp.port, ignoreTls: true, from: 'vigil@example.org' });
const smsCh = () => createSmppChannel({ url: `smpp://127.0.0.1:${smsc.port}`, systemId: 'vigil', password: 'pw', sourceAddr: '10690001', reconnectMs: 100 });

describe('notifications end to end (embedded DB, real SMTP, SMPP, HTTP and MQTT servers)', () => {
  test('routing: site, rule, severity and subject pick the policy; officer, roster and role on each channel; who was notified is visible to an administrator', async () => {
    await setPolicies(
      { id: 'zones', site: 'prison-a', rules: ['zone.*'], min: 'high', recipients: [{ kind: 'officer' }, { kind: 'on_duty' }, { kind: 'role', role: 'operator' }], channels: ['email', 'sms', 'in-app'] },
      { id: 'city-critical', org: 'city', min: 'critical', recipients: [{ kind: 'role', role: 'supervisor', up: 1 }], channels: ['email'] },
    );
    const inApp = createInAppChannel();
    const sms = smsCh();
    const n = notifierWith([emailCh(), sms, inApp]);
    const app = await routesApp(inApp);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const feed = await fetch(`${base}/api/notify/feed`, { headers: { 'x-user': 'officer1' } });
    const reader = feed.body!.getReader();
    let sse = '';
    const readSse = (async () => {
      for (;;) {
        const c = await reader.read();
        if (c.done) return;
        sse += Buffer.from(c.value).toString('utf8');
      }
    })();
    try {
      await sms.whenBound();
      n.start();
      const a = await raise({ severity: 'high', rule: 'zone.exclusion' });
      const t0 = Date.now();
      await n.route(a);
      // In-app is delivered where the user has a page open (officer1), otherwise sent and listed when they open one.
      const settled = (r: { channel: string; user_id: string | null; state: string }) => r.state === (r.channel === 'in-app' && r.user_id !== 'officer1' ? 'sent' : 'delivered');
      await waitFor(async () => (await rowsFor(a.id)).every(settled), 10_000, 'all delivered').catch(async (e: Error) => {
        throw new Error(`${e.message}: ${JSON.stringify(await rowsFor(a.id))}`);
      });
      const rows = await rowsFor(a.id);
      assert.deepEqual(
        rows.map((r) => `${r.channel} ${r.user_id}`),
        ['email officer1', 'email op1', 'in-app duty1', 'in-app officer1', 'in-app op1', 'sms officer1', 'sms op1'],
      );
      const officerMail = smtp.mails.find((m) => (m.to as { text: string }).text === 'officer1@example.org')!;
      assert.match(officerMail.subject!, /^【Vigil】高：进入禁区/);
      const opMail = smtp.mails.find((m) => (m.to as { text: string }).text === 'op1@example.org')!;
      assert.match(opMail.subject!, /^\[Vigil\] HIGH: Exclusion zone entered/);
      const officerSms = smsc.sms.find((s) => s.to === OFFICER_PHONE)!;
      assert.equal(officerSms.dataCoding, 8); // Chinese: UCS-2
      assert.match(officerSms.text, /回复\d{4}确认。 https:\/\/vigil\.example\/m\/[\w-]{27}\.[\w-]{22}$/);
      assert.equal(smsc.sms.find((s) => s.to === OP_PHONE)!.dataCoding, 0); // English: GSM 7-bit
      assert.ok(Date.now() - t0 < 5000);
      await waitFor(() => sse.includes('event: notification'), 5000, 'SSE event');
      assert.match(sse, /"subject":"【Vigil】高：进入禁区/);

      // Not matching: medium severity; another site; a critical one reaches the city's supervisors too.
      const medium = await raise({ severity: 'medium' });
      await n.route(medium);
      assert.equal((await rowsFor(medium.id)).length, 0);
      const elsewhere = await raise({ site: 'office-b', subject: 'p-9' });
      await n.route(elsewhere);
      assert.equal((await rowsFor(elsewhere.id)).length, 0);
      const crit = await raise({ severity: 'critical', rule: 'tag.tamper' });
      await n.route(crit);
      assert.deepEqual((await rowsFor(crit.id)).map((r) => r.user_id), ['sup-city']);

      // The administrator's view: who, when, which channel, delivered, read.
      const view = await app.inject({ method: 'GET', url: `/api/alerts/${a.id}/notifications`, headers: { 'x-user': 'admin' } });
      assert.equal(view.statusCode, 200);
      const list = view.json<{ notifications: { channel: string; user_id: string; state: string; sent_ts: number; delivered_ts: number }[] }>().notifications;
      assert.equal(list.length, 7);
      assert.ok(list.every((x) => x.sent_ts >= a.raised_ts && (x.state === 'sent' || x.delivered_ts >= x.sent_ts)), JSON.stringify({ raised: a.raised_ts, list }));
      assert.equal(list.filter((x) => x.state === 'delivered').length, 5);
      assert.equal((await app.inject({ method: 'GET', url: `/api/alerts/${a.id}/notifications`, headers: { 'x-user': 'op1' } })).statusCode, 403);
      assert.equal((await app.inject({ method: 'GET', url: `/api/alerts/${a.id}/notifications`, headers: { 'x-user': 'admin-b' } })).statusCode, 404);
      assert.equal((await app.inject({ method: 'GET', url: `/api/alerts/${a.id}/notifications` })).statusCode, 401);
    } finally {
      await reader.cancel();
      await readSse.catch(() => undefined);
      await n.stop();
      await app.close();
      await sms.close();
    }
  });

  test('quiet hours hold e-mail and SMS below the bypass severity; the schedule limits when a policy applies', async () => {
    // op1's quiet hours: now (London time) ± 1 h; critical still gets through.
    const london = Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: 'numeric', hourCycle: 'h23' }).format(Date.now())) * 60;
    await pool.query(`UPDATE notification_contacts SET quiet_start_min = $1, quiet_end_min = $2 WHERE user_id = 'op1'`, [(london + 1440 - 60) % 1440, (london + 120) % 1440]);
    const closedNow = { tz: 'Asia/Shanghai', windows: [{ days: [0, 1, 2, 3, 4, 5, 6], start: '00:00', end: '00:00' }] };
    await setPolicies(
      { id: 'ops', site: 'prison-a', recipients: [{ kind: 'user', id: 'op1' }], channels: ['sms', 'in-app'] },
      { id: 'never', site: 'prison-a', recipients: [{ kind: 'user', id: 'sup-county' }], channels: ['email'], schedule: closedNow },
    );
    const sms = smsCh();
    // With e-mail available: the 'never' policy's schedule is what keeps sup-county's mail out.
    const n2 = notifierWith([sms, createInAppChannel(), emailCh()]);
    try {
      await sms.whenBound();
      const a = await raise({ severity: 'high' });
      await n2.route(a);
      const rows = await rowsFor(a.id);
      assert.deepEqual(rows.map((r) => `${r.channel} ${r.state}`), ['in-app pending', 'sms suppressed']);
      assert.match(rows[1]!.last_error!, /quiet hours/);
      const c = await raise({ severity: 'critical', rule: 'panic.press' });
      await n2.route(c);
      assert.deepEqual((await rowsFor(c.id)).map((r) => `${r.channel} ${r.state}`), ['in-app pending', 'sms pending']);
    } finally {
      await pool.query(`UPDATE notification_contacts SET quiet_start_min = NULL, quiet_end_min = NULL WHERE user_id = 'op1'`);
      await n2.stop();
    }
  });

  test('answering: an SMS reply with the short code acknowledges; the deep link opens the alert for its user only, and accepting dispatches it to them', async () => {
    await setPolicies({ id: 'officer', site: 'prison-a', recipients: [{ kind: 'officer' }], channels: ['sms', 'email'] });
    const sms = smsCh();
    const n = notifierWith([sms, emailCh()]);
    const app = await routesApp();
    try {
      await sms.whenBound();
      n.start();
      const a = await raise();
      await n.route(a);
      await waitFor(() => smsc.sms.some((s) => s.text.includes(a.title['zh-CN']) && s.receivedAt > a.raised_ts && /回复(\d{4})/.test(s.text)), 5000, 'sms');
      const last = smsc.sms.filter((s) => s.to === OFFICER_PHONE).at(-1)!;
      const code = /回复(\d{4})确认/.exec(last.text)![1]!;
      // A wrong code from the right phone, and the right code from another phone, do nothing.
      await n.handleReply('sms', OFFICER_PHONE, code === '0000' ? '0001' : '0000');
      await n.handleReply('sms', '8610000000000', code);
      assert.equal((await pool.query('SELECT acked FROM alerts WHERE id = $1', [a.id])).rows[0].acked, false);
      await smsc.mo(OFFICER_PHONE, '10690001', `确认 ${code}`);
      await waitFor(async () => (await pool.query('SELECT acked FROM alerts WHERE id = $1', [a.id])).rows[0].acked === true, 5000, 'acked by SMS');
      const { rows } = await pool.query('SELECT acked_by, state FROM alerts WHERE id = $1', [a.id]);
      assert.deepEqual(rows[0], { acked_by: 'officer1', state: 'acknowledged' });

      const b = await raise();
      await n.route(b);
      const mailRow = (await pool.query<{ id: string }>(`SELECT n.id FROM notifications n JOIN notification_alerts l ON l.notification_id = n.id WHERE l.alert_id = $1 AND n.channel = 'email'`, [b.id])).rows[0]!;
      await waitFor(() => smtp.mails.some((m) => m.headers.get('x-vigil-notification') === mailRow.id), 5000, 'mail');
      const mail = smtp.mails.find((m) => m.headers.get('x-vigil-notification') === mailRow.id)!;
      const token = /\/m\/([\w-]{27}\.[\w-]{22})/.exec(mail.text!)![1]!;
      // Not signed in: the page sends them to log in first and back.
      const open = await app.inject({ method: 'GET', url: `/m/${token}` });
      assert.equal(open.statusCode, 302);
      assert.match(open.headers.location!, /next=%2Fm%2F/);
      assert.equal((await app.inject({ method: 'GET', url: `/api/notify/links/${token}`, headers: { 'x-user': 'op1' } })).statusCode, 404);
      const forged = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
      assert.equal((await app.inject({ method: 'GET', url: `/api/notify/links/${forged}`, headers: { 'x-user': 'officer1' } })).statusCode, 400);
      const view = await app.inject({ method: 'GET', url: `/api/notify/links/${token}`, headers: { 'x-user': 'officer1' } });
      assert.equal(view.statusCode, 200);
      const body = view.json<{ alerts: { alert: Alert; actions: string[] }[] }>();
      assert.equal(body.alerts[0]!.alert.id, b.id);
      assert.deepEqual(body.alerts[0]!.actions, ['acknowledge', 'accept']);
      const accept = await app.inject({ method: 'POST', url: `/api/notify/links/${token}/accept`, headers: { 'x-user': 'officer1' } });
      assert.equal(accept.statusCode, 200);
      const st = (await pool.query('SELECT state, officer_id FROM alerts WHERE id = $1', [b.id])).rows[0];
      assert.deepEqual(st, { state: 'dispatched', officer_id: 'officer1' });
      const read = (await pool.query(`SELECT n.read_at FROM notifications n JOIN notification_alerts l ON l.notification_id = n.id WHERE l.alert_id = $1 AND n.channel = 'email'`, [b.id])).rows[0];
      assert.ok(read.read_at instanceof Date);
    } finally {
      await n.stop();
      await sms.close();
      await app.close();
    }
  });

  test('escalation: unacknowledged after T the next person is told, the next org level after the lifecycle escalates; an acknowledged alert stops the chain', async () => {
    await setPolicies({
      id: 'chain',
      site: 'prison-a',
      rules: ['curfew.late'],
      recipients: [{ kind: 'officer' }, { kind: 'escalated_unit' }],
      channels: ['email'],
      escalation: [
        { after_ms: 1000, recipients: [{ kind: 'role', role: 'supervisor' }], channels: ['email'] },
        { after_ms: 60_000, recipients: [{ kind: 'user', id: 'admin' }], channels: ['email'] },
      ],
    });
    const n = notifierWith([emailCh()]);
    try {
      n.start();
      const a = await raise({ rule: 'curfew.late', raised_ts: Date.now() - 1500, last_ts: Date.now() - 1500 });
      const acked = await raise({ rule: 'curfew.late', key: 'other', raised_ts: Date.now() - 1500, last_ts: Date.now() - 1500 });
      await pool.query(`UPDATE alerts SET acked = true, state = 'acknowledged' WHERE id = $1`, [acked.id]);
      await n.route(a);
      assert.deepEqual((await rowsFor(a.id)).map((r) => `${r.step} ${r.user_id}`), ['0 officer1']);
      await n.sweep();
      assert.deepEqual((await rowsFor(a.id)).map((r) => `${r.step} ${r.user_id}`).sort(), ['0 officer1', '1 sup-county']);
      assert.equal((await rowsFor(acked.id)).length, 0);
      // A second sweep adds nothing; step 2 is not due yet.
      await n.sweep();
      assert.equal((await rowsFor(a.id)).length, 2);
      // The alarm lifecycle escalates it to the parent unit (city): the city's supervisor hears.
      const up = (await escalateOverdue(pool, { afterMs: 1000, now: Date.now() })).find((x) => x.id === a.id);
      assert.equal(up?.escalated_to, 'city');
      await n.route(up!);
      assert.deepEqual((await rowsFor(a.id)).map((r) => `${r.step} ${r.user_id}`).sort(), ['0 officer1', '1 sup-county', '101 sup-city']);
      await waitFor(() => smtp.mails.some((m) => (m.to as { text: string }).text === 'sup-city@example.org' && m.receivedAt >= a.raised_ts), 5000, 'city mail');
    } finally {
      await n.stop();
    }
  });

  test('storm: 200 alerts in seconds reach a phone as a few messages (first at once, the rest grouped, then a digest), and every alert is accounted for', async () => {
    await setPolicies({ id: 'storm', site: 'prison-a', recipients: [{ kind: 'user', id: 'op1' }], channels: ['sms'] });
    const sms = smsCh();
    const n = notifierWith([sms], { storm: { groupWindowMs: 2000, maxPerMinute: 4, rateWindowMs: 10_000, closeMarginMs: 100 } });
    const before = smsc.sms.filter((s) => s.to === OP_PHONE).length;
    const ids: string[] = [];
    try {
      await sms.whenBound();
      n.start();
      const t0 = Date.now();
      const rules = ['zone.exclusion', 'tag.tamper', 'battery.low', 'signal.lost', 'zone.inclusion'];
      for (let i = 0; i < 200; i++) {
        const a = await raise({ rule: rules[i % 5]!, severity: 'high', dev: `tag-${i}`, subject: `p-${i}` });
        ids.push(a.id);
        void n.route(a);
      }
      await n.idle();
      const routedMs = Date.now() - t0;
      const { rows } = await pool.query<{ n: number; kinds: string[] }>(
        `SELECT count(DISTINCT n.id)::int AS n, array_agg(DISTINCT n.kind) AS kinds FROM notifications n JOIN notification_alerts l ON l.notification_id = n.id WHERE l.alert_id = ANY($1)`,
        [ids],
      );
      // Nothing lost: every alert is in some message to that phone.
      const linked = await pool.query<{ n: number }>(`SELECT count(DISTINCT alert_id)::int AS n FROM notification_alerts WHERE alert_id = ANY($1) AND address = $2`, [ids, OP_PHONE]);
      assert.equal(linked.rows[0]!.n, 200);
      // At most 4 messages plus a digest per 10 s rate window (routing 200 alerts usually takes one window; a loaded machine may take more).
      const windows = Math.ceil((routedMs + 1) / 10_000);
      assert.ok(rows[0]!.n <= 5 * windows, `messages: ${rows[0]!.n} in ${routedMs} ms`);
      assert.ok(rows[0]!.kinds.includes('digest'), 'a digest');
      await waitFor(async () => (await pool.query(`SELECT count(*)::int AS n FROM notifications n WHERE n.id IN (SELECT notification_id FROM notification_alerts WHERE alert_id = ANY($1)) AND state NOT IN ('sent', 'delivered')`, [ids])).rows[0].n === 0, 30_000, 'all sent');
      const got = smsc.sms.filter((s) => s.to === OP_PHONE).slice(before);
      assert.equal(got.length, rows[0]!.n);
      // What the phone saw: never more than the limit and the digest (and a little send jitter) in any 10 s.
      const times = got.map((x) => x.receivedAt).sort((x, y) => x - y);
      let most = 0;
      for (let i = 0, j = 0; i < times.length; i++) {
        while (times[i]! - times[j]! >= 10_000) j++;
        most = Math.max(most, i - j + 1);
      }
      assert.ok(most <= 6, `most in 10 s: ${most}`);
      assert.ok(got.some((s) => /digest: \d+ alerts/.test(s.text)), got.map((s) => s.text).join('\n'));
    } finally {
      await n.stop();
      await sms.close();
    }
  });

  test('reliability: webhook retried with backoff then delivered; dead-lettered after the last attempt; a hung mail relay does not delay the others', async () => {
    const flaky = await startWebhookServer([500, 502]);
    const broken = await startWebhookServer(new Array(10).fill(500) as number[]);
    const silent = await startSilentServer();
    await setPolicies({ id: 'hooks', site: 'prison-a', recipients: [{ kind: 'webhook', name: 'flaky' }, { kind: 'webhook', name: 'broken' }, { kind: 'officer' }], channels: ['webhook', 'email', 'in-app'] });
    const inApp = createInAppChannel();
    const got: number[] = [];
    inApp.subscribe('officer1', () => got.push(Date.now()));
    const n = notifierWith(
      [createWebhookChannel({ flaky: { url: flaky.url, secret: 'a' }, broken: { url: broken.url, secret: 'b' } }), createEmailChannel({ host: '127.0.0.1', port: silent.port, ignoreTls: true, from: 'v@example.org', timeoutMs: 2000 }), inApp],
      { retry: { baseMs: 200, maxMs: 2000, maxAttempts: 3 }, sendTimeoutMs: 1500 },
    );
    try {
      n.start();
      const a = await raise();
      const t0 = Date.now();
      await n.route(a);
      await waitFor(() => got.length === 1, 5000, 'in-app');
      assert.ok(got[0]! - t0 < 1000, `in-app after ${got[0]! - t0} ms while the mail relay hangs`);
      await waitFor(async () => {
        const rows = await rowsFor(a.id);
        return rows.find((r) => r.address === 'broken')?.state === 'dead' && rows.find((r) => r.address === 'flaky')?.state === 'delivered';
      }, 10_000, 'dead letter and the retried delivery');
      const rows = await rowsFor(a.id);
      const flakyRow = rows.find((r) => r.address === 'flaky')!;
      assert.deepEqual([flakyRow.state, flakyRow.attempts], ['delivered', 3]);
      assert.equal(flaky.requests.length, 3);
      assert.equal(new Set(flaky.requests.map((r) => r.headers['x-vigil-delivery'])).size, 1);
      const gaps = [flaky.requests[1]!.at - flaky.requests[0]!.at, flaky.requests[2]!.at - flaky.requests[1]!.at];
      assert.ok(gaps[0]! >= 140 && gaps[1]! >= 280, `backoff grows: ${gaps.join(', ')}`);
      const brokenRow = rows.find((r) => r.address === 'broken')!;
      assert.equal(brokenRow.attempts, 3);
      assert.match(brokenRow.last_error!, /HTTP 500/);
      assert.equal(broken.requests.length, 3);
      const mail = rows.find((r) => r.channel === 'email')!;
      assert.ok(['retry', 'sending', 'dead'].includes(mail.state), mail.state);
      // The administrator sees the dead letter and why, and can send it again once the far end is fixed.
      const app = await routesApp();
      try {
        const dl = await app.inject({ method: 'GET', url: '/api/notify/dead-letters', headers: { 'x-user': 'admin' } });
        const dead = dl.json<{ dead: { id: string; address: string; last_error: string; alert_ids: string[] }[] }>().dead.find((d) => d.alert_ids.includes(a.id))!;
        assert.deepEqual([dead.address, /HTTP 500/.test(dead.last_error)], ['broken', true]);
        assert.equal((await app.inject({ method: 'GET', url: '/api/notify/dead-letters', headers: { 'x-user': 'op1' } })).statusCode, 403);
        assert.equal((await app.inject({ method: 'POST', url: `/api/notify/dead-letters/${dead.id}/retry`, headers: { 'x-user': 'admin-b' } })).statusCode, 404);
        assert.equal((await app.inject({ method: 'POST', url: `/api/notify/dead-letters/${dead.id}/retry`, headers: { 'x-user': 'admin' } })).statusCode, 202);
        await waitFor(() => broken.requests.length > 3, 5000, 'sent again');
      } finally {
        await app.close();
      }
    } finally {
      await n.stop();
      await flaky.close();
      await broken.close();
      await silent.close();
    }
  });

  test('restart: a runner killed mid-send (kill -9) loses no pending notification; the next one sends each once', async () => {
    await setPolicies({ id: 'gov', site: 'prison-a', recipients: [{ kind: 'webhook', name: 'gov' }], channels: ['webhook'] });
    const silent = await startSilentServer();
    const alerts = [await raise(), await raise(), await raise(), await raise()];
    const child = spawn(process.execPath, ['--import', 'tsx', 'command-center/test/notify-child.ts', db.url, `http://127.0.0.1:${silent.port}/hook`, JSON.stringify(alerts)], {
      cwd: new URL('../../', import.meta.url).pathname,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      await waitFor(() => out.includes('claimed'), 60_000, 'child claimed a row');
      child.kill('SIGKILL');
      await once(child, 'exit');
      const states = (await pool.query<{ state: string }>(`SELECT state FROM notifications WHERE address = 'gov' ORDER BY state`)).rows.map((r) => r.state);
      assert.deepEqual(states, ['pending', 'pending', 'pending', 'sending']);
      const hook = await startWebhookServer();
      const n = notifierWith([createWebhookChannel({ gov: { url: hook.url, secret: 'k' } })], { leaseMs: 1500 });
      try {
        n.start();
        // The routing is not repeated either: the sweep finds every alert already routed.
        await n.sweep();
        const ours = new Set(alerts.map((a) => a.id));
        const told = () => hook.requests.map((r) => (JSON.parse(r.body) as { alerts: { id: string }[] }).alerts[0]!.id).filter((id) => ours.has(id));
        await waitFor(() => told().length >= 4, 10_000, 'all four sent');
        await new Promise((r) => setTimeout(r, 300));
        assert.deepEqual(told().sort(), [...ours].sort());
      } finally {
        await n.stop();
        await hook.close();
      }
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await silent.close();
    }
  });

  test('the live feed: an alert emitted on the command centre hub is routed without anyone calling route()', async () => {
    await setPolicies({ id: 'feed', site: 'prison-a', recipients: [{ kind: 'officer' }], channels: ['in-app'] });
    const hub = createAlertHub();
    const inApp = createInAppChannel();
    const got: string[] = [];
    inApp.subscribe('officer1', (e) => got.push(...e.alerts.map((x) => x.id)));
    const n = notifierWith([inApp], { source: hub });
    try {
      n.start();
      const a = await raise();
      hub.emit(a);
      await waitFor(() => got.includes(a.id), 5000, 'in-app from the feed');
      // An acknowledged alert on the feed is not notified.
      const b = await raise({ acked: true, state: 'acknowledged' });
      hub.emit(b);
      await n.idle();
      assert.equal((await rowsFor(b.id)).length, 0);
    } finally {
      await n.stop();
      await hub.close();
    }
  });

  test('MQTT to the subject tag: a notify command on its cmd topic through @vigil/broker, delivered when the tag answers', async () => {
    const tagSecret = 'tag-secret-1';
    await pool.query(`INSERT INTO devices (id, site_id, kind, subject_id, secret_hash) VALUES ('tag-1', 'prison-a', 'tag', 'p-1', $1)`, [await hashSecret(tagSecret)]);
    const broker: RunningBroker = await startBroker({ port: 0, host: '127.0.0.1', pool, services: serviceAccounts({ commandCenter: 'cc-secret' }), revocationPollMs: 0, logger: testLogger });
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const tag = await connectAsync(url, { protocolVersion: 4, clientId: 'tag-1', username: 'tag-1', password: tagSecret, reconnectPeriod: 0 });
    const got: CommandRequest[] = [];
    tag.on('message', (topic, payload) => {
      if (topic.endsWith('/res')) return;
      const req = JSON.parse(payload.toString()) as CommandRequest;
      got.push(req);
      void tag.publishAsync(`${topic}/res`, JSON.stringify({ id: req.id, name: 'notify', status: 'ok', ts: Date.now() }), { qos: 1 });
    });
    await tag.subscribeAsync('vigil/v1/prison-a/tag-1/cmd/#', { qos: 1 });
    await setPolicies({ id: 'home', site: 'prison-a', rules: ['curfew.*'], recipients: [{ kind: 'device', message: { en: 'Return home now', 'zh-CN': '请立即回家' } }], channels: ['mqtt'] });
    const mqttCh = createMqttChannel({ url, username: 'svc-command-center', password: 'cc-secret' });
    const n = notifierWith([mqttCh]);
    try {
      n.start();
      const a = await raise({ rule: 'curfew.absent', dev: 'tag-1' });
      await n.route(a);
      await waitFor(() => got.length === 1, 5000, 'command at the tag');
      assert.equal(check(CommandRequest, got[0]).ok, true);
      assert.equal(got[0]!.name, 'notify');
      assert.equal(got[0]!.args?.message, '请立即回家');
      assert.equal(got[0]!.args?.vibrate, true);
      assert.deepEqual(got[0]!.args?.alerts, [a.id]);
      await waitFor(async () => (await rowsFor(a.id))[0]?.state === 'delivered', 5000, 'delivered by the tag result');
      assert.equal((await rowsFor(a.id))[0]!.address, 'prison-a/tag-1');
      } finally {
      await n.stop();
      await mqttCh.close();
      await tag.endAsync();
      await broker.close();
    }
  });
});
