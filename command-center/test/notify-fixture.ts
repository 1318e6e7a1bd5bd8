import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import { fastify, type FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { createPool, migrate, startEmbeddedDatabase, type EmbeddedDatabase } from '@vigil/ingest';
import type { Alert } from '@vigil/schemas';
import {
  createEmailChannel,
  type createInAppChannel,
  createNotifier,
  createSmppChannel,
  notificationRoutes,
  type Channel,
  type Notifier,
  type NotifierOptions,
  type NotifyViewer,
} from '../src/notifications/index.js';
import { insertAlert, sampleAlert, testLogger } from './helpers.js';
import { startSmsc, startSmtpServer } from './notify-servers.js';

// The notification runner's end-to-end fixture (notify-routing.test.ts, notify-delivery.test.ts):
// an embedded database seeded with an org tree, users and contacts, a real SMTP server and SMSC.
// The bindings below are filled in by the hooks `useNotifyFixture()` registers (ES module exports are live).

export let db: EmbeddedDatabase;
export let pool: Pool;
export let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
export let smsc: Awaited<ReturnType<typeof startSmsc>>;
export const secret = randomBytes(32);
export const OFFICER_PHONE = '8613800000001';
export const OP_PHONE = '8613900000002';

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

export async function setPolicies(...ps: Record<string, unknown>[]): Promise<void> {
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
export async function raise(over: Partial<Alert> = {}): Promise<Alert> {
  const a = sampleAlert({ subject: 'p-1', dev: 'tag-1', ...over });
  await insertAlert(pool, a);
  return { ...a, acked: false, active: true };
}

export async function rowsFor(alertId: string) {
  const { rows } = await pool.query<{ channel: string; address: string; user_id: string | null; state: string; kind: string; attempts: number; last_error: string | null; step: number }>(
    `SELECT n.channel, n.address, n.user_id, n.state, n.kind, n.attempts, n.last_error, n.step FROM notifications n
      JOIN notification_alerts l ON l.notification_id = n.id WHERE l.alert_id = $1 ORDER BY n.channel, n.address`,
    [alertId],
  );
  return rows;
}

export function notifierWith(channels: Channel[], over: Partial<NotifierOptions> = {}): Notifier {
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
export async function routesApp(inApp?: ReturnType<typeof createInAppChannel>): Promise<FastifyInstance> {
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

/** Registers the file's hooks: the seeded database and the mail and SMS servers up before its tests, closed after. */
export function useNotifyFixture(): void {
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
}

export const emailCh = () => createEmailChannel({ host: '127.0.0.1', port: smtp.port, ignoreTls: true, from: 'vigil@example.org' });
export const smsCh = () => createSmppChannel({ url: `smpp://127.0.0.1:${smsc.port}`, systemId: 'vigil', password: 'pw', sourceAddr: '10690001', reconnectMs: 100 });
