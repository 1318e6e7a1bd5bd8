import { Readable } from 'node:stream';
import packetModule from 'aedes-packet';
import { cacheSubscriptionsByTopic } from './subscriptions-cache.js';

/** The outgoing-queue methods of an Aedes persistence (promise style, as Aedes 1.x calls them). */
interface OutgoingStore {
  outgoingEnqueue(sub: { clientId: string }, packet: object): Promise<void>;
  outgoingEnqueueCombi(subs: { clientId: string }[], packet: object): Promise<void>;
  outgoingUpdate(client: { id: string }, packet: QueuedPacket): Promise<void>;
  outgoingClearMessageId(client: { id: string }, packet: QueuedPacket): Promise<QueuedPacket | undefined>;
  outgoingStream(client: { id: string }): Readable;
  destroy?(cb?: () => void): unknown;
}

/** A queued packet (an aedes-packet), as far as the queue reads it. */
export interface QueuedPacket {
  brokerId?: string;
  brokerCounter?: number;
  messageId?: number;
}

/**
 * Told of every change to a client's queue, in order, so it can be kept on disk
 * (see persistence-sqlite.ts). `seq` orders a client's packets and names one.
 */
export interface OutgoingJournal {
  added(clientId: string, seq: number, packet: QueuedPacket): void;
  /** The packet at `seq` took a message id (it was sent). */
  idSet(clientId: string, seq: number, messageId: number | undefined): void;
  /** The packet at `seq` was replaced by another broker's packet with its message id. */
  replaced(clientId: string, seq: number, packet: QueuedPacket): void;
  removed(clientId: string, seq: number): void;
  /** Resolves once every change told so far is durable. */
  flushed(): Promise<void>;
}

/** What indexOutgoing starts from and reports to, for a persistence kept on disk. */
export interface OutgoingDurability {
  journal: OutgoingJournal;
  /** The queues as last stored: every client's packets in ascending `seq`. */
  restore: Iterable<{ clientId: string; seq: number; packet: QueuedPacket }>;
}

/**
 * Sequence numbers held under one key, ascending: a number when there is one
 * (all but always: a key is almost never shared), an array when there are several.
 * No array and no string key per message: this runs twice per QoS 1 delivery.
 */
type Seqs = number | number[];

/** Add `seq` to the key's entry, keeping it ascending (almost always an append). */
function insertSeq<K>(index: Map<K, Seqs>, key: K, seq: number): void {
  const held = index.get(key);
  if (held === undefined) index.set(key, seq);
  else if (typeof held === 'number') index.set(key, held < seq ? [held, seq] : [seq, held]);
  else {
    let i = held.length;
    while (i > 0 && held[i - 1]! > seq) i--;
    held.splice(i, 0, seq);
  }
}

function removeSeq<K>(index: Map<K, Seqs>, key: K, seq: number): void {
  const held = index.get(key);
  if (held === undefined) return;
  if (typeof held === 'number') {
    if (held === seq) index.delete(key);
    return;
  }
  const i = held.indexOf(seq);
  if (i >= 0) held.splice(i, 1);
  if (held.length === 1) index.set(key, held[0]!);
  else if (held.length === 0) index.delete(key);
}

/**
 * One client's outgoing queue: packets in enqueue order, found by
 * (brokerId, brokerCounter) and by message id without a scan. A key may be
 * held by several packets (a client with overlapping subscriptions gets one
 * message queued twice), so each index keeps the keys' sequence numbers in
 * queue order and every lookup takes the first, as the original's scan does.
 * The (brokerId, brokerCounter) index is keyed by the counter alone and checks
 * the broker id of what it finds: packets of several brokers (a queue restored
 * from disk after a restart, whose counters start again) share an entry.
 */
class ClientQueue {
  readonly order = new Map<number, QueuedPacket>();
  private readonly byCounter = new Map<number | undefined, Seqs>();
  private readonly byMessageId = new Map<number, Seqs>();
  private nextSeq = 0;

