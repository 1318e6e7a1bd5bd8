import { signLink } from './deep-link.js';
import { render } from './message.js';
import type { ClaimedRow } from './outbox.js';
import type { OutgoingMessage } from './types.js';

/** Deep links of the notifications: `<baseUrl>/m/<token>`, signed with `secret`, valid `ttlMs`. */
export interface LinkOptions {
  baseUrl: string;
  secret: Buffer;
  ttlMs: number;
}

/** The message a claimed outbox row stands for: rendered in its language and time zone, with its deep link and short code. */
export function messageOf(row: ClaimedRow, links: LinkOptions | undefined): OutgoingMessage {
  const tz = typeof row.payload?.tz === 'string' ? row.payload.tz : 'Asia/Shanghai';
  const link = links && row.user_id ? `${links.baseUrl.replace(/\/$/, '')}/m/${signLink(links.secret, row.id, row.created_at.getTime() + links.ttlMs)}` : undefined;
  const r = render({ kind: row.kind, lang: row.lang, timeZone: tz, alerts: row.alerts, ...(link ? { link } : {}), ...(row.short_code ? { shortCode: row.short_code } : {}) });
  return {
    id: row.id,
    channel: row.channel,
    kind: row.kind,
    address: row.address,
    userId: row.user_id,
    lang: row.lang,
    subject: r.subject,
    text: r.text,
    body: r.body,
    ...(link ? { link } : {}),
    ...(row.short_code ? { shortCode: row.short_code } : {}),
    alerts: row.alerts,
    ...(row.payload ? { extra: row.payload } : {}),
  };
}
