import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Pool } from 'pg';
import { ALERT_COLUMNS, allowedActions, applyAlertAction, rowToAlert, type AlertRow } from '@vigil/analytics';
import type { Alert } from '@vigil/schemas';
import { verifyLink } from './deep-link.js';
import type { NotifyError } from './errors.js';
import type { InAppChannel } from './channels/in-app.js';
import { deadLetters, markRead, notificationsForAlert, requeueDead } from './outbox.js';

/** Who is asking: the signed-in user, their role and the sites of their scope. */
export interface NotifyViewer {
  userId: string;
  role: string;
  sites: ReadonlySet<string>;
}

/** Options of `notificationRoutes`. */
export interface NotificationRoutesOptions {
  pool: Pool;
  /** The signed-in user of a request, or null (the app's session and scope). */
  viewer(req: FastifyRequest): Promise<NotifyViewer | null>;
  /** The secret deep links are signed with (the runner's `links.secret`). */
  linkSecret: Buffer;
  /** The in-app channel, for the live feed of one's own notifications. */
  inApp?: InAppChannel;
  /** Told the new state after an action taken from a link (publish it). */
  onAlertChange?(alert: Alert): void;
  /** SSE heartbeat; default 15 s. */
  heartbeatMs?: number;
}

/** Roles that may see who was notified of an alert in their scope. */
const ADMIN_ROLES = new Set(['administrator', 'supervisor', 'auditor']);

const err = (reply: FastifyReply, status: number, code: string, message: string, extra: Record<string, unknown> = {}) => reply.code(status).send({ code, message, ...extra });

/**
 * Routes of notifications:
 * - `GET /api/alerts/:id/notifications` — who was notified, when, on which channel, delivered, read;
 * - `GET /m/:token` — the link in a message: to the login page first, then to the alert on the phone;
 * - `GET /api/notify/links/:token` — the alert(s) of a link with the actions one tap away (marks it read);
 * - `POST /api/notify/links/:token/acknowledge` and `/accept` — acknowledge, or accept the dispatch (the officer takes it);
 * - `GET /api/notify/feed` — the signed-in user's in-app notifications, live (SSE);
 * - `POST /api/notify/:id/read` — mark one's own notification read;
 * - `GET /api/notify/dead-letters` and `POST /api/notify/dead-letters/:id/retry` — administrators: what could not be sent, and sending it again.
 */
