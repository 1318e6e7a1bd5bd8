import type { Readable } from 'node:stream';

/** The part of an Aedes persistence this wrapper touches. */
interface OutgoingStore {
  outgoingStream(client: unknown): Readable;
}

/**
 * [MQTT-3.3.1-1] The DUP flag MUST be 1 when the server re-delivers a PUBLISH.
 * Aedes 1.2 resends a stored, unacknowledged packet as it was first sent, with
 * DUP 0. A packet in the outgoing store that already has a message id was sent
 * before (the id is assigned on first delivery), so it goes out again with DUP 1;
 * messages queued while the client was away keep DUP 0. Works for any
 * persistence with the standard `outgoingStream` (memory or Redis).
 */
export function markRedeliveries<T>(persistence: T): T {
  const store = persistence as unknown as OutgoingStore;
  const original = store.outgoingStream.bind(store);
  store.outgoingStream = (client) =>
    original(client).map((packet: { messageId?: number }) =>
      packet.messageId ? Object.assign(Object.create(Object.getPrototypeOf(packet) as object) as object, packet, { dup: true }) : packet,
    );
  return persistence;
}
