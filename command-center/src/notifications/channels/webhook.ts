import { createHmac } from 'node:crypto';
import { NotifyError } from '../errors.js';
import type { Channel, OutgoingMessage, SendResult } from '../types.js';

/** A configured webhook: where, and the shared secret of its signature. */
export interface WebhookEndpoint {
  url: string;
  secret: string;
}

/** The signature header: `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`, timestamp in `X-Vigil-Timestamp` (ms). */
export function webhookSignature(secret: string, timestampMs: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampMs}.${body}`).digest('hex')}`;
}

/**
 * Webhooks to other systems: a JSON POST of the alerts, signed with HMAC-SHA256
 * over the timestamp and the body (the receiver rejects a stale timestamp, so a
 * captured request cannot be replayed later), `X-Vigil-Delivery` the same on
 * every retry so the receiver can drop duplicates. 2xx is delivered; 4xx other
 * than 408/429 is permanent (dead letter at once); anything else is retried by
 * the outbox with backoff, and dead-lettered after the last attempt.
 */
export function createWebhookChannel(endpoints: Readonly<Record<string, WebhookEndpoint>>): Channel {
  return {
    name: 'webhook',
    async send(msg: OutgoingMessage, signal: AbortSignal): Promise<SendResult> {
      const ep = endpoints[msg.address];
      if (!ep) throw new NotifyError('VIGIL_NOTIFY_REJECTED', `webhook "${msg.address}" is not configured`, { permanent: true, field: 'address' });
      const body = JSON.stringify({ id: msg.id, kind: msg.kind, subject: msg.subject, text: msg.text, alerts: msg.alerts });
      const ts = Date.now();
      let res: Response;
      try {
        res = await fetch(ep.url, {
          method: 'POST',
          body,
          signal,
          headers: {
            'content-type': 'application/json',
            'x-vigil-delivery': msg.id,
            'x-vigil-timestamp': String(ts),
            'x-vigil-signature': webhookSignature(ep.secret, ts, body),
          },
        });
      } catch (err) {
        throw new NotifyError('VIGIL_NOTIFY_CHANNEL_DOWN', `webhook ${msg.address}: ${(err as Error).message}`);
      }
      await res.body?.cancel().catch(() => undefined);
      if (res.ok) return { providerId: msg.id, delivered: true };
      const permanent = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
      throw new NotifyError('VIGIL_NOTIFY_REJECTED', `webhook ${msg.address}: HTTP ${res.status}`, { permanent });
    },
    close: () => Promise.resolve(),
  };
}
