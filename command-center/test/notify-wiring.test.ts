import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import type { Pool } from 'pg';
import { alertsTopic, type Alert } from '@vigil/schemas';
import { startCommandCenter, type CommandCenter } from '../src/index.js';
import { readNotifyConfig, type NotificationRecord } from '../src/notifications/index.js';
import { addUser, loginHttp, seedBasicTree, type TestUser } from './auth-helpers.js';
import { connectPublisher, insertAlert, sampleAlert, sseReader, startTestBroker, startTestDb, testLogger } from './helpers.js';
import { startSmtpServer, waitFor } from './notify-servers.js';

// The command centre as `main.ts` starts it, with notifications configured from
// the environment: an alert published on the broker reaches the assigned
// officer by e-mail (a real SMTP server) and in the app, and the link in the
// mail opens it and acknowledges it.
describe('notifications in the running command centre', () => {
  let db: { pool: Pool; close(): Promise<void> };
  let broker: { url: string; close(): Promise<void> };
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let center: CommandCenter;
  let publisher: MqttClient;
  let officer: TestUser;
  let supervisor: TestUser;
  let operator: TestUser;
  let base: string;

  before(async () => {
    db = await startTestDb();
    broker = await startTestBroker();
    smtp = await startSmtpServer();
    await seedBasicTree(db.pool);
    officer = await addUser(db.pool, { id: 'officer-1', role: 'officer', orgUnit: 'moj' });
    supervisor = await addUser(db.pool, { id: 'sup-1', role: 'supervisor', orgUnit: 'moj' });
    operator = await addUser(db.pool, { id: 'op-1', role: 'operator', orgUnit: 'moj' });
    await db.pool.query(`INSERT INTO notification_contacts (user_id, lang, email, time_zone) VALUES ('officer-1', 'en', 'officer-1@example.org', 'UTC')`);
    await db.pool.query(`INSERT INTO subjects (id, site_id, ref, display_name, officer_id) VALUES ('p-0001', 'prison-a', 'R1', 'Subject 1', 'officer-1')`);
    await db.pool.query(
      `INSERT INTO notification_policies (id, name_en, name_zh, site_id, min_severity, recipients, channels, escalation)
       VALUES ('officer-breach', 'Breaches to the officer', '违规通知责任民警', 'prison-a', 'medium', $1, $2, '[]')`,
      [JSON.stringify([{ kind: 'officer' }]), ['email', 'in-app']],
    );
    const notify = readNotifyConfig({
      VIGIL_NOTIFY_LINK_SECRET: 'a-link-secret-of-at-least-32-characters!',
      VIGIL_NOTIFY_LINK_BASE: 'https://vigil.prison-a.example',
      VIGIL_SMTP_HOST: '127.0.0.1',
      VIGIL_SMTP_PORT: String(smtp.port),
      VIGIL_SMTP_FROM: 'vigil@example.org',
    });
    center = await startCommandCenter({ port: 0, host: '127.0.0.1', pool: db.pool, mqttUrl: broker.url, publicDir: '/nonexistent', logger: testLogger, notify, notifyTimings: { pollMs: 50 } });
    await center.alertFeed.whenSubscribed();
    publisher = await connectPublisher(broker.url);
    base = `http://127.0.0.1:${center.port}`;
  });

  after(async () => {
    await publisher?.endAsync();
    await center?.close();
    await smtp?.close();
    await broker?.close();
    await db?.close();
  });

  test('an alert on the broker reaches the officer by e-mail and in the app; the link opens and acknowledges it', async () => {
    const cookie = await loginHttp(base, officer);
    const feed = await fetch(`${base}/api/notify/feed`, { headers: { cookie } });
    assert.equal(feed.status, 200);
    const inApp = sseReader(feed.body!);
    await inApp.readUntil((f) => f.some((x) => 'comment' in x && x.comment === 'connected'));

    const alert: Alert = sampleAlert({ subject: 'p-0001' });
    await insertAlert(db.pool, alert);
    await publisher.publishAsync(alertsTopic(alert.site), JSON.stringify(alert), { qos: 1 });

    await waitFor(() => smtp.mails.some((m) => (m.to as { text: string }).text === 'officer-1@example.org'), 20_000, 'the mail to the officer');
    const mail = smtp.mails.find((m) => (m.to as { text: string }).text === 'officer-1@example.org')!;
    assert.match(mail.subject ?? '', /Exclusion zone entered/);
    const link = /https:\/\/vigil\.prison-a\.example(\/m\/[A-Za-z0-9_.-]+)/.exec(mail.text ?? '');
    assert.ok(link, `a deep link in the mail: ${mail.text}`);
    const path = link[1]!;
    const token = path.slice('/m/'.length);

    const frames = await inApp.readUntil((f) => f.some((x) => 'event' in x && x.event === 'notification'), 20_000);
    const shown = frames.find((x): x is { event: string; data: string } => 'event' in x && x.event === 'notification')!;
    assert.match(shown.data, new RegExp(alert.id));

    // signed out, the link goes to the login page and comes back; signed in, straight to the alert
    const out = await fetch(`${base}${path}`, { redirect: 'manual' });
    assert.equal(out.status, 302);
    assert.equal(out.headers.get('location'), `/?next=${encodeURIComponent(path)}#/login`);
    const inside = await fetch(`${base}${path}`, { redirect: 'manual', headers: { cookie } });
    assert.equal(inside.headers.get('location'), `/#/notify/${token}`);

    const opened = await fetch(`${base}/api/notify/links/${token}`, { headers: { cookie } });
    assert.equal(opened.status, 200, `${token}: ${await opened.clone().text()}`);
    const body = (await opened.json()) as { alerts: { alert: Alert; actions: string[] }[] };
    assert.equal(body.alerts[0]?.alert.id, alert.id);
    assert.deepEqual(body.alerts[0]?.actions, ['acknowledge', 'accept']);

    // someone else's session cannot use the officer's link
    const other = await fetch(`${base}/api/notify/links/${token}`, { headers: { cookie: await loginHttp(base, operator) } });
    assert.equal(other.status, 404);

    const ack = await fetch(`${base}/api/notify/links/${token}/acknowledge`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(ack.status, 200, await ack.clone().text());
    const { rows } = await db.pool.query<{ acked: boolean }>('SELECT acked FROM alerts WHERE id = $1', [alert.id]);
    assert.equal(rows[0]?.acked, true);

    // a supervisor sees who was told, on which channel, and that the officer read it
    const who = await fetch(`${base}/api/alerts/${alert.id}/notifications`, { headers: { cookie: await loginHttp(base, supervisor) } });
    assert.equal(who.status, 200);
    const told = ((await who.json()) as { notifications: NotificationRecord[] }).notifications;
    const email = told.find((n) => n.channel === 'email');
    assert.ok(email, JSON.stringify(told));
    // delivered (the relay took it), then read (its link was opened)
    assert.equal(email.user_id, officer.id);
    assert.equal(email.state, 'read');
    assert.ok(email.delivered_ts !== null && email.read_ts !== null && email.read_ts >= email.delivered_ts, JSON.stringify(email));
    assert.ok(told.some((n) => n.channel === 'in-app'));
  });
});
