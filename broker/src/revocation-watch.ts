import type { Client } from 'aedes';
import type { DeviceRegistry } from './device-registry.js';
import type { Logger } from './logger.js';
import type { Queryable } from './registry.js';
import { revokedSince } from './registry.js';

/** Options of startRevocationWatch. */
export interface RevocationWatchOptions {
  pool: Queryable;
  registry: DeviceRegistry;
  /** Connected clients by device id, kept by the broker. */
  devicesOnline: ReadonlyMap<string, ReadonlySet<Client>>;
  /** Poll interval in ms; 0 disables the watch. */
  intervalMs: number;
  log: Logger;
}

/** Look back this far each poll, so a revocation committed late (revoked_at is its transaction start) is not missed. */
const OVERLAP_MS = 60_000;

/**
 * Poll the registry for revocations and disconnect those devices now, instead
 * of letting a revoked device stay online until it next reconnects. One small
 * query per interval, because the embedded DB serves one connection at a time.
 */
export function startRevocationWatch(opts: RevocationWatchOptions): { stop(): Promise<void> } {
  if (opts.intervalMs <= 0) return { stop: async () => {} };
  let since = new Date(Date.now() - OVERLAP_MS);
  let running: Promise<void> | undefined;
  let stopped = false;

  async function poll(): Promise<void> {
    try {
      const { ids, checkedAt } = await revokedSince(opts.pool, since);
      since = new Date(checkedAt.getTime() - OVERLAP_MS);
      for (const id of ids) {
        opts.registry.forget(id);
        for (const client of opts.devicesOnline.get(id) ?? []) {
          opts.log.warn({ device: id, clientId: client.id, rule: 'revoked' }, 'revoked device disconnected / 已吊销设备被断开');
          client.close();
        }
      }
    } catch (err) {
      opts.log.warn({ err }, 'revocation check failed, will retry / 吊销检查失败，将重试');
    }
  }

  const timer = setInterval(() => {
    if (running === undefined && !stopped) running = poll().finally(() => (running = undefined));
  }, opts.intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
