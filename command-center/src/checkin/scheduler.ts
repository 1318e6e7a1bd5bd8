import type { Pool } from 'pg';
import { DEFAULT_TIMEZONE, missedCheckins, raiseAlert, type AlertDraft, type DueCheckin, type HeadTurn } from '@vigil/analytics';
import type { Logger } from '../logger.js';
import { plannedSlots, type CheckinPlan } from './plan.js';
import { issueCheckin, type CheckinRequest } from './requests.js';
import { signCheckinToken } from './token.js';

/** What the sender gets: the link to put in the SMS, and what it is for. */
export interface CheckinLink {
  requestId: string;
  subject: string;
  site: string;
  kind: CheckinRequest['kind'];
  /** `<baseUrl>/checkin/<token>` */
  url: string;
  dueTs: number;
  expiresTs: number;
  challenge: HeadTurn;
  /** A ready SMS text, both languages. */
  text: string;
}

/** Options of `scheduleCheckins`. */
export interface ScheduleCheckinsOptions {
  pool: Pool;
  /** Signs the links (the same secret `checkinPublicRoutes` is given). */
  tokenSecret: Buffer;
  /** The command centre as subjects' phones reach it, e.g. `https://vigil.example.org`. */
  baseUrl: string;
  /** Who is asked when; read again on every tick, so changes apply without a restart. */
  plans(): Promise<CheckinPlan[]> | CheckinPlan[];
  /** Hands the link over (the notifications SMS channel); a throw leaves the request unsent, tried again next tick. */
  send(link: CheckinLink): Promise<void>;
  /** The selfie is due this long after the planned time; default 15 min. */
  dueMs?: number;
  /** Then missed after this much more; default 5 min. */
  graceMs?: number;
  /** Time zone of plans that name none; default Asia/Shanghai. */
  timezone?: string;
  /** The portal device results and missed alerts are recorded under; default `checkin-web`. */
  deviceId?: string;
  /** How often to look; default 30 000 ms. 0: never by itself (call `tick`). */
  tickMs?: number;
  /** Sends tried per request before giving up; default 5. */
  maxSendAttempts?: number;
  /** Raises a missed check-in; default `raiseAlert` into the alerts table. */
  raise?(draft: AlertDraft): Promise<void>;
  now?(): number;
  logger?: Logger;
}

/** A running scheduler. */
export interface CheckinScheduler {
  /** One pass at `nowMs`: issue due slots, send unsent links, raise missed check-ins. */
  tick(nowMs: number): Promise<{ issued: number; sent: number; missed: number }>;
  /** Ask a subject now (an officer's on-demand request); undefined for an unknown or archived subject. */
  issueNow(subject: string, nowMs: number): Promise<{ link: CheckinLink; sent: boolean } | undefined>;
  stop(): void;
}

