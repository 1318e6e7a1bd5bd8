import type { AlertDraft } from '../rules/types.js';

/** A check-in a subject owes: scheduled or random, due by `dueTs`, with grace. */
export interface DueCheckin {
  subject: string;
  site: string;
  /** The check-in portal (or phone app) device the subject uses. */
  dev: string;
  /** Id of this request (schedule slot or random ping), for the alert key and cause. */
  requestId: string;
  dueTs: number;
  graceMs: number;
}

/**
 * Missed check-ins: each request with no check-in from the subject between
 * its issue and `dueTs + graceMs`, once that time has passed. Pure: `now`
 * is event time from the caller.
 */
export function missedCheckins(due: DueCheckin[], received: Array<{ subject: string; ts: number }>, issuedTs: Record<string, number>, now: number): AlertDraft[] {
  const out: AlertDraft[] = [];
  for (const d of due) {
    const deadline = d.dueTs + d.graceMs;
    if (now < deadline) continue;
    const from = issuedTs[d.requestId] ?? Number.NEGATIVE_INFINITY;
    if (received.some((r) => r.subject === d.subject && r.ts >= from && r.ts <= deadline)) continue;
    out.push({
      rule: 'checkin.missed',
      key: `checkin.missed:${d.subject}:${d.requestId}`,
      severity: 'high',
      site: d.site,
      dev: d.dev,
      subject: d.subject,
      title: { en: 'Check-in missed', 'zh-CN': '未按时报到' },
      ts: deadline,
      evidence: { window_end_ts: deadline, ...(Number.isFinite(from) ? { window_start_ts: from } : {}) },
      cause: `checkin.missed:${d.requestId}`,
    });
  }
  return out;
}
