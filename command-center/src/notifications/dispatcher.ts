import type { Pool } from 'pg';
import type { Logger } from '../logger.js';
import { NotifyError } from './errors.js';
import { claimDue, markFailed, markSent, type ClaimedRow, type SentMark } from './outbox.js';
import { messageOf, type LinkOptions } from './outgoing.js';
import type { Channel, ChannelName, OutgoingMessage } from './types.js';

/** Options of `createDispatcher` (the runner's, with its defaults applied). */
export interface DispatcherOptions {
  pool: Pool;
  channels: ReadonlyMap<ChannelName, Channel>;
  log: Logger;
  /** Counts of sends per channel, bumped here. */
  stats: { sent: Record<string, number>; failed: Record<string, number>; dead: Record<string, number> };
  /** The runner's stop flag: the loop ends once it is true. */
  isStopped(): boolean;
  links: LinkOptions | undefined;
  /** Backoff of failed sends: base × 2^(attempt−1), jittered ±25 %, capped at `retryMaxMs`. */
  retryBaseMs: number;
  retryMaxMs: number;
  pollMs: number;
  leaseMs: number;
  sendTimeoutMs: number;
  concurrency: number;
  onSent?(msg: OutgoingMessage, info: { attempts: number; createdAtMs: number }): void;
}

export interface Dispatcher {
  /** The delivery loop; resolves once the runner is stopped (and woken). */
  run(): Promise<void>;
  /** Look for due rows now. */
  wakeUp(): void;
  /** Look for due rows at `atMs` (a batch row's due time). */
  scheduleWake(atMs: number): void;
  /** Resolves once the sends in flight are done. */
  settle(): Promise<void>;
}

export function createDispatcher(opts: DispatcherOptions): Dispatcher {
  const { pool, channels, log, stats, concurrency, sendTimeoutMs } = opts;
  const inflight = new Set<Promise<void>>();
  const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);

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
    const raw = Math.min(opts.retryMaxMs, opts.retryBaseMs * 2 ** Math.max(0, attempts - 1));
    return Math.round(raw * (0.75 + Math.random() * 0.5));
  }

  async function deliver(ch: Channel, row: ClaimedRow): Promise<void> {
    if (!row.alerts.length) {
      await markFailed(pool, row.id, 'no alerts linked', true, Date.now());
      return;
    }
    const msg = messageOf(row, opts.links);
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
    while (!opts.isStopped()) {
      wakeFlag = false;
      const slots = new Map<ChannelName, number>([...busy].map(([c, n]) => [c, concurrency - n]));
      let rows: ClaimedRow[] = [];
      try {
        rows = await claimDue(pool, slots, opts.leaseMs);
      } catch (err) {
        if (!opts.isStopped()) log.warn({ err: (err as Error).message }, 'outbox claim failed');
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
        const t = setTimeout(resolve, opts.pollMs);
        wakeFn = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wakeFn = null;
    }
  }

  return {
    run: dispatchLoop,
    wakeUp,
    scheduleWake,
    settle: async () => {
      await Promise.allSettled([...inflight]);
    },
  };
}
