import { createHmac } from 'node:crypto';
import { signLink, verifyLink } from '../notifications/deep-link.js';
import { CheckinError } from './errors.js';

/**
 * Check-in links reuse the notification deep link's format (a UUID and an
 * expiry, HMAC-signed, 50 characters: short enough for an SMS), under a key
 * derived for check-ins only, so a notification link never opens a check-in.
 */
export function checkinKey(secret: Buffer): Buffer {
  return createHmac('sha256', secret).update('vigil/checkin-link/v1').digest();
}

/** The token of a check-in request, valid until `expiresAtMs`. */
export function signCheckinToken(secret: Buffer, requestId: string, expiresAtMs: number): string {
  return signLink(checkinKey(secret), requestId, expiresAtMs);
}

/**
 * The request a token names. A damaged or forged token is `VIGIL_CHECKIN_LINK_INVALID`,
 * an expired one `VIGIL_CHECKIN_LINK_EXPIRED`: the signature is checked first
 * (verifyLink at time 0), then the expiry here, so the answer can tell them apart.
 */
export function verifyCheckinToken(secret: Buffer, token: string, nowMs: number): { requestId: string; expiresAtMs: number } {
  let link: { notificationId: string; expiresAtMs: number };
  try {
    link = verifyLink(checkinKey(secret), token, 0);
  } catch {
    throw new CheckinError('VIGIL_CHECKIN_LINK_INVALID');
  }
  if (link.expiresAtMs <= nowMs) throw new CheckinError('VIGIL_CHECKIN_LINK_EXPIRED');
  return { requestId: link.notificationId, expiresAtMs: link.expiresAtMs };
}
