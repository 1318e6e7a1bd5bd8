import type { Statement } from 'better-sqlite3';
import type { Priority } from './driver.js';
import { EdgeError } from './errors.js';
import type { Logger } from './logger.js';
import { RANK_PRIORITY } from './priority.js';
import type { Db } from './store.js';

/** Size bounds of the queue; over either one, the lowest priority is dropped first. */
export interface QueueLimits {
  maxMessages: number;
  maxBytes: number;
}

/** What one overflow dropped: how many, of which priority, from which devices. */
export interface DropReport {
  count: number;
  byPriority: Partial<Record<Priority, number>>;
  byDevice: Record<string, number>;
  /** Dropped since the queue was opened. */
  total: number;
}

/** A message read from the queue, to publish. */
export interface QueuedMessage {
  id: number;
  topic: string;
  payload: string;
}

/** One message to append; `build` gets the device's next `seq` at commit time. */
interface Pending {
  device: string;
  rank: number;
  build: (seq: number) => { topic: string; payload: string };
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * The durable store-and-forward queue (SQLite, see store.ts).
 *
 * - `append` resolves once the message and its device's new `seq` are committed
 *   (fsynced); appends made in the same event-loop turn share one transaction.
 * - A message leaves only through `ack` (on PUBACK); `read` pages through it in
 *   id order, which is emit order, so per-device order holds.
 * - Bounded by `limits`; an append that would overflow drops the lowest priority,
 *   oldest first, among messages not yet handed to the forwarder, and reports it.
 * - Memory does not grow with depth: depth and bytes are two counters, reads are pages.
 */
export class DiskQueue {
  private readonly log: Logger;
  private limits: QueueLimits;
  private readonly onDrop: (r: DropReport) => void;
  private readonly seqCache = new Map<string, number>();
  private pending: Pending[] = [];
  private flushScheduled = false;
  private acks: number[] = [];
  private acksScheduled = false;
  private ackTimer: NodeJS.Timeout | undefined;
  private count: number;
  private byteCount: number;
  private droppedTotal = 0;
  /** Messages with an id at or below this were handed to the forwarder: never dropped. */
  private handedOut = 0;
  private closed = false;
  private readonly listeners = new Set<() => void>();
  private readonly st: Record<'insert' | 'getSeq' | 'setSeq' | 'read' | 'dropCandidates' | 'del' | 'ackDel', Statement>;

  constructor(
    private readonly db: Db,
    opts: { limits: QueueLimits; log: Logger; onDrop?: (r: DropReport) => void },
  ) {
    this.log = opts.log;
    this.limits = { ...opts.limits };
    this.onDrop = opts.onDrop ?? (() => undefined);
    this.st = {
      insert: db.prepare('INSERT INTO messages (device, priority, topic, payload, bytes) VALUES (?, ?, ?, ?, ?)'),
      getSeq: db.prepare('SELECT next FROM seqs WHERE device = ?').pluck(),
      setSeq: db.prepare('INSERT INTO seqs (device, next) VALUES (?, ?) ON CONFLICT (device) DO UPDATE SET next = excluded.next'),
      read: db.prepare('SELECT id, topic, payload FROM messages WHERE id > ? ORDER BY id LIMIT ?'),
      dropCandidates: db.prepare('SELECT id, device, priority, bytes FROM messages WHERE id > ? ORDER BY priority, id LIMIT ?'),
      del: db.prepare('DELETE FROM messages WHERE id = ?'),
      ackDel: db.prepare('DELETE FROM messages WHERE id = ? RETURNING bytes').pluck(),
    };
    const row = db.prepare('SELECT count(*) AS n, coalesce(sum(bytes), 0) AS b FROM messages').get() as { n: number; b: number };
    this.count = row.n;
    this.byteCount = row.b;
  }

  /** Messages waiting (not yet acknowledged by the broker). */
  depth(): number {
    return this.count;
  }

  /** Payload bytes waiting. */
  bytes(): number {
    return this.byteCount;
  }

  /** Messages dropped from a full queue since it was opened. */
  dropped(): number {
    return this.droppedTotal;
  }

  /** Change the bounds (a remote config); the next append enforces them. */
  setLimits(limits: QueueLimits): void {
    this.limits = { ...limits };
  }