/** The SMS text of a link. */
export function checkinSmsText(url: string, dueTs: number, timezone: string): string {
  const at = (locale: string) => new Intl.DateTimeFormat(locale, { timeZone: timezone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(dueTs);
  return `请于 ${at('zh-CN')} 前完成自拍签到 / Please check in with a selfie by ${at('en-GB')}: ${url}`;
}

/**
 * Issue check-in requests at the planned or random times of each subject's
 * plan: a `checkin_requests` row (one per slot, so a restart does not ask
 * twice) and a signed single-use link handed to `send`. Each tick also turns
 * requests unanswered past their deadline plus grace into `checkin.missed`
 * alerts (`missedCheckins`), once each.
 */
export function scheduleCheckins(opts: ScheduleCheckinsOptions): CheckinScheduler {
  const { pool } = opts;
  const dueMs = opts.dueMs ?? 15 * 60_000;
  const graceMs = opts.graceMs ?? 5 * 60_000;
  const tz = opts.timezone ?? DEFAULT_TIMEZONE;
  const deviceId = opts.deviceId ?? 'checkin-web';
  const maxAttempts = opts.maxSendAttempts ?? 5;
  const raise = opts.raise ?? (async (d: AlertDraft) => void (await raiseAlert(pool, d)));
  let lastTick: number | undefined;
  let running: Promise<unknown> = Promise.resolve();

  const linkOf = (r: CheckinRequest): CheckinLink => {
    const url = `${opts.baseUrl.replace(/\/$/, '')}/checkin/${signCheckinToken(opts.tokenSecret, r.id, r.expiresTs)}`;
    return { requestId: r.id, subject: r.subject, site: r.site, kind: r.kind, url, dueTs: r.dueTs, expiresTs: r.expiresTs, challenge: r.challenge, text: checkinSmsText(url, r.dueTs, tz) };
  };

  async function deliver(r: CheckinRequest): Promise<boolean> {
    try {
      await opts.send(linkOf(r));
      await pool.query('UPDATE checkin_requests SET sent_at = now(), send_attempts = send_attempts + 1 WHERE id = $1', [r.id]);
      return true;
    } catch (err) {
      opts.logger?.warn({ err, request: r.id, subject: r.subject }, 'check-in link not sent');
      await pool.query('UPDATE checkin_requests SET send_attempts = send_attempts + 1 WHERE id = $1', [r.id]);
      return false;
    }
  }

  async function unsent(nowMs: number): Promise<CheckinRequest[]> {
    const { rows } = await pool.query<{ id: string; subject_id: string; site_id: string; device_id: string; kind: CheckinRequest['kind']; slot: string; challenge: HeadTurn; issued: string; due: string; grace_ms: number; expires: string }>(
      `SELECT id, subject_id, site_id, device_id, kind, slot, challenge, (extract(epoch FROM issued_at) * 1000)::bigint AS issued,
              (extract(epoch FROM due_at) * 1000)::bigint AS due, grace_ms, (extract(epoch FROM expires_at) * 1000)::bigint AS expires
         FROM checkin_requests WHERE sent_at IS NULL AND used_at IS NULL AND send_attempts < $1 AND expires_at > to_timestamp($2 / 1000.0) ORDER BY issued_at`,
      [maxAttempts, nowMs],
    );
    return rows.map((r) => ({
      id: r.id, subject: r.subject_id, site: r.site_id, device: r.device_id, kind: r.kind, slot: r.slot, challenge: r.challenge,
      issuedTs: Number(r.issued), dueTs: Number(r.due), graceMs: r.grace_ms, expiresTs: Number(r.expires), usedTs: null,
    }));
  }

  async function raiseMissed(nowMs: number): Promise<number> {
    const { rows } = await pool.query<{ id: string; subject_id: string; site_id: string; device_id: string; issued: string; due: string; grace_ms: number }>(
      `SELECT id, subject_id, site_id, device_id, (extract(epoch FROM issued_at) * 1000)::bigint AS issued, (extract(epoch FROM due_at) * 1000)::bigint AS due, grace_ms
         FROM checkin_requests WHERE used_at IS NULL AND missed_at IS NULL AND due_at + grace_ms * interval '1 millisecond' <= to_timestamp($1 / 1000.0)`,
      [nowMs],
    );
    if (rows.length === 0) return 0;
    const due: DueCheckin[] = rows.map((r) => ({ subject: r.subject_id, site: r.site_id, dev: r.device_id, requestId: r.id, dueTs: Number(r.due), graceMs: r.grace_ms }));
    const issued = Object.fromEntries(rows.map((r) => [r.id, Number(r.issued)]));
    // A check-in by other means (a kiosk at the office) inside the window answers the request too.
    const { rows: got } = await pool.query<{ subject_id: string; ms: string }>(
      `SELECT subject_id, (extract(epoch FROM time) * 1000)::bigint AS ms FROM checkins WHERE subject_id = ANY($1::text[]) AND time >= to_timestamp($2 / 1000.0)`,
      [[...new Set(due.map((d) => d.subject))], Math.min(...Object.values(issued))],
    );
    const drafts = missedCheckins(due, got.map((g) => ({ subject: g.subject_id, ts: Number(g.ms) })), issued, nowMs);
    for (const d of drafts) await raise(d);
    // Every request looked at is settled: missed (alert raised) or answered another way.
    await pool.query(`UPDATE checkin_requests SET missed_at = to_timestamp($2 / 1000.0) WHERE id = ANY($1::uuid[])`, [rows.map((r) => r.id), nowMs]);
    return drafts.length;
  }

  async function tickOnce(nowMs: number): Promise<{ issued: number; sent: number; missed: number }> {
    // After a restart, look back one due period: a slot whose selfie is still due is asked late rather than never.
    const from = lastTick ?? nowMs - dueMs;
    let issued = 0;
    for (const plan of await opts.plans()) {
      for (const s of plannedSlots(plan, from, nowMs, tz, opts.tokenSecret)) {
        if (s.atMs + dueMs <= nowMs) continue;
        const r = await issueCheckin(pool, opts.tokenSecret, { subject: s.subject, kind: s.kind, slot: s.slot, nowMs, dueMs: s.atMs + dueMs - nowMs, graceMs, deviceId });
        if (r) issued++;
      }
    }
    lastTick = nowMs;
    let sent = 0;
    for (const r of await unsent(nowMs)) if (await deliver(r)) sent++;
    const missed = await raiseMissed(nowMs);
    if (issued + sent + missed > 0) opts.logger?.info({ issued, sent, missed }, 'check-in requests');
    return { issued, sent, missed };
  }

  // Ticks never overlap: the next waits for the one before.
  const tick = (nowMs: number) => {
    const run = running.then(() => tickOnce(nowMs));
    running = run.catch(() => undefined);
    return run;
  };

  const timer =
    (opts.tickMs ?? 30_000) > 0
      ? setInterval(() => {
          tick((opts.now ?? Date.now)()).catch((err: unknown) => opts.logger?.error({ err }, 'check-in scheduler tick failed'));
        }, opts.tickMs ?? 30_000)
      : undefined;
  timer?.unref();

  return {
    tick,
    async issueNow(subject, nowMs) {
      const r = await issueCheckin(pool, opts.tokenSecret, { subject, kind: 'manual', slot: `manual:${nowMs}`, nowMs, dueMs, graceMs, deviceId });
      if (!r) return undefined;
      const sent = await deliver(r.request);
      return { link: linkOf(r.request), sent };
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}
