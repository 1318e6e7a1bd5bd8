import type { Redis } from 'ioredis';

/** What the wrapper reads of a client and of an outgoing packet. */
interface Client {
  id: string;
}
interface OutgoingPacket {
  cmd?: string;
  messageId?: number;
  brokerId?: string;
  brokerCounter?: number | string;
}

/** The part of aedes-persistence-redis this wrapper touches. */
interface ClearsOutgoing {
  outgoingUpdate(client: Client, packet: OutgoingPacket): Promise<void>;
  outgoingClearMessageId(client: Client, packet: OutgoingPacket): Promise<unknown>;
}

/** How many sent-and-unacknowledged packets are remembered (aedes-persistence-redis keeps 100 000 in its own cache). */
const REMEMBERED = 100_000;

// The key layout of aedes-persistence-redis 11 (asyncPersistence.js): a client's queue, a queued packet's
// count of the queues still holding it, and a QoS 2 packet's entry once PUBREC has come.
const queueKey = (clientId: string) => `outgoing:${encodeURIComponent(clientId)}`;
const countKey = (brokerId: string, counter: string) => `packet:${brokerId}:${counter}:offlineCount`;
const entryKey = (clientId: string, packet: OutgoingPacket, brokerId: string, counter: string) =>
  packet.cmd === 'pubrel' ? `${queueKey(clientId)}:${brokerId}:${counter}` : `packet:${brokerId}:${counter}`;

/**
 * Take the client's entry off its queue; 0 if it held none (this packet was cleared for the client
 * already). Several entries (a message matching overlapping filters is queued once per filter) are
 * counted down here but for one, which the library's own DECR takes.
 */
const TAKE_ENTRY = `local n = redis.call('LREM', KEYS[1], 0, ARGV[1])
if n > 1 then redis.call('DECRBY', KEYS[2], n - 1) end
return n`;

/**
 * Count a queued QoS 1/2 message down once per client, however often that client acknowledges it.
 *
 * aedes-persistence-redis queues each message once for every persistent session subscribed to it,
 * with a count of the queues holding it, and deletes the message when the count reaches 0. Every
 * PUBACK counts it down, also a second one from the same client for the same message. A client gets
 * a message twice when it reconnects while messages flow: Aedes restores its subscriptions (live
 * deliveries start) and then sends its queue, which holds those live messages too. Its two PUBACKs
 * took the count to 0 while another subscriber (analytics, or ingest while it reconnected) still had
 * the message queued, and that subscriber never got it: acknowledged messages were lost at a broker
 * restart (docs/faults.md, finding 3). Here a PUBACK counts down only if it takes the client's entry
 * off the client's queue, checked and taken in one Redis script; a repeated one changes nothing.
 */
export function clearOutgoingOnce<P extends object>(persistence: P, redis: Redis): P {
  const target = persistence as unknown as ClearsOutgoing;
  if (typeof target.outgoingUpdate !== 'function' || typeof target.outgoingClearMessageId !== 'function') {
    throw new TypeError('persistence has no outgoingUpdate/outgoingClearMessageId methods');
  }
  const update = target.outgoingUpdate.bind(persistence);
  const clear = target.outgoingClearMessageId.bind(persistence);
  /** client id + message id -> the client's queue entry and the packet's count, for what this process sent. */
  const sent = new Map<string, { queue: string; entry: string; count: string }>();
  const key = (client: Client, packet: OutgoingPacket) => `${client.id}\u0000${packet.messageId}`;

  target.outgoingUpdate = async (client, packet) => {
    await update(client, packet); // fills in brokerId and brokerCounter when the packet lacks them
    if (packet.brokerId === undefined || packet.brokerCounter === undefined || packet.messageId === undefined) return;
    const counter = String(packet.brokerCounter);
    const k = key(client, packet);
    sent.delete(k); // re-inserted last: the map's order is the order of sending
    sent.set(k, { queue: queueKey(client.id), entry: entryKey(client.id, packet, packet.brokerId, counter), count: countKey(packet.brokerId, counter) });
    if (sent.size > REMEMBERED) sent.delete(sent.keys().next().value as string);
  };

  target.outgoingClearMessageId = async (client, packet) => {
    const k = key(client, packet);
    const mine = sent.get(k);
    if (mine === undefined) return clear(client, packet); // sent by another process, or forgotten: as the library does
    sent.delete(k);
    const taken = (await redis.eval(TAKE_ENTRY, 2, mine.queue, mine.count, mine.entry)) as number;
    return taken === 0 ? undefined : clear(client, packet);
  };
  return persistence;
}
