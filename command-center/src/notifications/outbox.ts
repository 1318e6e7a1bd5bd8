import type { Pool, PoolClient } from 'pg';
import type { AlertSummary, ChannelName, Lang } from './types.js';

/** A row about to be stored. */
export interface NewNotification {
  id: string;
  kind: 'single' | 'group' | 'digest';
  channel: ChannelName;
  userId: string | null;
  address: string;
  lang: Lang;
  policyId: string | null;
  step: number;
  groupKey: string | null;
  state: 'pending' | 'suppressed';
  maxAttempts: number;
  nextAttemptAtMs: number;
  shortCode: string | null;
  payload: Record<string, unknown>;
  lastError?: string;
}

/** An alert to link to a notification (new or already stored). */
export interface NewLink {
  notificationId: string;
  alertId: string;
  channel: ChannelName;
  address: string;
  step: number;
  summary: AlertSummary;
}

/** A claimed row, ready to send. */
export interface ClaimedRow {
  id: string;
  kind: 'single' | 'group' | 'digest';
  channel: ChannelName;
  user_id: string | null;
  address: string;
  lang: Lang;
  step: number;
  attempts: number;
  max_attempts: number;
  short_code: string | null;
  payload: Record<string, unknown> | null;
  created_at: Date;
  alerts: AlertSummary[];
}

/** Run `fn` in one transaction on one client (never held across unrelated awaits). */
export async function inTx<T>(pool: Pool, fn: (c: PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const out = await fn(c);
    await c.query('COMMIT');
    return out;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}

/** The (channel, address, step) already notified of an alert: routing is idempotent across restarts. */
export async function existingLinks(c: PoolClient | Pool, alertId: string): Promise<Set<string>> {
  const { rows } = await c.query<{ channel: string; address: string; step: number }>('SELECT channel, address, step FROM notification_alerts WHERE alert_id = $1', [alertId]);
  return new Set(rows.map((r) => linkKey(r.channel, r.address, r.step)));
}
export const linkKey = (channel: string, address: string, step: number): string => `${channel}\u0000${address}\u0000${step}`;

/** Store new rows and links in one statement each. */
export async function storeRouted(c: PoolClient, rows: NewNotification[], links: NewLink[]): Promise<number> {
  if (rows.length) {
    const cols = 15;
    const values: unknown[] = [];
    const tuples = rows.map((r, i) => {
      values.push(r.id, r.kind, r.channel, r.userId, r.address, r.lang, r.policyId, r.step, r.groupKey, r.state, r.maxAttempts, r.nextAttemptAtMs, r.shortCode, JSON.stringify(r.payload), r.lastError ?? null);
      const b = i * cols;
      return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7}, $${b + 8}, $${b + 9}, $${b + 10}, $${b + 11}, to_timestamp($${b + 12}::bigint / 1000.0), $${b + 13}, $${b + 14}::jsonb, $${b + 15})`;
    });
    await c.query(
      `INSERT INTO notifications (id, kind, channel, user_id, address, lang, policy_id, step, group_key, state, max_attempts, next_attempt_at, short_code, payload, last_error)
       VALUES ${tuples.join(', ')}`,
      values,
    );
  }
  if (!links.length) return 0;
  const values: unknown[] = [];
  const tuples = links.map((l, i) => {
    values.push(l.notificationId, l.alertId, l.channel, l.address, l.step, JSON.stringify(l.summary));
    const b = i * 6;
    return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}::jsonb)`;
  });
  const res = await c.query(
    `INSERT INTO notification_alerts (notification_id, alert_id, channel, address, step, summary) VALUES ${tuples.join(', ')} ON CONFLICT DO NOTHING`,
    values,
  );
  return res.rowCount ?? 0;
}

/**
 * Claim up to `limit` due rows of one channel: pending or retry rows whose time
 * has come, and rows left `sending` by a runner that stopped (lease expired).
 * Each claim counts as an attempt.
 */
