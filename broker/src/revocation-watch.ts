import type { Client } from 'aedes';
import type { DeviceRegistry } from './device-registry.js';
import type { Logger } from './logger.js';
import type { Queryable } from './registry.js';
import { credentialChangesSince, findDevice } from './registry.js';

/** Options of startRevocationWatch. */
export interface RevocationWatchOptions {
  pool: Queryable;
  registry: DeviceRegistry;
  /** Connected clients by device id, kept by the broker. */
  devicesOnline: ReadonlyMap<string, ReadonlySet<Client>>;
  /** The secret hash each password session was admitted with, so a session opened with the new secret is left alone. */
  secretHashes: WeakMap<Client, string>;
  /** Poll interval in ms; 0 disables the watch. */
  intervalMs: number;
  log: Logger;
  /** Called after a poll that found changes (a device registered, rotated or revoked), e.g. to refresh gateways' device lists. */
  onChanges?: (ids: readonly string[]) => Promise<void>;
}

/** Look back this far each poll, so a revocation committed late (revoked_at is its transaction start) is not missed. */
const OVERLAP_MS = 60_000;

/**
 * Poll the registry for revocations and secret rotations and disconnect the
 * sessions they invalidate now, instead of when the device next reconnects. One small
 * query per interval, because the embedded DB serves one connection at a time.
 */
export function startRevocationWatch(opts: RevocationWatchOptions): { stop(): Promise<void> } {
  if (opts.intervalMs <= 0) return { stop: async () => {} };
  let since = new Date(Date.now() - OVERLAP_MS);
  let running: Promise<void> | undefined;
  let stopped = false;

  async function poll(): Promise<void> {
    try {
      const { changes, checkedAt } = await credentialChangesSince(opts.pool, since);
      since = new Date(checkedAt.getTime() - OVERLAP_MS);
      for (const change of changes) {
        opts.registry.forget(change.id);
        const online = opts.devicesOnline.get(change.id);
        if (online === undefined) continue;
        const current = change.revoked ? null : await findDevice(opts.pool, change.id);
        for (const client of online) {
          const admittedWith = opts.secretHashes.get(client);
          // Certificate sessions hold no secret: only revocation ends them.
          const stale = current === null || current.revoked || (admittedWith !== undefined && admittedWith !== current.secretHash);
          if (!stale) continue;
          const rule = current === null || current.revoked ? 'revoked' : 'secret-rotated';
          opts.log.warn({ device: change.id, clientId: client.id, rule }, 'device disconnected: credentials revoked or changed / 设备凭据已吊销或变更，连接被断开');
          client.close();
        }
      }
      if (changes.length > 0) await opts.onChanges?.(changes.map((c) => c.id));
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
