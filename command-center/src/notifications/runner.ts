import type { Pool } from 'pg';
import { ALERT_COLUMNS, applyAlertAction, rowToAlert, type AlertRow } from '@vigil/analytics';
import { newId, type Alert } from '@vigil/schemas';
import { createLogger, type Logger } from '../logger.js';
import { signLink } from './deep-link.js';
import { NotifyError } from './errors.js';
import { render } from './message.js';
import { claimDue, markDelivered, markFailed, markRead, markSent, type ClaimedRow, type SentMark } from './outbox.js';
import { parsePolicy, policyMatches, type Policy, type PolicyRow } from './policy.js';
import { createResolver } from './recipients.js';
import { firstSteps, normalisePhone, routeAlert, type RouteReport, type RouterDeps, type Selection } from './router.js';
import { createStormControl, DEFAULT_STORM, type StormOptions } from './storm.js';
import type { Channel, ChannelName, OutgoingMessage } from './types.js';

/** Anything that hands over alerts as they come (the command centre's `AlertFeed` is one). */
export interface AlertSource {
  subscribe(listener: (alert: Alert) => void): () => void;
}

/** Options of `createNotifier`. */
export interface NotifierOptions {
  /** Made by `createPool` of `@vigil/ingest`. */
  pool: Pool;
  channels: Channel[];
  /** Live alerts; without it, call `route()` yourself. */
  source?: AlertSource;
  /** Deep links: `<baseUrl>/m/<token>`, signed with `secret`, valid `ttlMs` (default 24 h). */
  links?: { baseUrl: string; secret: Buffer; ttlMs?: number };
  storm?: Partial<StormOptions>;
  /** Backoff of failed sends: base × 2^(attempt−1), jittered ±25 %, capped; after `maxAttempts` the dead letter. */
  retry?: { baseMs?: number; maxMs?: number; maxAttempts?: number };
  /** How often each channel looks for due rows when nothing woke it; default 500 ms. */
  pollMs?: number;
  /** A claimed row not finished in this time is claimed again (its runner died); default 60 s. */
  leaseMs?: number;
  /** One send may take this long before it counts as failed; default 10 s. */
  sendTimeoutMs?: number;
  /** Sends in flight per channel; default 8. */
  concurrency?: number;
  /** How often unacknowledged alerts are checked for escalation steps and for missed routing; default 15 s (0: never). */
  sweepMs?: number;
  /** Alerts raised longer ago than this are not swept; default 24 h. */
  sweepWindowMs?: number;
  /** Alerts never routed (raised while no runner was up) are routed by the sweep if raised within this; default 10 min. */
  catchUpMs?: number;
  /** Policies are re-read from the database this often; default 5 s. */
  policyCacheMs?: number;
  /** Told the new state of an alert acknowledged by an SMS reply (publish it). */
  onAlertChange?(alert: Alert): void;
  /** Told of every successful send (figures, tests). */
  onSent?(msg: OutgoingMessage, info: { attempts: number; createdAtMs: number }): void;
  logger?: Logger;
}

export interface NotifierStats {
  routed: number;
  sent: Record<string, number>;
  failed: Record<string, number>;
  dead: Record<string, number>;
  badPolicies: number;
}

export interface Notifier {
  /** Start the channel loops, the sweep and the subscription to `source`. */
  start(): void;
  /** Stop taking work, wait for sends in flight (rows stay in the outbox) and close the channels. */
  stop(): Promise<void>;
  /** Route one alert now (step 0 of every matching policy, and lifecycle escalation). */
  route(alert: Alert): Promise<RouteReport>;
  /** Escalation steps due and routing missed while down; returns the alerts routed. */
  sweep(): Promise<number>;
  /** An SMS reply (or any channel's reply) quoting a short code. */
  handleReply(channel: ChannelName, from: string, text: string): Promise<{ acknowledged: string[] }>;
  /** Resolves once routing queued so far is stored. */
  idle(): Promise<void>;
  stats(): NotifierStats;
}

