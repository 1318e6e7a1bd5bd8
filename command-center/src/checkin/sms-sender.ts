import type { Pool } from 'pg';
import type { Channel, OutgoingMessage } from '../notifications/types.js';
import type { CheckinLink } from './scheduler.js';

/** How long one SMS hand-over may take before the scheduler tries again on its next tick. */
const SEND_TIMEOUT_MS = 30_000;

/** A subject has no phone number on record: the request stays unsent (and is missed if never sent). */
export class NoPhoneError extends Error {
  constructor(readonly subject: string) {
    super(`subject ${subject} has no phone number for check-in / 人员 ${subject} 未登记签到手机号`);
    this.name = 'NoPhoneError';
  }
}

/** The subject's mobile number (`subject_contacts`, migration 038), or null. */
export async function subjectPhone(pool: Pool, subject: string): Promise<string | null> {
  const { rows } = await pool.query<{ phone: string }>('SELECT phone FROM subject_contacts WHERE subject_id = $1', [subject]);
  return rows[0]?.phone ?? null;
}

/**
 * The scheduler's `send`: the check-in link by SMS through the notifications'
 * SMS channel, to the number on record for the subject. A throw (no number,
 * the gateway refused or timed out) leaves the request unsent for the next tick.
 */
export function checkinSmsSender(pool: Pool, sms: Channel): (link: CheckinLink) => Promise<void> {
  return async (link) => {
    const phone = await subjectPhone(pool, link.subject);
    if (phone === null) throw new NoPhoneError(link.subject);
    const msg: OutgoingMessage = {
      id: link.requestId,
      channel: 'sms',
      kind: 'single',
      address: phone,
      userId: null,
      lang: 'zh-CN',
      subject: '',
      text: link.text,
      body: link.text,
      alerts: [],
    };
    await sms.send(msg, AbortSignal.timeout(SEND_TIMEOUT_MS));
  };
}
