import { createHmac, timingSafeEqual } from 'node:crypto';
import { NotifyError } from './errors.js';

/**
 * A signed, expiring deep link to one notification (and through it the alert
 * and the user it was for): base64url(16-byte notification UUID + 4-byte
 * expiry in seconds) "." base64url(first 16 bytes of HMAC-SHA256): 27 + 1 + 22
 * characters in all (50), short enough for an SMS.
 */
export function signLink(secret: Buffer, notificationId: string, expiresAtMs: number): string {
  const body = Buffer.alloc(20);
  Buffer.from(notificationId.replace(/-/g, ''), 'hex').copy(body, 0);
  body.writeUInt32BE(Math.ceil(expiresAtMs / 1000), 16);
  return `${body.toString('base64url')}.${mac(secret, body).toString('base64url')}`;
}

/** The notification id of a valid, unexpired token; a `NotifyError` (VIGIL_NOTIFY_LINK) otherwise. */
export function verifyLink(secret: Buffer, token: string, nowMs: number): { notificationId: string; expiresAtMs: number } {
  const m = /^([A-Za-z0-9_-]{27})\.([A-Za-z0-9_-]{22})$/.exec(token);
  if (!m) throw new NotifyError('VIGIL_NOTIFY_LINK', 'malformed link / 链接格式错误', { permanent: true, field: 'token' });
  const body = Buffer.from(m[1]!, 'base64url');
  const sig = Buffer.from(m[2]!, 'base64url');
  const want = mac(secret, body);
  if (body.length !== 20 || sig.length !== want.length || !timingSafeEqual(sig, want)) {
    throw new NotifyError('VIGIL_NOTIFY_LINK', 'invalid link / 链接无效', { permanent: true, field: 'token' });
  }
  const expiresAtMs = body.readUInt32BE(16) * 1000;
  if (expiresAtMs <= nowMs) throw new NotifyError('VIGIL_NOTIFY_LINK', 'link expired / 链接已过期', { permanent: true, field: 'token' });
  const hex = body.subarray(0, 16).toString('hex');
  const notificationId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { notificationId, expiresAtMs };
}

function mac(secret: Buffer, body: Buffer): Buffer {
  return createHmac('sha256', secret).update(body).digest().subarray(0, 16);
}
