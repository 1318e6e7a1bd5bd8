import type { AedesOptions, Client } from 'aedes';

type AuthorizeForward = NonNullable<AedesOptions['authorizeForward']>;
type PreConnect = NonNullable<AedesOptions['preConnect']>;

/** How many recent deliveries per client are remembered; the copies of one message arrive in one turn. */
const REMEMBERED = 256;

/**
 * Stands in for Aedes' per-client `duplicates` record: reads 0 and keeps nothing, so Aedes' own
 * check passes every delivery on to authorizeForward, where the exact check below runs.
 */
const NOTHING_SEEN: Record<string, number> = new Proxy(Object.create(null) as Record<string, number>, {
  get: () => 0,
  set: () => true,
  deleteProperty: () => true,
});

/**
 * Drop a delivery only if this very message (broker id and counter) was delivered to the client
 * already, not every message numbered below the highest delivered.
 *
 * Aedes 1.2 numbers each publish (brokerCounter) and, to send a message matching two of a client's
 * filters once, drops any delivery whose number is not above the highest it delivered to that client
 * (`dedupe` in lib/client.js). That holds only if messages are emitted in the order they were
 * numbered, and they are not: a retained message is stored before it is queued and emitted, and with
 * Redis each queue write is a round trip, so a message published just after overtakes it. The
 * overtaken message was then dropped for that client: lost for a clean session, and for a persistent
 * one (ingest) left in its queue until its next connect. A device's retained status followed by its
 * first fix lost the status; on the Redis layout, bursts of an edge agent's fixes after a broker
 * restart went undelivered (docs/faults.md, finding 3; upstream moscajs/aedes#955 and #994).
 *
 * `preConnect` swaps the client's record for one that lets everything through (before any
 * subscription of the client can deliver); `authorizeForward` then checks the exact message.
 */
export function exactDedupe(): { preConnect(inner: PreConnect): PreConnect; authorizeForward(inner: AuthorizeForward): AuthorizeForward } {
  const delivered = new WeakMap<Client, Set<string>>();
  return {
    preConnect: (inner) => (client, packet, done) => {
      (client as unknown as { duplicates: Record<string, number> }).duplicates = NOTHING_SEEN;
      inner(client, packet, done);
    },
    authorizeForward: (inner) => (client, packet) => {
      const { brokerId, brokerCounter } = packet as { brokerId?: string | null; brokerCounter?: number };
      // retained messages sent at SUBSCRIBE carry no broker id: each SUBSCRIBE gets them, as in Aedes
      if (brokerId) {
        const key = `${brokerId}:${brokerCounter}`;
        let seen = delivered.get(client);
        if (seen === undefined) delivered.set(client, (seen = new Set()));
        if (seen.has(key)) return null;
        seen.add(key);
        if (seen.size > REMEMBERED) seen.delete(seen.values().next().value as string);
      }
      return inner(client, packet);
    },
  };
}
