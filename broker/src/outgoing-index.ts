import { Readable } from 'node:stream';
import packetModule from 'aedes-packet';

/** The outgoing-queue methods of an Aedes persistence (promise style, as Aedes 1.x calls them). */
interface OutgoingStore {
  outgoingEnqueue(sub: { clientId: string }, packet: object): Promise<void>;
  outgoingEnqueueCombi(subs: { clientId: string }[], packet: object): Promise<void>;
  outgoingUpdate(client: { id: string }, packet: QueuedPacket): Promise<void>;
  outgoingClearMessageId(client: { id: string }, packet: QueuedPacket): Promise<QueuedPacket | undefined>;
  outgoingStream(client: { id: string }): Readable;
  destroy?(cb?: () => void): unknown;
}

interface QueuedPacket {
  brokerId?: string;
  brokerCounter?: number;
  messageId?: number;
}

/**
 * One client's outgoing queue: packets in enqueue order, found by
 * (brokerId, brokerCounter) and by message id without a scan. A key may be
 * held by several packets (a client with overlapping subscriptions gets one
 * message queued twice), so each index keeps the keys' sequence numbers in
 * queue order and every lookup takes the first, as the original's scan does.
 */
class ClientQueue {
  readonly order = new Map<number, QueuedPacket>();
  private readonly byBroker = new Map<string, number[]>();
  private readonly byMessageId = new Map<number, number[]>();
  private nextSeq = 0;

  add(packet: QueuedPacket): void {
    const seq = this.nextSeq++;
    this.order.set(seq, packet);
    insertSeq(this.byBroker, brokerKey(packet), seq);
    if (packet.messageId !== undefined) insertSeq(this.byMessageId, packet.messageId, seq);
  }

  /**
   * aedes-persistence's `outgoingUpdate`: the first packet in queue order that
   * is this one (same brokerId and brokerCounter) takes its message id; or, if
   * a packet from another broker with this message id comes first, the given
   * packet takes its place.
   */
  update(packet: QueuedPacket): void {
    const own = this.byBroker.get(brokerKey(packet))?.[0];
    const other = this.firstFromOtherBroker(packet);
    if (own === undefined && other === undefined) throw new Error('no such packet');
    if (own !== undefined && (other === undefined || own < other)) {
      this.setMessageId(own, this.order.get(own)!, packet.messageId);
      return;
    }
    const seq = other!;
    removeSeq(this.byBroker, brokerKey(this.order.get(seq)!), seq);
    this.order.set(seq, packet);
    insertSeq(this.byBroker, brokerKey(packet), seq);
  }

  /** aedes-persistence's `outgoingClearMessageId`: remove and return the first packet with this message id (none: the first not yet sent). */
  clear(packet: QueuedPacket): QueuedPacket | undefined {
    const seq = packet.messageId === undefined ? this.firstWhere((p) => p.messageId === undefined) : this.byMessageId.get(packet.messageId)?.[0];
    if (seq === undefined) return undefined;
    const stored = this.order.get(seq)!;
    this.order.delete(seq);
    removeSeq(this.byBroker, brokerKey(stored), seq);
    if (stored.messageId !== undefined) removeSeq(this.byMessageId, stored.messageId, seq);
    return stored;
  }

  private setMessageId(seq: number, stored: QueuedPacket, messageId: number | undefined): void {
    if (stored.messageId !== undefined) removeSeq(this.byMessageId, stored.messageId, seq);
    stored.messageId = messageId;
    if (messageId !== undefined) insertSeq(this.byMessageId, messageId, seq);
  }

  private firstFromOtherBroker(packet: QueuedPacket): number | undefined {
    const differs = (p: QueuedPacket) => p.brokerId !== packet.brokerId;
    // a packet not yet given an id: rare (Aedes always updates with one), so a scan
    if (packet.messageId === undefined) return this.firstWhere((p) => p.messageId === undefined && differs(p));
    return this.byMessageId.get(packet.messageId)?.find((seq) => differs(this.order.get(seq)!));
  }

  private firstWhere(match: (p: QueuedPacket) => boolean): number | undefined {
    for (const [seq, p] of this.order) if (match(p)) return seq;
    return undefined;
  }
}

/** Add `seq` to the key's list, keeping it ascending (almost always an append). */
function insertSeq<K>(index: Map<K, number[]>, key: K, seq: number): void {
  const list = index.get(key);
  if (list === undefined) {
    index.set(key, [seq]);
    return;
  }
  let i = list.length;
  while (i > 0 && list[i - 1]! > seq) i--;
  list.splice(i, 0, seq);
}

function removeSeq<K>(index: Map<K, number[]>, key: K, seq: number): void {
  const list = index.get(key);
  if (list === undefined) return;
  const i = list.indexOf(seq);
  if (i >= 0) list.splice(i, 1);
  if (list.length === 0) index.delete(key);
}

// aedes-packet is CommonJS exporting its constructor; its typings describe a namespace
const Packet = packetModule as unknown as new (original: object) => QueuedPacket;

function brokerKey(p: QueuedPacket): string {
  return `${p.brokerId}\u0000${p.brokerCounter}`;
}

/**
 * Replace the outgoing queue of Aedes's in-memory persistence with an indexed
 * one. aedes-persistence 11 scans a client's whole queue on every
 * `outgoingUpdate` (each QoS 1 delivery) and `outgoingClearMessageId` (each
 * PUBACK) and splices the array: with ingest holding ~2,000 unacknowledged
 * messages that is ~4,000 comparisons and a 2,000-slot memmove per message,
 * the largest single cost in the broker under load (bench:broker). Same
 * semantics (checked by aedes-persistence's own abstract test suite in
 * broker/test/outgoing-index.test.ts), O(1) per operation.
 */
export function indexOutgoing<T>(persistence: T): T {
  const store = persistence as unknown as OutgoingStore;
  const queues = new Map<string, ClientQueue>();
  const queueOf = (id: string) => {
    let q = queues.get(id);
    if (q === undefined) queues.set(id, (q = new ClientQueue()));
    return q;
  };
  store.outgoingEnqueue = async (sub, packet) => {
    queueOf(sub.clientId).add(new Packet(packet));
  };
  store.outgoingEnqueueCombi = async (subs, packet) => {
    for (const sub of subs) queueOf(sub.clientId).add(new Packet(packet));
  };
  store.outgoingUpdate = async (client, packet) => {
    const q = queues.get(client.id);
    if (q === undefined) throw new Error('no such packet');
    q.update(packet);
  };
  store.outgoingClearMessageId = async (client, packet) => {
    const q = queues.get(client.id);
    const cleared = q?.clear(packet);
    if (q !== undefined && q.order.size === 0) queues.delete(client.id);
    return cleared;
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
