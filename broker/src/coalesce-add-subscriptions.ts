/** The part of an Aedes persistence this wrapper touches. */
interface AddsSubscriptions {
  addSubscriptions(client: unknown, subs: unknown[]): Promise<unknown>;
}

/**
 * Make concurrent `addSubscriptions` calls for one SUBSCRIBE packet a single write.
 *
 * Aedes 1.2 calls `addSubscriptions(client, packet.subscriptions)` once per
 * filter of a SUBSCRIBE, in parallel, each time with all of its filters.
 * aedes-persistence's broadcast (used by aedes-persistence-redis) waits for
 * its own `$SYS/sub/add` echo under a key of client id and first filter, so
 * the parallel calls overwrite each other's waiter and all but one never
 * resolve: a SUBSCRIBE with two or more filters got no SUBACK on Redis
 * (ingest's four channels, so ingest never became ready in the cluster
 * layout). Calls with the same `subs` array (the same packet) share the first
 * call's promise; the array is the WeakMap key, so nothing outlives the packet.
 */
export function coalesceAddSubscriptions<P extends object>(persistence: P): P {
  // aedes-persistence-redis' typings leave the method out; Aedes calls it at run time
  const target = persistence as unknown as AddsSubscriptions;
  if (typeof target.addSubscriptions !== 'function') throw new TypeError('persistence has no addSubscriptions method');
  const add = target.addSubscriptions.bind(persistence);
  const inFlight = new WeakMap<object, Promise<unknown>>();
  target.addSubscriptions = (client, subs) => {
    let write = inFlight.get(subs);
    if (write === undefined) {
      write = add(client, subs);
      inFlight.set(subs, write);
    }
    return write;
  };
  return persistence;
}
