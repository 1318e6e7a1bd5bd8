import { createHmac } from 'node:crypto';
import type { Pool } from 'pg';
import { nextDailyTime, nextWindow, windowAt, type Schedule, type Window } from '@vigil/analytics';

/** When one subject is asked to check in. */
export interface CheckinPlan {
  subject: string;
  /** Local "HH:MM" times, every day. */
  times?: string[];
  /** `perDay` requests at random times inside a daily window ("HH:MM"–"HH:MM" local, ISO weekdays, default every day). */
  random?: { perDay: number; start: string; end: string; days?: number[] };
  /** IANA time zone of the times; default the scheduler's. */
  timezone?: string;
}

/** One planned request. */
export interface PlannedSlot {
  subject: string;
  kind: 'scheduled' | 'random';
  /** Unique per subject: the same slot planned twice is issued once. */
  slot: string;
  atMs: number;
}

const ALL_DAYS = [1, 2, 3, 4, 5, 6, 7];

/**
 * The slots of a plan in (fromMs, toMs]. Random times are drawn from an HMAC
 * of the secret, the subject and the window: the same after a restart, and
 * not predictable by anyone without the secret. Pure: no clock.
 */
export function plannedSlots(plan: CheckinPlan, fromMs: number, toMs: number, tz: string, secret: Buffer): PlannedSlot[] {
  const zone = plan.timezone ?? tz;
  const out: PlannedSlot[] = [];
  if (plan.times && plan.times.length > 0) {
    for (let t = nextDailyTime(plan.times, fromMs, zone); t !== undefined && t <= toMs; t = nextDailyTime(plan.times, t, zone)) {
      out.push({ subject: plan.subject, kind: 'scheduled', slot: `at:${t}`, atMs: t });
    }
  }
  const r = plan.random;
  if (r && r.perDay > 0) {
    const schedule: Schedule = { weekly: [{ days: r.days ?? ALL_DAYS, start: r.start, end: r.end }], timezone: zone };
    // The window in force at the start may have begun before it: its later slots still count.
    for (let w: Window | undefined = windowAt(schedule, fromMs, zone) ?? nextWindow(schedule, fromMs, zone); w && w.start <= toMs; w = nextWindow(schedule, w.start, zone)) {
      for (let i = 0; i < r.perDay; i++) {
        const at = w.start + Math.floor(fraction(secret, `${plan.subject}|${w.start}|${i}`) * (w.end - w.start));
        if (at > fromMs && at <= toMs) out.push({ subject: plan.subject, kind: 'random', slot: `random:${w.start}:${i}`, atMs: at });
      }
    }
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}

function fraction(secret: Buffer, what: string): number {
  return createHmac('sha256', secret).update(`vigil/checkin-random/v1|${what}`).digest().readUInt32BE(0) / 2 ** 32;
}

/** The stored shape of a plan (`checkin_plans.plan`, migration 037): a plan without its subject. */
export type StoredPlan = Omit<CheckinPlan, 'subject'>;

/** Every plan of a subject who is not archived: what `scheduleCheckins` asks for on each tick. */
export async function loadCheckinPlans(pool: Pool): Promise<CheckinPlan[]> {
  const { rows } = await pool.query<{ subject_id: string; plan: StoredPlan }>(
    `SELECT p.subject_id, p.plan FROM checkin_plans p JOIN subjects s ON s.id = p.subject_id WHERE s.archived_at IS NULL ORDER BY p.subject_id`,
  );
  return rows.map((r) => ({ ...r.plan, subject: r.subject_id }));
}

/** Set (or, with null, remove) a subject's plan. */
export async function saveCheckinPlan(pool: Pool, subject: string, plan: StoredPlan | null, by: string): Promise<void> {
  if (plan === null) {
    await pool.query('DELETE FROM checkin_plans WHERE subject_id = $1', [subject]);
    return;
  }
  await pool.query(
    `INSERT INTO checkin_plans (subject_id, plan, updated_by) VALUES ($1, $2, $3)
     ON CONFLICT (subject_id) DO UPDATE SET plan = EXCLUDED.plan, updated_by = EXCLUDED.updated_by, updated_at = now()`,
    [subject, JSON.stringify(plan), by],
  );
}
