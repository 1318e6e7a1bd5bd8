import { createTransport, type Transporter } from 'nodemailer';
import { NotifyError } from '../errors.js';
import type { Channel, OutgoingMessage, SendResult } from '../types.js';

/** Options of the SMTP channel. */
export interface EmailChannelOptions {
  host: string;
  port: number;
  /** Implicit TLS (port 465); otherwise STARTTLS when offered unless `ignoreTls`. */
  secure?: boolean;
  ignoreTls?: boolean;
  user?: string;
  password?: string;
  from: string;
  /** Connections kept open to the relay; default 2. */
  maxConnections?: number;
  /** Connect and greeting timeouts; default 5 s each. */
  timeoutMs?: number;
}

/**
 * E-mail over SMTP with nodemailer (pooled connections). The relay answering
 * 250 to DATA is recorded as delivered: SMTP gives no later receipt without
 * DSN, which relays in closed networks rarely offer. A 5xx answer is permanent
 * (no retry); anything else is retried.
 */
export function createEmailChannel(opts: EmailChannelOptions): Channel {
  const timeout = opts.timeoutMs ?? 5000;
  const transport: Transporter = createTransport({
    host: opts.host,
    port: opts.port,
    secure: opts.secure ?? false,
    ignoreTLS: opts.ignoreTls ?? false,
    pool: true,
    maxConnections: opts.maxConnections ?? 2,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout * 2,
    ...(opts.user ? { auth: { user: opts.user, pass: opts.password ?? '' } } : {}),
  });
  return {
    name: 'email',
    async send(msg: OutgoingMessage): Promise<SendResult> {
      try {
        const info = await transport.sendMail({
          from: opts.from,
          to: msg.address,
          subject: msg.subject,
          text: msg.body,
          headers: { 'X-Vigil-Notification': msg.id, 'Content-Language': msg.lang },
        });
        return { providerId: info.messageId, delivered: true };
      } catch (err) {
        const e = err as Error & { responseCode?: number; code?: string };
        const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500;
        throw new NotifyError(e.responseCode ? 'VIGIL_NOTIFY_REJECTED' : 'VIGIL_NOTIFY_CHANNEL_DOWN', `smtp: ${e.message}`, { permanent });
      }
    },
    close() {
      transport.close();
      return Promise.resolve();
    },
  };
}
