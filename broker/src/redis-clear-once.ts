import type { Redis } from 'ioredis';

/** What the wrapper reads of a client and of an outgoing packet. */
interface Client {
  id: string;
  /** Aedes' next outgoing packet identifier for this connection (lib/qos-packet.js). */
  _nextId?: number;
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
 *
 * It also keeps a session's packet identifiers unique among its unacknowledged messages
 * [MQTT-2.3.1-2]. Aedes resends a queued message under the identifier it was last sent with
 * [MQTT-4.4.0-1], while live messages take identifiers from the new connection's counter, so after a
 * reconnect (and after a broker restart, whose counter starts anywhere) a live message and a resent one
 * could go out under one identifier; the library then tied that identifier to one of them, and the
 * client's PUBACK cleared that one while the other stayed queued (delivered again at the next connect),
 * or cleared a message the client had not yet acknowledged. Whichever of the two is sent second now
 * gets the connection's next free identifier.
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

  const remember = (client: Client, packet: OutgoingPacket & { brokerId: string }) => {
    const counter = String(packet.brokerCounter);
    const k = key(client, packet);
    sent.delete(k); // re-inserted last: the map's order is the order of sending
    sent.set(k, { queue: queueKey(client.id), entry: entryKey(client.id, packet, packet.brokerId, counter), count: countKey(packet.brokerId, counter) });
    if (sent.size > REMEMBERED) sent.delete(sent.keys().next().value as string);
  };

  target.outgoingUpdate = async (client, packet) => {
    const known = packet.brokerId !== undefined && packet.brokerCounter !== undefined && packet.messageId !== undefined;
    if (known && packet.cmd === 'publish') {
      // taken before the first await, so two PUBLISHes being sent at once cannot both take one identifier
      const holder = sent.get(key(client, packet));
      if (holder !== undefined && holder.entry !== entryKey(client.id, packet, packet.brokerId!, String(packet.brokerCounter))) {
        packet.messageId = unusedId(client, (id) => sent.has(`${client.id}\u0000${id}`)) ?? packet.messageId;
      }
      remember(client, packet as OutgoingPacket & { brokerId: string });
    }
    try {
      await update(client, packet); // fills in brokerId and brokerCounter when the packet lacks them (PUBREL)
    } catch (err) {
      if (known && packet.cmd === 'publish') sent.delete(key(client, packet)); // not sent: its identifier is free again
      throw err;
    }
    if (!known && packet.brokerId !== undefined && packet.brokerCounter !== undefined && packet.messageId !== undefined) {
      remember(client, packet as OutgoingPacket & { brokerId: string });
    }
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

/**
 * The next packet identifier of the connection not held by a message still awaiting its PUBACK, taken
 * from Aedes' own counter (1..65535, wrapping); undefined if the client has no such counter.
 */
function unusedId(client: Client, inUse: (id: number) => boolean): number | undefined {
  if (typeof client._nextId !== 'number') return undefined;
  for (let tries = 0; tries < 65_535; tries++) {
    const id: number = client._nextId;
    client._nextId = id >= 65_535 ? 1 : id + 1;
    if (!inUse(id)) return id;
  }
  return undefined;
}
