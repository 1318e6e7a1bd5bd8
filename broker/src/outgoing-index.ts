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
 * (brokerId, brokerCounter) and by message id in O(1). Insertion-ordered Map
 * gives ordered iteration and O(1) removal.
 */
class ClientQueue {
  readonly order = new Map<number, QueuedPacket>();
  readonly byBroker = new Map<string, number>();
  readonly byMessageId = new Map<number, number>();
  private nextSeq = 0;

  add(packet: QueuedPacket): void {
    const seq = this.nextSeq++;
    this.order.set(seq, packet);
    if (packet.brokerId !== undefined) this.byBroker.set(brokerKey(packet), seq);
    if (packet.messageId !== undefined) this.byMessageId.set(packet.messageId, seq);
  }

  /** Same outcome as aedes-persistence's linear `outgoingUpdate`, by index. */
  update(packet: QueuedPacket): void {
    if (packet.brokerId !== undefined) {
      const seq = this.byBroker.get(brokerKey(packet));
      const stored = seq === undefined ? undefined : this.order.get(seq);
      if (seq !== undefined && stored !== undefined) {
        if (stored.messageId !== undefined && this.byMessageId.get(stored.messageId) === seq) this.byMessageId.delete(stored.messageId);
        stored.messageId = packet.messageId;
        if (packet.messageId !== undefined) this.byMessageId.set(packet.messageId, seq);
        return;
      }
    }
    // a packet from elsewhere (a PUBREL, or one from another broker) takes the place of the one with its message id
    const seq = packet.messageId === undefined ? undefined : this.byMessageId.get(packet.messageId);
    const stored = seq === undefined ? undefined : this.order.get(seq);
    if (seq === undefined || stored === undefined || stored.brokerId === packet.brokerId) throw new Error('no such packet');
    if (stored.brokerId !== undefined && this.byBroker.get(brokerKey(stored)) === seq) this.byBroker.delete(brokerKey(stored));
    this.order.set(seq, packet);
    if (packet.brokerId !== undefined) this.byBroker.set(brokerKey(packet), seq);
  }

  /** Remove and return the packet acknowledged by `packet.messageId` (or, with none, this very packet if still queued). */
  clear(packet: QueuedPacket): QueuedPacket | undefined {
    let seq = packet.messageId === undefined ? undefined : this.byMessageId.get(packet.messageId);
    if (seq === undefined && packet.messageId === undefined) seq = packet.brokerId === undefined ? this.firstUnsent() : this.byBroker.get(brokerKey(packet));
    if (seq === undefined) return undefined;
    const stored = this.order.get(seq);
    if (stored === undefined) return undefined;
    this.order.delete(seq);
    if (stored.messageId !== undefined && this.byMessageId.get(stored.messageId) === seq) this.byMessageId.delete(stored.messageId);
    if (stored.brokerId !== undefined && this.byBroker.get(brokerKey(stored)) === seq) this.byBroker.delete(brokerKey(stored));
    return stored;
  }

  private firstUnsent(): number | undefined {
    for (const [seq, p] of this.order) if (p.messageId === undefined) return seq;
    return undefined;
  }
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
