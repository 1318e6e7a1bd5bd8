/** The subscription methods of an Aedes persistence (promise style when called without a callback, as Aedes 1.x does). */
interface SubscriptionStore {
  subscriptionsByTopic(topic: string, cb?: (err: Error | null, subs?: unknown[]) => void): unknown;
  addSubscriptions(client: unknown, subs: unknown[], cb?: unknown): unknown;
  removeSubscriptions(client: unknown, topics: string[], cb?: unknown): unknown;
  cleanSubscriptions(client: unknown, cb?: unknown): unknown;
  /** aedes-persistence's CallBackPersistence: the store it delegates to; `broadcast` there when subscriptions are shared over the bus. */
  asyncPersistence?: { broadcast?: unknown };
}

/** Topics whose subscribers are remembered before the cache starts over. */
const TOPICS_KEPT = 20_000;

/**
 * Remember `subscriptionsByTopic` per topic until the subscriptions change.
 *
 * Aedes asks it for every QoS 1/2 PUBLISH (to queue the message for each
 * persistent session that matches) and the in-memory persistence answers by
 * walking its topic trie and building a new array each time, although the
 * answer only changes when a persistent session subscribes, unsubscribes or is
 * cleaned. Every such change goes through this object, and the cache is
 * emptied both when it starts and when it has finished (a lookup in between
 * may see either state, as without the cache, and is not kept past the end).
 * The answer is shared between callers: Aedes only reads it (outgoingEnqueueCombi,
 * or a filtered copy for `$SYS`). Not used when the persistence shares
 * subscriptions with other brokers over the bus (`broadcastSubscriptions`),
 * which changes its trie without these methods.
 */
export function cacheSubscriptionsByTopic<T>(persistence: T): T {
  const store = persistence as unknown as SubscriptionStore;
  const byTopic = store.subscriptionsByTopic.bind(store);
  const cache = new Map<string, unknown[]>();
  // changes under way (nothing is kept while one runs), and a count of changes begun or ended: an answer
  // read before one of those is not kept
  let changing = 0;
  let generation = 0;
  const begin = () => {
    cache.clear();
    changing++;
    generation++;
  };
  const end = () => {
    changing--;
    generation++;
    cache.clear();
  };
  const changed = <A extends unknown[]>(original: (...args: A) => unknown) => {
    return (...args: A): unknown => {
      begin();
      let result: unknown;
      try {
        result = original(...args);
      } catch (err) {
        end();
        throw err;
      }
      // callback style: the in-memory store's trie changes within the call
      if (result instanceof Promise) result.then(end, end);
      else end();
      return result;
    };
  };
  store.addSubscriptions = changed(store.addSubscriptions.bind(store));
  store.removeSubscriptions = changed(store.removeSubscriptions.bind(store));
  store.cleanSubscriptions = changed(store.cleanSubscriptions.bind(store));
  store.subscriptionsByTopic = (topic, cb) => {
    if (cb !== undefined || store.asyncPersistence?.broadcast !== undefined) return byTopic(topic, cb);
    const known = cache.get(topic);
    if (known !== undefined) return Promise.resolve(known);
    const readAt = generation;
    const answer = byTopic(topic) as Promise<unknown[]>;
    if (changing > 0) return answer;
    return answer.then((subs) => {
      // a change that began (or ended) since the trie was read: keep nothing
      if (generation === readAt && Array.isArray(subs)) {
        if (cache.size >= TOPICS_KEPT) cache.clear();
        cache.set(topic, subs);
      }
      return subs;
    });
  };
  return persistence;
}
