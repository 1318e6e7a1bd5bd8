import type { Pool } from 'pg';
import type { Logger } from '../logger.js';
import { markDelivered } from './outbox.js';
import type { ChannelName } from './types.js';

/** Delivery receipts, written in batches. */
export interface ReceiptQueue {
  /** A channel's word that `providerId` reached the recipient. */
  queue(channel: ChannelName, providerId: string): void;
  /** Stop the timer and write what is still queued (once; failures are dropped). */
  flush(): Promise<void>;
}

// Receipts are written in batches; one that overtakes our own record of the send waits a little and is tried again.
export function createReceiptQueue(pool: Pool, log: Logger, isStopped: () => boolean): ReceiptQueue {
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
        receiptTimer = receipts.length && !isStopped() ? setTimeout(writeReceipts, 200) : null;
      });
  }
  return {
    queue: queueReceipt,
    async flush() {
      if (receiptTimer) clearTimeout(receiptTimer);
      receiptTimer = null;
      if (receipts.length) await markDelivered(pool, receipts.splice(0)).catch(() => undefined);
    },
  };
}