  constructor(
    private readonly clientId: string,
    private readonly journal: OutgoingJournal | undefined,
  ) {}

  add(packet: QueuedPacket): void {
    const seq = this.nextSeq++;
    this.put(seq, packet);
    this.journal?.added(this.clientId, seq, packet);
  }

  /** Put back a packet as stored (ascending `seq`), without telling the journal. */
  restore(seq: number, packet: QueuedPacket): void {
    this.nextSeq = Math.max(this.nextSeq, seq + 1);
    this.put(seq, packet);
  }

  private put(seq: number, packet: QueuedPacket): void {
    this.order.set(seq, packet);
    insertSeq(this.byCounter, packet.brokerCounter, seq);
    if (packet.messageId !== undefined) insertSeq(this.byMessageId, packet.messageId, seq);
  }

  /**
   * aedes-persistence's `outgoingUpdate`: the first packet in queue order that
   * is this one (same brokerId and brokerCounter) takes its message id; or, if
   * a packet from another broker with this message id comes first, the given
   * packet takes its place.
   */
  update(packet: QueuedPacket): void {
    const own = this.firstOwn(packet);
    const other = this.firstFromOtherBroker(packet);
    if (own === undefined && other === undefined) throw new Error('no such packet');
    if (own !== undefined && (other === undefined || own < other)) {
      this.setMessageId(own, this.order.get(own)!, packet.messageId);
      return;
    }
    const seq = other!;
    const replaced = this.order.get(seq)!;
    removeSeq(this.byCounter, replaced.brokerCounter, seq);
    this.order.set(seq, packet);
    insertSeq(this.byCounter, packet.brokerCounter, seq);
    this.journal?.replaced(this.clientId, seq, packet);
  }

  /** aedes-persistence's `outgoingClearMessageId`: remove and return the first packet with this message id (none: the first not yet sent). */
  clear(packet: QueuedPacket): QueuedPacket | undefined {
    let seq: number | undefined;
    if (packet.messageId === undefined) {
      for (const [s, p] of this.order) {
        if (p.messageId === undefined) {
          seq = s;
          break;
        }
      }
    } else {
      const held = this.byMessageId.get(packet.messageId);
      seq = typeof held === 'number' ? held : held?.[0];
    }
    if (seq === undefined) return undefined;
    const stored = this.order.get(seq)!;
    this.order.delete(seq);
    removeSeq(this.byCounter, stored.brokerCounter, seq);
    if (stored.messageId !== undefined) removeSeq(this.byMessageId, stored.messageId, seq);
    this.journal?.removed(this.clientId, seq);
    return stored;
  }

  private setMessageId(seq: number, stored: QueuedPacket, messageId: number | undefined): void {
    if (stored.messageId !== undefined) removeSeq(this.byMessageId, stored.messageId, seq);
    stored.messageId = messageId;
    if (messageId !== undefined) insertSeq(this.byMessageId, messageId, seq);
    this.journal?.idSet(this.clientId, seq, messageId);
  }

  /** The first packet in queue order with this packet's brokerId and brokerCounter. */
  private firstOwn(packet: QueuedPacket): number | undefined {
    const held = this.byCounter.get(packet.brokerCounter);
    if (held === undefined) return undefined;
    if (typeof held === 'number') return this.order.get(held)!.brokerId === packet.brokerId ? held : undefined;
    for (const seq of held) if (this.order.get(seq)!.brokerId === packet.brokerId) return seq;
    return undefined;
  }

  /** The first packet in queue order from another broker with this packet's message id. */
  private firstFromOtherBroker(packet: QueuedPacket): number | undefined {
    if (packet.messageId === undefined) {
      // a packet not yet given an id: rare (Aedes always updates with one), so a scan
      for (const [seq, p] of this.order) if (p.messageId === undefined && p.brokerId !== packet.brokerId) return seq;
      return undefined;
    }
    const held = this.byMessageId.get(packet.messageId);
    if (held === undefined) return undefined;
    if (typeof held === 'number') return this.order.get(held)!.brokerId !== packet.brokerId ? held : undefined;
    for (const seq of held) if (this.order.get(seq)!.brokerId !== packet.brokerId) return seq;
    return undefined;
  }
}

