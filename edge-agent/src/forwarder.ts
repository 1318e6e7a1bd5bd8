import type { MqttClient } from 'mqtt';
import type { Logger } from './logger.js';
import type { DiskQueue, QueuedMessage } from './queue.js';

/** Options of the forwarder. */
export interface ForwarderOptions {
  /** Most QoS 1 publishes awaiting PUBACK at once. */
  inflight: number;
  /**
   * Most queue messages published per second, 0 for no limit. The broker disconnects a client over its
   * per-client rate (`messagesPerClientPerSecond`, default 1 000), which would make a gateway flushing a
   * backlog resend its window again and again: stay under it.
   */
  ratePerS?: number;
  /** Messages read from disk per page. */
  pageSize?: number;
  /**
   * May the agent publish for `device`? 'unknown' holds the queue (in order) until `poke()`;
   * 'no' drops that device's messages (the broker would close the connection on each one).
   */
  permit?: (device: string) => 'yes' | 'no' | 'unknown';
  /** Called for each message dropped because its device is not permitted. */
  onRefused?: (device: string) => void;
  log: Logger;
}

/**
 * Moves messages from the disk queue to the broker: reads pages in id order,
 * keeps at most `inflight` QoS 1 publishes outstanding, and acks a message in
 * the queue only on its PUBACK. While the link is down the outstanding ones
 * wait in mqtt.js's session store and are sent again, in order, on reconnect
 * (clean session off); nothing new is read until they are acknowledged.
 * After an agent restart everything still on disk is sent again from the start.
 */
export class Forwarder {
  private cursor = 0;
  private page: QueuedMessage[] = [];
  private pageAt = 0;
  private outstanding = 0;
  private running = false;
  private pumping = false;
  private unsubscribe: (() => void) | undefined;
  private readonly pageSize: number;
  private readonly rate: number;
  private tokens: number;
  private refilledAt = Date.now();
  private wake: NodeJS.Timeout | undefined;

  constructor(
    private readonly queue: DiskQueue,
    private readonly client: MqttClient,
    private readonly opts: ForwarderOptions,
  ) {
    this.pageSize = opts.pageSize ?? 500;
    this.rate = opts.ratePerS ?? 0;
    this.tokens = this.rate;
  }

  /** Token bucket holding one second's worth: true if one more publish fits the rate now. */
  private takeToken(): boolean {
    if (this.rate <= 0) return true;
    const now = Date.now();
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.refilledAt) * this.rate) / 1000);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    this.wake ??= setTimeout(() => {
      this.wake = undefined;
      this.pump();
    }, Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.rate)));
    return false;
  }

  start(): void {
    this.running = true;
    this.unsubscribe = this.queue.onAppend(() => this.pump());
    this.pump();
  }

  /** Stop reading; outstanding publishes stay on disk unless their PUBACK still arrives. */
  stop(): void {
    this.running = false;
    this.unsubscribe?.();
    if (this.wake !== undefined) clearTimeout(this.wake);
  }

  /** Look for work again (after a permit changed). */
  poke(): void {
    this.pump();
  }

  /** Publishes awaiting PUBACK. */
  inFlight(): number {
    return this.outstanding;
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.running && this.outstanding < this.opts.inflight) {
        if (this.pageAt >= this.page.length) {
          this.page = this.queue.read(this.cursor, this.pageSize);
          this.pageAt = 0;
          if (this.page.length === 0) return;
        }
        const m = this.page[this.pageAt]!;
        const device = m.topic.split('/', 4)[3] ?? '';
        const verdict = this.opts.permit?.(device) ?? 'yes';
        if (verdict === 'unknown') return;
        if (verdict === 'no') {
          this.pageAt++;
          this.cursor = m.id;
          this.queue.ack(m.id);
          this.opts.onRefused?.(device);
          continue;
        }
        if (!this.takeToken()) return;
        this.pageAt++;
        this.cursor = m.id;
        this.outstanding++;
        this.client.publish(m.topic, m.payload, { qos: 1 }, (err) => {
          this.outstanding--;
          if (err === undefined || err === null) this.queue.ack(m.id);
          else if (this.running) this.opts.log.warn({ err, id: m.id }, 'publish failed; the message stays queued for the next start / 发布失败，消息留在队列中');
          this.pump(); // a no-op inside pump(), whose loop sees the freed slot
        });
      }
    } finally {
      this.pumping = false;
    }
  }
}
