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

/** The (channel, address, step) already notified of an alert: routing is idempotent across restarts. */
export async function existingLinks(c: PoolClient | Pool, alertId: string): Promise<Set<string>> {
  const { rows } = await c.query<{ channel: string; address: string; step: number }>('SELECT channel, address, step FROM notification_alerts WHERE alert_id = $1', [alertId]);
  return new Set(rows.map((r) => linkKey(r.channel, r.address, r.step)));
}
export const linkKey = (channel: string, address: string, step: number): string => `${channel}\u0000${address}\u0000${step}`;

/**
 * Store new rows and their links in one statement (atomic without a transaction:
 * the rows and links land together or not at all). A link already stored (a
 * replay) is skipped by the unique key.
 */
export async function storeRouted(c: PoolClient | Pool, rows: NewNotification[], links: NewLink[]): Promise<void> {
  if (!links.length) return;
  const values: unknown[] = [];
  const p = (v: unknown): string => {
    values.push(v);
    return `$${values.length}`;
  };
  const rowTuples = rows.map(
    (r) =>
      `(${p(r.id)}::uuid, ${p(r.kind)}, ${p(r.channel)}, ${p(r.userId)}, ${p(r.address)}, ${p(r.lang)}, ${p(r.policyId)}, ${p(r.step)}::smallint, ${p(r.groupKey)}, ${p(r.state)}, ${p(r.maxAttempts)}::int, to_timestamp(${p(r.nextAttemptAtMs)}::bigint / 1000.0), ${p(r.shortCode)}, ${p(JSON.stringify(r.payload))}::jsonb, ${p(r.lastError ?? null)})`,
  );
  const linkTuples = links.map((l) => `(${p(l.notificationId)}::uuid, ${p(l.alertId)}::uuid, ${p(l.channel)}, ${p(l.address)}, ${p(l.step)}::smallint, ${p(JSON.stringify(l.summary))}::jsonb)`);
  const insRows = rowTuples.length
    ? `ins AS (INSERT INTO notifications (id, kind, channel, user_id, address, lang, policy_id, step, group_key, state, max_attempts, next_attempt_at, short_code, payload, last_error)
               VALUES ${rowTuples.join(', ')} RETURNING id), `
    : '';
  await c.query(
    `WITH ${insRows}lnk AS (INSERT INTO notification_alerts (notification_id, alert_id, channel, address, step, summary)
                          VALUES ${linkTuples.join(', ')} ON CONFLICT DO NOTHING RETURNING 1)
     SELECT ${insRows ? '(SELECT count(*) FROM ins)' : '0'} AS rows, (SELECT count(*) FROM lnk) AS links`,
    values,
  );
}

/**
 * Claim due rows, at most `slots[channel]` of each channel (one statement for
 * all channels): pending or retry rows whose time has come, and rows left
 * `sending` by a runner that stopped (lease expired). Each claim counts as an
 * attempt. A channel with no free slot is not asked for, so a channel that is
 * down or hung holds up only itself.
 */
export async function claimDue(pool: Pool, slots: ReadonlyMap<ChannelName, number>, leaseMs: number): Promise<ClaimedRow[]> {
  const chans = [...slots].filter(([, n]) => n > 0);
  if (!chans.length) return [];
  const { rows } = await pool.query<Omit<ClaimedRow, 'alerts'> & { alerts: AlertSummary[] | null }>(
    `WITH lim AS (SELECT * FROM unnest($1::text[], $2::int[]) AS l(channel, n)),
          picked AS (SELECT x.id FROM lim, LATERAL (
                       SELECT id FROM notifications
                        WHERE channel = lim.channel
                          AND ((state IN ('pending', 'retry') AND next_attempt_at <= now()) OR (state = 'sending' AND lease_until < now()))
                        ORDER BY next_attempt_at LIMIT lim.n FOR UPDATE SKIP LOCKED) x),
          c AS (UPDATE notifications SET state = 'sending', attempts = attempts + 1, lease_until = now() + $3 * interval '1 millisecond'
                 WHERE id IN (SELECT id FROM picked)
                 RETURNING id, kind, channel, user_id, address, lang, step, attempts, max_attempts, short_code, payload, created_at)
     SELECT c.*, (SELECT json_agg(l.summary ORDER BY l.added_at, l.alert_id) FROM notification_alerts l WHERE l.notification_id = c.id) AS alerts FROM c`,
    [chans.map(([c]) => c), chans.map(([, n]) => n), leaseMs],
  );
  return rows.map((r) => ({ ...r, alerts: r.alerts ?? [] }));
}

/** One row the channel's server took (and maybe confirmed), with the time it did. */
export interface SentMark {
  id: string;
  providerId: string | undefined;
  delivered: boolean;
  atMs: number;
}