export const notificationRoutes: FastifyPluginAsync<NotificationRoutesOptions> = async (app, opts) => {
  const { pool } = opts;

  async function requireViewer(req: FastifyRequest, reply: FastifyReply): Promise<NotifyViewer | null> {
    const v = await opts.viewer(req);
    if (!v) void err(reply, 401, 'VIGIL_CC_UNAUTHENTICATED', 'sign in first / 请先登录');
    return v;
  }

  /** The notification a token names, if it is valid and the viewer's own. */
  async function ownLink(token: string, v: NotifyViewer, reply: FastifyReply): Promise<{ id: string; alerts: Alert[] } | null> {
    let id: string;
    try {
      id = verifyLink(opts.linkSecret, token, Date.now()).notificationId;
    } catch (e) {
      void err(reply, 400, 'VIGIL_NOTIFY_LINK', (e as NotifyError).message, { field: 'token' });
      return null;
    }
    const { rows } = await pool.query<{ user_id: string | null }>('SELECT user_id FROM notifications WHERE id = $1', [id]);
    if (rows[0]?.user_id !== v.userId) {
      void err(reply, 404, 'VIGIL_CC_NOT_FOUND', 'notification not found / 未找到');
      return null;
    }
    const { rows: alerts } = await pool.query<AlertRow>(
      `SELECT ${ALERT_COLUMNS} FROM alerts WHERE id IN (SELECT alert_id FROM notification_alerts WHERE notification_id = $1) ORDER BY raised_at`,
      [id],
    );
    return { id, alerts: alerts.map(rowToAlert) };
  }

  app.get<{ Params: { id: string } }>('/api/alerts/:id/notifications', async (req, reply) => {
    const v = await requireViewer(req, reply);
    if (!v) return reply;
    if (!ADMIN_ROLES.has(v.role)) return err(reply, 403, 'VIGIL_CC_FORBIDDEN', `not allowed for role ${v.role} / 当前角色无此权限`);
    if (!/^[0-9a-f-]{36}$/i.test(req.params.id)) return err(reply, 400, 'VIGIL_CC_VALIDATION', 'id: must be a UUID', { field: 'id' });
    const { rows } = await pool.query<{ site_id: string }>('SELECT site_id FROM alerts WHERE id = $1', [req.params.id]);
    // Outside the viewer's subtree is the same 404 as not existing.
    if (!rows[0] || !v.sites.has(rows[0].site_id)) return err(reply, 404, 'VIGIL_CC_NOT_FOUND', 'alert not found / 未找到');
    return { alert: req.params.id, notifications: await notificationsForAlert(pool, req.params.id) };
  });

  app.get<{ Params: { token: string } }>('/m/:token', { config: { auth: 'public' } }, async (req, reply) => {
    const token = encodeURIComponent(req.params.token);
    const v = await opts.viewer(req);
    // After login the UI comes back here and opens the alert with its actions.
    if (!v) return reply.redirect(`/?next=${encodeURIComponent(`/m/${token}`)}#/login`, 302);
    return reply.redirect(`/#/notify/${token}`, 302);
  });

  app.get<{ Params: { token: string } }>('/api/notify/links/:token', async (req, reply) => {
    const v = await requireViewer(req, reply);
    if (!v) return reply;
    const link = await ownLink(req.params.token, v, reply);
    if (!link) return reply;
    await markRead(pool, link.id);
    return {
      notification: link.id,
      alerts: link.alerts.map((a) => {
        const allowed = allowedActions(a);
        return { alert: a, actions: [...(allowed.includes('acknowledge') ? ['acknowledge'] : []), ...(allowed.includes('dispatch') ? ['accept'] : [])] };
      }),
    };
  });

  for (const action of ['acknowledge', 'accept'] as const) {
    app.post<{ Params: { token: string }; Body: { alert?: string } | undefined }>(`/api/notify/links/:token/${action}`, async (req, reply) => {
      const v = await requireViewer(req, reply);
      if (!v) return reply;
      const link = await ownLink(req.params.token, v, reply);
      if (!link) return reply;
      const wanted = req.body?.alert;
      const alert = wanted === undefined ? link.alerts[0] : link.alerts.find((a) => a.id === wanted);
      if (!alert) return err(reply, 404, 'VIGIL_CC_NOT_FOUND', 'alert not found / 未找到', { field: 'alert' });
      if (!v.sites.has(alert.site)) return err(reply, 404, 'VIGIL_CC_NOT_FOUND', 'alert not found / 未找到');
      const res = await applyAlertAction(
        pool,
        action === 'acknowledge'
          ? { alertId: alert.id, action: 'acknowledge', actor: v.userId, reason: 'from notification link / 来自通知链接' }
          : { alertId: alert.id, action: 'dispatch', actor: v.userId, officerId: v.userId, reason: 'accepted from notification link / 通过通知链接接受派警' },
        opts.onAlertChange ? { onChange: opts.onAlertChange } : {},
      );
      if (!res.ok) return err(reply, res.code === 'not_found' ? 404 : 409, res.code === 'not_found' ? 'VIGIL_CC_NOT_FOUND' : 'VIGIL_CC_CONFLICT', `${res.text.en} / ${res.text['zh-CN']}`);
      await markRead(pool, link.id);
      return { alert: res.alert, from: res.from };
    });
  }

  app.post<{ Params: { id: string } }>('/api/notify/:id/read', async (req, reply) => {
    const v = await requireViewer(req, reply);
    if (!v) return reply;
    const { rows } = await pool.query<{ user_id: string | null }>('SELECT user_id FROM notifications WHERE id::text = $1', [req.params.id]);
    if (rows[0]?.user_id !== v.userId) return err(reply, 404, 'VIGIL_CC_NOT_FOUND', 'notification not found / 未找到');
    await markRead(pool, req.params.id);
    return reply.code(204).send();
  });

  app.get('/api/notify/dead-letters', async (req, reply) => {
    const v = await requireViewer(req, reply);
    if (!v) return reply;
    if (!ADMIN_ROLES.has(v.role)) return err(reply, 403, 'VIGIL_CC_FORBIDDEN', `not allowed for role ${v.role} / 当前角色无此权限`);
    return { dead: await deadLetters(pool, [...v.sites]) };
  });

  app.post<{ Params: { id: string } }>('/api/notify/dead-letters/:id/retry', async (req, reply) => {
    const v = await requireViewer(req, reply);
    if (!v) return reply;
    if (v.role !== 'administrator') return err(reply, 403, 'VIGIL_CC_FORBIDDEN', `not allowed for role ${v.role} / 当前角色无此权限`);
    const mine = (await deadLetters(pool, [...v.sites], 10_000)).some((d) => d.id === req.params.id);
    if (!mine || !(await requeueDead(pool, req.params.id))) return err(reply, 404, 'VIGIL_CC_NOT_FOUND', 'dead letter not found / 未找到');
    return reply.code(202).send({ id: req.params.id, state: 'pending' });
  });

  app.get('/api/notify/feed', async (req, reply) => {
    const v = await requireViewer(req, reply);
    if (!v) return reply;
    if (!opts.inApp) return err(reply, 503, 'VIGIL_CC_UNAVAILABLE', 'in-app notifications are not running / 应用内通知未运行');
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(': connected\n\n');
    const off = opts.inApp.subscribe(v.userId, (e) => res.write(`event: notification\ndata: ${JSON.stringify(e)}\n\n`));
    const beat = setInterval(() => res.write(': heartbeat\n\n'), opts.heartbeatMs ?? 15_000);
    req.raw.on('close', () => {
      clearInterval(beat);
      off();
    });
  });
};
