import type { Aedes, AedesOptions, Client } from 'aedes';

type AuthorizePublish = NonNullable<AedesOptions['authorizePublish']>;
type Publish = (packet: object, client: Client | null, done: (err?: Error | null) => void) => void;

/**
 * PUBACK a QoS 1 PUBLISH only once the message is queued for every persistent
 * session that subscribes to it. Aedes 1.2 writes the PUBACK first and then
 * publishes (lib/handlers/publish.js), so a broker killed between the two has
 * acknowledged a message that no queue holds; with a durable persistence
 * (persistence-sqlite.ts) that window is all that is left to lose.
 *
 * Publishes it from the authorizePublish hook, after the authorization: the
 * publish resolves once the persistence has taken the message
 * (outgoingEnqueueCombi), and only then does Aedes go on to write the PUBACK.
 * Its own publish of that packet right after is skipped. A publish that fails
 * (the persistence could not write) fails the authorization: the client is
 * disconnected without a PUBACK and sends the message again. QoS 2 already
 * stores before its PUBREC; QoS 0 and the broker's own publishes (wills,
 * $SYS) are untouched.
 *
 * Returns the hook to give Aedes; call `attach` on the broker it built.
 */
export function ackAfterQueued(inner: AuthorizePublish): { authorizePublish: AuthorizePublish; attach(aedes: Aedes): void } {
  const published = new WeakSet<object>();
  let publish: Publish | undefined;
  return {
    authorizePublish: (client, packet, done) =>
      inner(client, packet, (err) => {
        if (err || packet.qos !== 1 || client === null || publish === undefined) return done(err);
        publish(packet, client, (pubErr) => {
          if (pubErr) return done(pubErr);
          published.add(packet);
          done(null);
        });
      }),
    attach(aedes) {
      // Aedes 1.2 publish(packet, client, done); its typings know only publish(packet, done)
      const original = aedes.publish.bind(aedes) as unknown as Publish;
      publish = original;
      (aedes as unknown as { publish: Publish }).publish = (packet, client, done) => {
        if (published.delete(packet)) return void (done ?? (() => undefined))(null);
        original(packet, client, done);
      };
    },
  };
}