  /** Call `fn` after each commit that added messages; returns an unsubscribe function. */
  onAppend(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Append one message from `device`; resolves once it is on disk. */
  append(device: string, priority: Priority, build: (seq: number) => { topic: string; payload: string }): Promise<void> {
    if (this.closed) return Promise.reject(new EdgeError('VIGIL_EDGE_CLOSED', 'the queue is closed / 队列已关闭'));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ device, rank: RANK_PRIORITY.indexOf(priority), build, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Take the next `seq` of `device` at once, durably (for messages that bypass the queue, like birth and will). */
  takeSeq(device: string): number {
    const seq = this.nextSeqOf(device);
    this.st.setSeq.run(device, seq + 1);
    this.seqCache.set(device, seq + 1);
    return seq;
  }

  /** Up to `limit` messages after id `afterId`, in order; they are protected from overflow drops from now on. */
  read(afterId: number, limit: number): QueuedMessage[] {
    const rows = this.st.read.all(afterId, limit) as QueuedMessage[];
    const last = rows.at(-1);
    if (last !== undefined && last.id > this.handedOut) this.handedOut = last.id;
    return rows;
  }

  /** The broker acknowledged message `id`: delete it (batched). */
  ack(id: number): void {
    if (this.closed) return; // a PUBACK after close: the message stays and is sent again on the next start
    this.acks.push(id);
    // acks are grouped for up to 20 ms: losing them in a crash only sends those messages again
    if (this.acks.length >= 5_000) this.flushAcks();
    else if (!this.acksScheduled) {
      this.acksScheduled = true;
      this.ackTimer = setTimeout(() => this.flushAcks(), 20);
    }
  }

  /** Commit what is pending and stop taking appends. */
  close(): void {
    this.flush();
    this.flushAcks();
    this.closed = true;
  }

  private nextSeqOf(device: string): number {
    let next = this.seqCache.get(device);
    if (next === undefined) {
      next = (this.st.getSeq.get(device) as number | undefined) ?? 0;
      this.seqCache.set(device, next);
    }
    return next;
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    const touched = new Map<string, number>();
    let drop: DropReport | undefined;
    const addedBytes: number[] = [];
    try {
      this.db.transaction(() => {
        for (const p of batch) {
          const seq = touched.get(p.device) ?? this.nextSeqOf(p.device);
          touched.set(p.device, seq + 1);
          const { topic, payload } = p.build(seq);
          const bytes = Buffer.byteLength(payload);
          this.st.insert.run(p.device, p.rank, topic, payload, bytes);
          addedBytes.push(bytes);
        }
        for (const [device, next] of touched) this.st.setSeq.run(device, next);
        let count = this.count + batch.length;
        let bytes = this.byteCount + addedBytes.reduce((a, b) => a + b, 0);
        if (count > this.limits.maxMessages || bytes > this.limits.maxBytes) {
          const r = this.dropOverflow(count, bytes);
          count = r.count;
          bytes = r.bytes;
          drop = r.report;
        }
        this.count = count;
        this.byteCount = bytes;
      })();
    } catch (err) {
      // nothing of the batch is on disk: forget the cached counters of its devices (reloaded from the database)
      for (const device of touched.keys()) this.seqCache.delete(device);
      const e = new EdgeError('VIGIL_EDGE_QUEUE', `writing to the queue failed: ${(err as Error).message} / 写入队列失败`, { cause: err });
      this.log.error({ err: e, messages: batch.length }, 'queue write failed; the emits are rejected / 队列写入失败，已拒绝这些消息');
      for (const p of batch) p.reject(e);
      return;
    }
    for (const [device, next] of touched) this.seqCache.set(device, next);
    for (const p of batch) p.resolve();
    if (drop !== undefined) {
      this.droppedTotal += drop.count;
      drop.total = this.droppedTotal;
      this.log.warn(
        { dropped: drop.count, byPriority: drop.byPriority, byDevice: drop.byDevice, droppedTotal: drop.total, limits: this.limits },
        `queue full: dropped ${drop.count} message(s), lowest priority first (${describe(drop.byPriority)}) / 队列已满：已丢弃 ${drop.count} 条消息（低优先级优先）`,
      );
      this.onDrop(drop);
    }
    for (const fn of this.listeners) fn();
  }

  /** Inside the append transaction: delete lowest-priority, oldest messages not handed out until within the limits. */
  private dropOverflow(count: number, bytes: number): { count: number; bytes: number; report: DropReport } {
    const report: DropReport = { count: 0, byPriority: {}, byDevice: {}, total: 0 };
    const over = () => count > this.limits.maxMessages || bytes > this.limits.maxBytes;
    while (over()) {
      const rows = this.st.dropCandidates.all(this.handedOut, 500) as { id: number; device: string; priority: number; bytes: number }[];
      if (rows.length === 0) {
        this.log.warn({ depth: count, bytes, limits: this.limits }, 'queue over its limit, but every message left is in flight / 队列超限，但剩余消息均在发送中');
        break;
      }
      for (const r of rows) {
        if (!over()) break;
        this.st.del.run(r.id);
        count--;
        bytes -= r.bytes;
        report.count++;
        const pri = RANK_PRIORITY[r.priority] ?? 'telemetry';
        report.byPriority[pri] = (report.byPriority[pri] ?? 0) + 1;
        report.byDevice[r.device] = (report.byDevice[r.device] ?? 0) + 1;
      }
    }
    return { count, bytes, report };
  }

  private flushAcks(): void {
    this.acksScheduled = false;
    if (this.ackTimer !== undefined) clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    const ids = this.acks;
    if (ids.length === 0) return;
    this.acks = [];
    let n = 0;
    let freed = 0;
    try {
      // no fsync for deletes: a delete lost in a power cut only sends a message again; the next
      // append's fsync (synchronous = FULL) makes these WAL frames durable anyway
      this.db.pragma('synchronous = NORMAL');
      this.db.transaction(() => {
        for (const id of ids) {
          const b = this.st.ackDel.get(id) as number | undefined;
          if (b !== undefined) {
            n++;
            freed += b;
          }
        }
      })();
      this.count -= n;
      this.byteCount -= freed;
    } catch (err) {
      // the rows stay and are sent again after a restart (at least once); consumers remove duplicates by id
      this.log.error({ err, acks: ids.length }, 'deleting acknowledged messages failed / 删除已确认消息失败');
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }
}

function describe(byPriority: Partial<Record<Priority, number>>): string {
  return Object.entries(byPriority)
    .map(([p, n]) => `${p}: ${n}`)
    .join(', ');
}
