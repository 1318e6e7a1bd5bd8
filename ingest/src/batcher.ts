/** Options for a Batcher. Units are in the names. */
export interface BatcherOptions<T> {
  /** Flush as soon as this many items wait. */
  batchMaxRows: number;
  /** Flush at most this long after the first item of a batch arrived. */
  flushIntervalMs: number;
  /** Above this many waiting items `hasRoom()` is false, so the producer can stop reading. */
  maxPending: number;
  /** Store one batch; resolves only once it is durable. A throw keeps the batch and retries it. */
  write(items: T[]): Promise<void>;
  /** Told about each failed attempt (1-based); the batch is retried after a backoff. */
  onWriteError(err: unknown, attempt: number): void;
  /** Backoff before retry `attempt`. Default 250 ms doubling to 5 s. */
  retryDelayMs?(attempt: number): number;
}

const defaultRetryDelayMs = (attempt: number): number => Math.min(5_000, 250 * 2 ** (attempt - 1));

/**
 * Collects items and writes them in order, one batch at a time, by count and
 * by time. A failed batch stays at the head and is retried, so nothing after
 * it is written (or acknowledged) first.
 */
export class Batcher<T> {
  private readonly queue: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closing = false;
  private wakeSleeper: (() => void) | undefined;
  private roomWaiters: (() => void)[] = [];

  constructor(private readonly opts: BatcherOptions<T>) {}

  /** Items waiting to be written, including the batch being written. */
  get size(): number {
    return this.queue.length;
  }

  /** Queue one item; a full batch starts a write at once, otherwise within flushIntervalMs. */
  add(item: T): void {
    this.queue.push(item);
    if (this.queue.length >= this.opts.batchMaxRows) this.kick();
    else this.timer ??= setTimeout(() => this.kick(), this.opts.flushIntervalMs);
  }

  /** True while fewer than maxPending items wait (or closing): whenRoom() would resolve at once. */
  hasRoom(): boolean {
    return this.queue.length < this.opts.maxPending || this.closing;
  }

  /** Resolves when fewer than maxPending items wait (at once if already so, or on close). */
  whenRoom(): Promise<void> {
    if (this.hasRoom()) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Stop retrying, make one last attempt to write what waits, then stop. Items not written are dropped. */
  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.wakeSleeper?.();
    await this.running;
    if (this.queue.length > 0) {
      try {
        await this.opts.write(this.queue.splice(0));
      } catch (err) {
        this.opts.onWriteError(err, 1);
      }
    }
    this.queue.length = 0;
    this.releaseWaiters();
  }

  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running || this.closing) return;
    this.running = this.drain().finally(() => {
      this.running = undefined;
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.opts.batchMaxRows);
      if (!(await this.writeWithRetry(batch))) return;
      this.queue.splice(0, batch.length);
      this.releaseWaiters();
      // A partial remainder waits for more items or for the interval, like any new batch.
      if (this.queue.length > 0 && this.queue.length < this.opts.batchMaxRows) {
        this.timer ??= setTimeout(() => this.kick(), this.opts.flushIntervalMs);
        return;
      }
    }
  }

  /** True once written; false if closing interrupted the retries. */
  private async writeWithRetry(batch: T[]): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      if (this.closing) return false;
      try {
        await this.opts.write(batch);
        return true;
      } catch (err) {
        this.opts.onWriteError(err, attempt);
      }
      if (this.closing) return false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, (this.opts.retryDelayMs ?? defaultRetryDelayMs)(attempt));
        this.wakeSleeper = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wakeSleeper = undefined;
    }
  }

  private releaseWaiters(): void {
    if (this.queue.length >= this.opts.maxPending && !this.closing) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
