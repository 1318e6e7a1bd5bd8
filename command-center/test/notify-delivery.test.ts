import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { connectAsync } from 'mqtt';
import { hashSecret, serviceAccounts, startBroker, type RunningBroker } from '@vigil/broker';
import { check, CommandRequest, type Alert } from '@vigil/schemas';
import { createEmailChannel, createInAppChannel, createMqttChannel, createWebhookChannel } from '../src/notifications/index.js';
import { testLogger } from './helpers.js';
import { db, emailCh, notifierWith, OFFICER_PHONE, OP_PHONE, pool, raise, routesApp, rowsFor, setPolicies, smsc, smsCh, smtp, useNotifyFixture } from './notify-fixture.js';
import { startSilentServer, startWebhookServer, waitFor } from './notify-servers.js';

// Delivery: replies and deep links, storm control at the phone, retries and dead letters, a runner killed mid-send, MQTT to a tag.
// The storm test counts the SMS a phone receives: it must not follow a test that leaves SMS pending (quiet hours, in notify-routing.test.ts).
useNotifyFixture();

describe('notifications end to end: delivery and answers (embedded DB, real SMTP, SMPP, HTTP and MQTT servers)', () => {
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
