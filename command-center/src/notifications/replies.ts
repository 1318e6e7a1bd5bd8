import type { Pool } from 'pg';
import { applyAlertAction } from '@vigil/analytics';
import type { Alert } from '@vigil/schemas';
import type { Logger } from '../logger.js';
import { markRead } from './outbox.js';
import { normalisePhone } from './router.js';
import type { ChannelName } from './types.js';

/** Options of `createReplyHandler`. */
export interface ReplyOptions {
  pool: Pool;
  log: Logger;
  /** A short code is honoured for as long as the notification's link is valid. */
  linkTtlMs: number;
  /** Told the new state of an alert acknowledged by a reply (publish it). */
  onAlertChange?(alert: Alert): void;
}

export type ReplyHandler = (channel: ChannelName, from: string, text: string) => Promise<{ acknowledged: string[] }>;

/** Replies (SMS or any channel's) quoting a notification's short code acknowledge its alerts as its recipient. */
export function createReplyHandler(opts: ReplyOptions): ReplyHandler {
  const { pool, log } = opts;
  return async function handleReply(channel, from, text) {
    const code = /(?:^|\D)(\d{4})(?:\D|$)/.exec(text)?.[1];
    if (!code) {
      log.info({ channel, from }, 'reply without a short code ignored');
      return { acknowledged: [] };
    }
    const { rows } = await pool.query<{ id: string; user_id: string | null }>(
      `SELECT id, user_id FROM notifications WHERE channel = $1 AND address = $2 AND short_code = $3 AND user_id IS NOT NULL
          AND created_at > now() - $4 * interval '1 millisecond' ORDER BY created_at DESC LIMIT 1`,
      [channel, normalisePhone(from), code, opts.linkTtlMs],
    );
    const row = rows[0];
    if (!row?.user_id) {
      log.warn({ channel, from, code }, 'reply with an unknown or expired short code');
      return { acknowledged: [] };
    }
    const { rows: links } = await pool.query<{ alert_id: string }>('SELECT alert_id FROM notification_alerts WHERE notification_id = $1 ORDER BY added_at', [row.id]);
    const acknowledged: string[] = [];
    for (const l of links) {
      const res = await applyAlertAction(
        pool,
        { alertId: l.alert_id, action: 'acknowledge', actor: row.user_id, reason: `${channel} reply ${code}` },
        opts.onAlertChange ? { onChange: opts.onAlertChange } : {},
      );
      if (res.ok) acknowledged.push(l.alert_id);
      else log.info({ alert: l.alert_id, code: res.code }, 'reply could not acknowledge');
    }
    await markRead(pool, row.id);
    return { acknowledged };
  };
}