/** The channel's server took these (and maybe confirmed delivery): one statement for the lot. */
export async function markSent(pool: Pool, marks: SentMark[]): Promise<void> {
  if (!marks.length) return;
  const values: unknown[] = [];
  const tuples = marks.map((m, i) => {
    values.push(m.id, m.providerId ?? null, m.delivered, m.atMs);
    return `($${i * 4 + 1}::uuid, $${i * 4 + 2}::text, $${i * 4 + 3}::boolean, $${i * 4 + 4}::bigint)`;
  });
  await pool.query(
    `UPDATE notifications n SET state = CASE WHEN n.state = 'read' THEN 'read' WHEN v.delivered OR n.delivered_at IS NOT NULL THEN 'delivered' ELSE 'sent' END,
            sent_at = to_timestamp(v.at / 1000.0), delivered_at = CASE WHEN v.delivered THEN to_timestamp(v.at / 1000.0) ELSE n.delivered_at END,
            provider_id = COALESCE(v.pid, n.provider_id), lease_until = NULL, last_error = NULL
       FROM (VALUES ${tuples.join(', ')}) AS v(id, pid, delivered, at)
      WHERE n.id = v.id`,
    values,
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
 * The far end confirmed: by provider id (an SMS message id, possibly one part of
 * several) or by the outbox id. Returns the receipts that matched a row. A
 * receipt for the first part can come before the last part was accepted: then
 * delivered is recorded at the send time, never before it.
 */
export async function markDelivered(pool: Pool, receipts: { channel: ChannelName; providerId: string; atMs: number }[]): Promise<Set<string>> {
  if (!receipts.length) return new Set();
  const { rows } = await pool.query<{ channel: string; pid: string }>(
    `WITH r AS (SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) AS r(channel, pid, at)),
          u AS (UPDATE notifications n SET delivered_at = COALESCE(n.delivered_at, GREATEST(to_timestamp(r.at / 1000.0), n.sent_at)),
                       state = CASE WHEN n.state IN ('sent', 'sending') THEN 'delivered' ELSE n.state END
                  FROM r
                 WHERE n.channel = r.channel AND (n.id::text = r.pid OR r.pid = ANY(string_to_array(n.provider_id, ',')))
                 RETURNING r.channel, r.pid)
     SELECT DISTINCT channel, pid FROM u`,
    [receipts.map((r) => r.channel), receipts.map((r) => r.providerId), receipts.map((r) => r.atMs)],
  );
  return new Set(rows.map((r) => `${r.channel}\u0000${r.pid}`));
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
            round(extract(epoch FROM n.created_at) * 1000)::float8 AS created_ts,
            round(extract(epoch FROM n.sent_at) * 1000)::float8 AS sent_ts,
            round(extract(epoch FROM n.delivered_at) * 1000)::float8 AS delivered_ts,
            round(extract(epoch FROM n.read_at) * 1000)::float8 AS read_ts,
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

/** Dead letters in the given sites (newest first): what could not be sent after the last attempt, and why. */
export async function deadLetters(pool: Pool, sites: readonly string[], limit = 100): Promise<(NotificationRecord & { alert_ids: string[] })[]> {
  const { rows } = await pool.query<NotificationRecord & { alert_ids: string[] }>(
    `SELECT n.id, n.kind, n.channel, n.user_id, u.display_name, n.address, n.policy_id, n.step, n.state, n.attempts,
            round(extract(epoch FROM n.created_at) * 1000)::float8 AS created_ts, NULL::float8 AS sent_ts, NULL::float8 AS delivered_ts, NULL::float8 AS read_ts,
            n.last_error, (SELECT count(*) FROM notification_alerts x WHERE x.notification_id = n.id)::int AS alerts,
            ARRAY(SELECT x.alert_id::text FROM notification_alerts x WHERE x.notification_id = n.id ORDER BY x.added_at) AS alert_ids
       FROM notifications n LEFT JOIN users u ON u.id = n.user_id
      WHERE n.state = 'dead'
        AND EXISTS (SELECT 1 FROM notification_alerts x WHERE x.notification_id = n.id AND x.summary->>'site' = ANY($1))
      ORDER BY n.created_at DESC LIMIT $2`,
    [sites, limit],
  );
  return rows;
}

/** Send a dead letter again (an administrator's decision once the far end is fixed): a fresh set of attempts. */
export async function requeueDead(pool: Pool, id: string): Promise<boolean> {
  const res = await pool.query(`UPDATE notifications SET state = 'pending', attempts = 0, next_attempt_at = now(), last_error = NULL WHERE id::text = $1 AND state = 'dead'`, [id]);
  return (res.rowCount ?? 0) > 0;
}
