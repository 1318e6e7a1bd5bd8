import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { escalateOverdue } from '@vigil/analytics';
import { createInAppChannel } from '../src/notifications/index.js';
import { createAlertHub } from '../src/alert-feed.js';
import { emailCh, notifierWith, OFFICER_PHONE, OP_PHONE, pool, raise, routesApp, rowsFor, setPolicies, smsc, smsCh, smtp, useNotifyFixture } from './notify-fixture.js';
import { waitFor } from './notify-servers.js';

// Routing: policies and recipients, quiet hours and schedules, escalation steps, the live feed.
useNotifyFixture();

describe('notifications end to end: who is told, and when (embedded DB, real SMTP and SMPP servers)', () => {
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
});