// aedes-packet is CommonJS exporting its constructor; its typings describe a namespace
const Packet = packetModule as unknown as new (original: object) => QueuedPacket;

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Replace the outgoing queue of Aedes's in-memory persistence with an indexed
 * one. aedes-persistence 11 scans a client's whole queue on every
 * `outgoingUpdate` (each QoS 1 delivery) and `outgoingClearMessageId` (each
 * PUBACK) and splices the array: with ingest holding ~2,000 unacknowledged
 * messages that is ~4,000 comparisons and a 2,000-slot memmove per message,
 * the largest single cost in the broker under load (bench:broker). Same
 * semantics (checked by aedes-persistence's own abstract test suite in
 * broker/test/outgoing-index.test.ts), O(1) per operation.
 *
 * Also remembers `subscriptionsByTopic` per topic until the subscriptions
 * change (subscriptions-cache.ts): asked on every QoS 1/2 PUBLISH to know
 * which queues take it.
 *
 * With `durable`, the queues start as stored and every change is told to the
 * journal; an enqueue resolves only once it is durable (the PUBACK to the
 * publisher waits for that, see ack-after-queued.ts). Deliveries and
 * acknowledgements do not wait: lost, they only mean a message sent again.
 */
export function indexOutgoing<T>(persistence: T, durable?: OutgoingDurability): T {
  const store = cacheSubscriptionsByTopic(persistence) as unknown as OutgoingStore;
  const journal = durable?.journal;
  const queues = new Map<string, ClientQueue>();
  const queueOf = (id: string) => {
    let q = queues.get(id);
    if (q === undefined) queues.set(id, (q = new ClientQueue(id, journal)));
    return q;
  };
  for (const { clientId, seq, packet } of durable?.restore ?? []) queueOf(clientId).restore(seq, Object.assign(new Packet(packet), { messageId: packet.messageId }));
  // Promise-returning like the original's async methods, without an async function's frame per call
  // (Aedes chains .then on each); a throw becomes a rejection, as it would in an async function.
  store.outgoingEnqueue = (sub, packet) => {
    try {
      queueOf(sub.clientId).add(new Packet(packet));
      return journal === undefined ? RESOLVED : journal.flushed();
    } catch (err) {
      return Promise.reject(err as Error);
    }
  };
  store.outgoingEnqueueCombi = (subs, packet) => {
    try {
      for (let i = 0; i < subs.length; i++) queueOf(subs[i]!.clientId).add(new Packet(packet));
      return journal === undefined || subs.length === 0 ? RESOLVED : journal.flushed();
    } catch (err) {
      return Promise.reject(err as Error);
    }
  };
  store.outgoingUpdate = (client, packet) => {
    const q = queues.get(client.id);
    try {
      if (q === undefined) throw new Error('no such packet');
      q.update(packet);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return RESOLVED;
  };
  store.outgoingClearMessageId = (client, packet) => {
    const q = queues.get(client.id);
    let cleared: QueuedPacket | undefined;
    try {
      cleared = q?.clear(packet);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    if (q !== undefined && q.order.size === 0) queues.delete(client.id);
    return Promise.resolve(cleared);
  };
  // a snapshot, as the original: the stream must not see packets cleared while it is read
  store.outgoingStream = (client) => Readable.from([...(queues.get(client.id)?.order.values() ?? [])]);
  const destroy = store.destroy?.bind(store);
  if (destroy !== undefined) {
    store.destroy = (cb) => {
      queues.clear();
      return destroy(cb);
    };
  }
  return persistence;
}