export function createNotifier(opts: NotifierOptions): Notifier {
  const log = opts.logger ?? createLogger('notify');
  const pool = opts.pool;
  const channels = new Map<ChannelName, Channel>(opts.channels.map((c) => [c.name, c]));
  const retryBase = opts.retry?.baseMs ?? 2000;
  const retryMax = opts.retry?.maxMs ?? 300_000;
  const maxAttempts = opts.retry?.maxAttempts ?? 6;
  const pollMs = opts.pollMs ?? 500;
  const leaseMs = opts.leaseMs ?? 60_000;
  const sendTimeoutMs = opts.sendTimeoutMs ?? 10_000;
  const concurrency = opts.concurrency ?? 8;
  const sweepMs = opts.sweepMs ?? 15_000;
  const sweepWindowMs = opts.sweepWindowMs ?? 86_400_000;
  const catchUpMs = opts.catchUpMs ?? 600_000;
  const policyCacheMs = opts.policyCacheMs ?? 5000;
  const linkTtl = opts.links?.ttlMs ?? 86_400_000;
  const resolver = createResolver(pool);
  const storm = createStormControl({ ...DEFAULT_STORM, ...opts.storm }, newId);
  const deps: RouterDeps = { pool, resolver, storm, newId, maxAttempts, channels: new Set(channels.keys()) };
  const stats: NotifierStats = { routed: 0, sent: {}, failed: {}, dead: {}, badPolicies: 0 };
  const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);

  let stopped = true;
  let unsubscribe: (() => void) | null = null;
  let sweepTimer: NodeJS.Timeout | null = null;
  let routing: Promise<unknown> = Promise.resolve();
  let loop: Promise<void> | null = null;
  const inflight = new Set<Promise<void>>();

  let policyCache: { at: number; value: Promise<Policy[]> } | null = null;
  function policies(): Promise<Policy[]> {
    const now = Date.now();
    if (policyCache && now - policyCache.at < policyCacheMs) return policyCache.value;
    const value = pool.query<PolicyRow>('SELECT * FROM notification_policies WHERE enabled ORDER BY id').then(({ rows }) =>
      rows.flatMap((r) => {
        try {
          return [parsePolicy(r)];
        } catch (err) {
          // Not silent: a bad policy is logged with the field and counted, and the others still apply.
          stats.badPolicies += 1;
          log.error({ code: (err as NotifyError).code, policy: r.id, field: (err as NotifyError).field, err: (err as Error).message }, 'notification policy skipped');
          return [];
        }
      }),
    );
    policyCache = { at: now, value };
    value.catch(() => (policyCache = null));
    return value;
  }

  async function selectionsFor(alert: Alert, nowMs: number, steps: 'first' | 'lifecycle'): Promise<Selection[]> {
    const siteUnits = await resolver.siteUnits(alert.site, nowMs);
    const matching = (await policies()).filter((p) => policyMatches(p, alert, siteUnits, nowMs));
    if (steps === 'first') return firstSteps(matching);
    // The alarm lifecycle moved the alert up a level: tell that unit (escalated_unit recipients of any step).
    const level = alert.escalation_level ?? 0;
    return matching.flatMap((p) =>
      [{ recipients: p.recipients, channels: p.channels }, ...p.escalation].flatMap((s) => {
        const specs = s.recipients.filter((r) => r.kind === 'escalated_unit');
        return specs.length ? [{ policyId: p.id, step: 100 + level, recipients: specs, channels: s.channels }] : [];
      }),
    );
  }

  async function routeNow(alert: Alert): Promise<RouteReport> {
    const nowMs = Date.now();
    const sels: Selection[] = [];
    if (alert.state === 'raised' && !alert.acked) sels.push(...(await selectionsFor(alert, nowMs, 'first')));
    if ((alert.escalation_level ?? 0) > 0 && !alert.acked && alert.escalated_to) sels.push(...(await selectionsFor(alert, nowMs, 'lifecycle')));
    const report = await routeAlert(deps, alert, sels, nowMs);
    stats.routed += 1;
    if (report.channels.size) wakeUp();
    if (report.nextDueMs !== null) scheduleWake(report.nextDueMs);
    return report;
  }

  function route(alert: Alert): Promise<RouteReport> {
    // One alert at a time: storm control sees them in order and batch rows exist before alerts join them.
    const p = routing.then(() => routeNow(alert));
    routing = p.catch(() => undefined);
    return p;
  }

  function scheduleWake(atMs: number): void {
    const t = setTimeout(wakeUp, Math.max(0, atMs - Date.now()) + 5);
    t.unref();
  }

  // Sends finish one by one; their records are written together (one statement per batch).
  let marks: { m: SentMark; done(): void; fail(e: unknown): void }[] = [];
  let writing = false;
  function recordSent(m: SentMark): Promise<void> {
    return new Promise((done, fail) => {
      marks.push({ m, done, fail });
      if (!writing) void writeMarks();
    });
  }
  async function writeMarks(): Promise<void> {
    writing = true;
    while (marks.length) {
      const batch = marks;
      marks = [];
      try {
        await markSent(pool, batch.map((b) => b.m));
        for (const b of batch) b.done();
      } catch (err) {
        for (const b of batch) b.fail(err);
      }
    }
    writing = false;
  }

  function backoff(attempts: number): number {
    const raw = Math.min(retryMax, retryBase * 2 ** Math.max(0, attempts - 1));
    return Math.round(raw * (0.75 + Math.random() * 0.5));
  }

  function messageOf(row: ClaimedRow): OutgoingMessage {
    const tz = typeof row.payload?.tz === 'string' ? row.payload.tz : 'Asia/Shanghai';
    const link = opts.links && row.user_id ? `${opts.links.baseUrl.replace(/\/$/, '')}/m/${signLink(opts.links.secret, row.id, row.created_at.getTime() + linkTtl)}` : undefined;
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

  async function deliver(ch: Channel, row: ClaimedRow): Promise<void> {
    if (!row.alerts.length) {
      await markFailed(pool, row.id, 'no alerts linked', true, Date.now());
      return;
    }
    const msg = messageOf(row);
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new NotifyError('VIGIL_NOTIFY_TIMEOUT', `${ch.name}: no answer in ${sendTimeoutMs} ms`)), sendTimeoutMs);
    try {
      const res = await Promise.race([
        ch.send(msg, ac.signal),
        new Promise<never>((_, reject) => ac.signal.addEventListener('abort', () => reject(ac.signal.reason as Error), { once: true })),
      ]);
      await recordSent({ id: row.id, providerId: res.providerId, delivered: res.delivered ?? false, atMs: Date.now() });
      bump(stats.sent, ch.name);
      opts.onSent?.(msg, { attempts: row.attempts, createdAtMs: row.created_at.getTime() });
    } catch (err) {
      const e = err as Error & { permanent?: boolean };
      const dead = e.permanent === true || row.attempts >= row.max_attempts;
      bump(dead ? stats.dead : stats.failed, ch.name);
      log.warn({ channel: ch.name, id: row.id, attempts: row.attempts, dead, err: e.message }, dead ? 'notification dead-lettered' : 'notification send failed; will retry');
      await markFailed(pool, row.id, `${(e as { code?: string }).code ?? 'error'}: ${e.message}`, dead, Date.now() + backoff(row.attempts));
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The dispatcher: one claim for every channel with free slots (one statement),
   * each row handed to its channel. Each channel has its own slots, so a channel
   * that hangs or is down fills only its own and the others go on.
   */
  const busy = new Map<ChannelName, number>([...channels.keys()].map((c) => [c, 0]));
  const full = new Set<ChannelName>();
  let wakeFlag = false;
  let wakeFn: (() => void) | null = null;
  function wakeUp(): void {
    wakeFlag = true;
    wakeFn?.();
  }
  async function dispatchLoop(): Promise<void> {
    while (!stopped) {
      wakeFlag = false;
      const slots = new Map<ChannelName, number>([...busy].map(([c, n]) => [c, concurrency - n]));
      let rows: ClaimedRow[] = [];
      try {
        rows = await claimDue(pool, slots, leaseMs);
      } catch (err) {
        if (!stopped) log.warn({ err: (err as Error).message }, 'outbox claim failed');
      }
      const got = new Map<ChannelName, number>();
      for (const row of rows) {
        const ch = channels.get(row.channel);
        if (!ch) continue;
        got.set(row.channel, (got.get(row.channel) ?? 0) + 1);
        busy.set(row.channel, busy.get(row.channel)! + 1);
        const p: Promise<void> = deliver(ch, row)
          .catch((err: unknown) => log.error({ channel: ch.name, id: row.id, err: (err as Error).message }, 'outbox update failed'))
          .finally(() => {
            busy.set(row.channel, busy.get(row.channel)! - 1);
            inflight.delete(p);
            // A channel that filled its slots may have more due: look again now.
            if (full.has(row.channel)) wakeUp();
          });
        inflight.add(p);
      }
      full.clear();
      for (const [c, n] of got) if (n >= (slots.get(c) ?? 0)) full.add(c);
      if (wakeFlag || full.size) continue;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, pollMs);
        wakeFn = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wakeFn = null;
    }
  }

  async function sweep(): Promise<number> {
    const nowMs = Date.now();
    const { rows } = await pool.query<AlertRow>(
      `SELECT ${ALERT_COLUMNS} FROM alerts WHERE NOT acked AND state = 'raised' AND raised_at > to_timestamp($1::bigint / 1000.0) ORDER BY raised_at LIMIT 5000`,
      [nowMs - sweepWindowMs],
    );
    if (!rows.length) return 0;
    const alerts = rows.map(rowToAlert);
    const { rows: done } = await pool.query<{ alert_id: string; steps: number[] }>(
      'SELECT alert_id, array_agg(DISTINCT step)::int[] AS steps FROM notification_alerts WHERE alert_id = ANY($1) GROUP BY alert_id',
      [alerts.map((a) => a.id)],
    );
    const stepsOf = new Map(done.map((d) => [d.alert_id, new Set(d.steps)]));
    let routed = 0;
    for (const alert of alerts) {
      const have = stepsOf.get(alert.id) ?? new Set<number>();
      const siteUnits = await resolver.siteUnits(alert.site, nowMs);
      const matching = (await policies()).filter((p) => policyMatches(p, alert, siteUnits, nowMs));
      const sels: Selection[] = [];
      // Missed while this runner was down (or the feed dropped it): step 0 now.
      if (!have.has(0) && alert.raised_ts > nowMs - catchUpMs) sels.push(...firstSteps(matching));
      for (const p of matching) {
        p.escalation.forEach((s, i) => {
          if (!have.has(i + 1) && alert.raised_ts + s.after_ms <= nowMs) sels.push({ policyId: p.id, step: i + 1, recipients: s.recipients, channels: s.channels });
        });
      }
      const level = alert.escalation_level ?? 0;
      if (level > 0 && !have.has(100 + level)) sels.push(...(await selectionsFor(alert, nowMs, 'lifecycle')));
      if (!sels.length) continue;
      const report = await new Promise<RouteReport>((resolve, reject) => {
        const p = routing.then(() => routeAlert(deps, alert, sels, nowMs));
        routing = p.catch(() => undefined);
        p.then(resolve, reject);
      });
      if (report.immediate + report.batched + report.quiet > 0) routed += 1;
      if (report.channels.size) wakeUp();
      if (report.nextDueMs !== null) scheduleWake(report.nextDueMs);
    }
    return routed;
  }

  async function handleReply(channel: ChannelName, from: string, text: string): Promise<{ acknowledged: string[] }> {
    const code = /(?:^|\D)(\d{4})(?:\D|$)/.exec(text)?.[1];
    if (!code) {
      log.info({ channel, from }, 'reply without a short code ignored');
      return { acknowledged: [] };
    }
    const { rows } = await pool.query<{ id: string; user_id: string | null }>(
      `SELECT id, user_id FROM notifications WHERE channel = $1 AND address = $2 AND short_code = $3 AND user_id IS NOT NULL
          AND created_at > now() - $4 * interval '1 millisecond' ORDER BY created_at DESC LIMIT 1`,
      [channel, normalisePhone(from), code, linkTtl],
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
  }

  // Receipts are written in batches; one that overtakes our own record of the send waits a little and is tried again.
  let receipts: { channel: ChannelName; providerId: string; atMs: number; firstMs: number }[] = [];
  let receiptTimer: NodeJS.Timeout | null = null;
  function queueReceipt(channel: ChannelName, providerId: string): void {
    const now = Date.now();
    receipts.push({ channel, providerId, atMs: now, firstMs: now });
    receiptTimer ??= setTimeout(writeReceipts, 20);
  }
  function writeReceipts(): void {
    const batch = receipts;
    receipts = [];
    markDelivered(pool, batch)
      .then((matched) => {
        const now = Date.now();
        for (const r of batch) if (!matched.has(`${r.channel}\u0000${r.providerId}`) && now - r.firstMs < 5000) receipts.push(r);
      })
      .catch((err: unknown) => {
        log.warn({ err: (err as Error).message, receipts: batch.length }, 'delivery receipts not recorded; will retry');
        receipts.push(...batch.filter((r) => Date.now() - r.firstMs < 60_000));
      })
      .finally(() => {
        receiptTimer = receipts.length && !stopped ? setTimeout(writeReceipts, 200) : null;
      });
  }

  const sink = {
    delivered(channel: ChannelName, providerId: string): void {
      queueReceipt(channel, providerId);
    },
    reply(channel: ChannelName, from: string, text: string): void {
      handleReply(channel, from, text).catch((err: unknown) => log.error({ channel, from, err: (err as Error).message }, 'reply not handled'));
    },
  };
  for (const ch of channels.values()) ch.attach?.(sink);

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      loop = dispatchLoop();
      if (opts.source) {
        unsubscribe = opts.source.subscribe((alert) => {
          route(alert).catch((err: unknown) => log.error({ alert: alert.id, err: (err as Error).message }, 'alert not routed; the sweep will retry'));
        });
      }
      if (sweepMs > 0) {
        const tick = (): void => {
          sweep()
            .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'sweep failed'))
            .finally(() => {
              storm.prune(Date.now());
              if (!stopped) sweepTimer = setTimeout(tick, sweepMs);
            });
        };
        sweepTimer = setTimeout(tick, Math.min(sweepMs, 1000));
      }
    },
    async stop() {
      stopped = true;
      unsubscribe?.();
      unsubscribe = null;
      if (sweepTimer) clearTimeout(sweepTimer);
      wakeUp();
      await loop?.catch(() => undefined);
      loop = null;
      if (receiptTimer) clearTimeout(receiptTimer);
      receiptTimer = null;
      if (receipts.length) await markDelivered(pool, receipts.splice(0)).catch(() => undefined);
      await Promise.allSettled([...inflight]);
      await routing;
      await Promise.allSettled([...channels.values()].map((c) => c.close()));
    },
    route,
    sweep,
    handleReply,
    idle: async () => {
      await routing;
    },
    stats: () => structuredClone(stats),
  };
}