export async function claimDue(pool: Pool, channel: ChannelName, limit: number, leaseMs: number): Promise<ClaimedRow[]> {
  const { rows } = await pool.query<Omit<ClaimedRow, 'alerts'>>(
    `UPDATE notifications SET state = 'sending', attempts = attempts + 1, lease_until = now() + $3 * interval '1 millisecond'
      WHERE id IN (SELECT id FROM notifications
                    WHERE channel = $1
                      AND ((state IN ('pending', 'retry') AND next_attempt_at <= now()) OR (state = 'sending' AND lease_until < now()))
                    ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)
      RETURNING id, kind, channel, user_id, address, lang, step, attempts, max_attempts, short_code, payload, created_at`,
    [channel, limit, leaseMs],
  );
  if (!rows.length) return [];
  const { rows: links } = await pool.query<{ notification_id: string; summary: AlertSummary }>(
    'SELECT notification_id, summary FROM notification_alerts WHERE notification_id = ANY($1) ORDER BY added_at, alert_id',
    [rows.map((r) => r.id)],
  );
  const by = new Map<string, AlertSummary[]>();
  for (const l of links) (by.get(l.notification_id) ?? by.set(l.notification_id, []).get(l.notification_id)!).push(l.summary);
  return rows.map((r) => ({ ...r, alerts: by.get(r.id) ?? [] }));
}

/** The channel's server took it (and maybe confirmed delivery). */
export async function markSent(pool: Pool, id: string, providerId: string | undefined, delivered: boolean): Promise<void> {
  await pool.query(
    `UPDATE notifications SET state = CASE WHEN state = 'read' THEN 'read' WHEN $3 OR delivered_at IS NOT NULL THEN 'delivered' ELSE 'sent' END,
            sent_at = now(), delivered_at = CASE WHEN $3 THEN now() ELSE delivered_at END,
            provider_id = COALESCE($2, provider_id), lease_until = NULL, last_error = NULL
      WHERE id = $1`,
    [id, providerId ?? null, delivered],
  );
}

/** A failed attempt: retry at `retryAtMs`, or the dead letter when `dead`. */
export async function markFailed(pool: Pool, id: string, error: string, dead: boolean, retryAtMs: number): Promise<void> {
  await pool.query(
    `UPDATE notifications SET state = $3, last_error = $2, lease_until = NULL, next_attempt_at = to_timestamp($4::bigint / 1000.0) WHERE id = $1`,
    [id, error.slice(0, 1000), dead ? 'dead' : 'retry', retryAtMs],
  );
}

/**
 * The far end confirmed: by provider id (SMS message id, possibly one of several
 * parts) or by the outbox id. Returns how many rows changed.
 */
export async function markDelivered(pool: Pool, channel: ChannelName, providerId: string): Promise<number> {
  const res = await pool.query(
    `UPDATE notifications SET delivered_at = COALESCE(delivered_at, now()), state = CASE WHEN state IN ('sent', 'sending') THEN 'delivered' ELSE state END
      WHERE channel = $1 AND (id::text = $2 OR $2 = ANY(string_to_array(provider_id, ',')))`,
    [channel, providerId],
  );
  return res.rowCount ?? 0;
}

/** The person opened it (deep link, in-app). */
export async function markRead(pool: Pool, id: string): Promise<void> {
  await pool.query(
    `UPDATE notifications SET read_at = COALESCE(read_at, now()), delivered_at = COALESCE(delivered_at, now()),
            state = CASE WHEN state IN ('sent', 'delivered', 'sending') THEN 'read' ELSE state END WHERE id = $1`,
    [id],
  );
}

/** One row of the administrator's view of an alert's notifications. */
export interface NotificationRecord {
  id: string;
  kind: string;
  channel: string;
  user_id: string | null;
  display_name: string | null;
  address: string;
  policy_id: string | null;
  step: number;
  state: string;
  attempts: number;
  created_ts: number;
  sent_ts: number | null;
  delivered_ts: number | null;
  read_ts: number | null;
  last_error: string | null;
  /** How many alerts the message told of (groups and digests tell of several). */
  alerts: number;
}

/** Who was notified of an alert, when, on which channel, and whether it was delivered and read. */
export async function notificationsForAlert(pool: Pool, alertId: string): Promise<NotificationRecord[]> {
  const { rows } = await pool.query<NotificationRecord>(
    `SELECT n.id, n.kind, n.channel, n.user_id, u.display_name, n.address, n.policy_id, n.step, n.state, n.attempts,
            (extract(epoch FROM n.created_at) * 1000)::float8 AS created_ts,
            (extract(epoch FROM n.sent_at) * 1000)::float8 AS sent_ts,
            (extract(epoch FROM n.delivered_at) * 1000)::float8 AS delivered_ts,
            (extract(epoch FROM n.read_at) * 1000)::float8 AS read_ts,
            n.last_error,
            (SELECT count(*) FROM notification_alerts x WHERE x.notification_id = n.id)::int AS alerts
       FROM notification_alerts l
       JOIN notifications n ON n.id = l.notification_id
       LEFT JOIN users u ON u.id = n.user_id
      WHERE l.alert_id = $1
      ORDER BY n.created_at, n.channel, n.address`,
    [alertId],
  );
  return rows;
}
