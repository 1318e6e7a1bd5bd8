/** The parts of a qlobber (mqemitter's `_matcher`) this touches. */
interface Matcher {
  match(topic: string, ctx?: unknown): unknown[];
  add(topic: string, val: unknown): unknown;
  remove(topic: string, val?: unknown): unknown;
  clear(): unknown;
  get_restorer?(options?: unknown): (obj: unknown) => unknown;
}

/** Topics whose listeners are remembered before the cache starts over. */
const TOPICS_KEPT = 20_000;

/**
 * Remember which listeners match a topic until the listeners change.
 *
 * mqemitter (Aedes' message bus, also mqemitter-redis) asks its qlobber for
 * the listeners of every message's topic: the topic is split into a new array
 * of words and the trie walked, for an answer that only changes when a client
 * subscribes or unsubscribes. Every change goes through the matcher's add,
 * remove, clear (or a restorer from get_restorer), and each empties the cache.
 * The answer is shared between messages: mqemitter (fastparallel) only reads
 * it. A matcher without these methods is left as it is.
 */
export function cacheMatches(mq: object): void {
  const matcher = (mq as { _matcher?: Partial<Matcher> })._matcher;
  if (matcher === undefined || typeof matcher.match !== 'function' || typeof matcher.add !== 'function' || typeof matcher.remove !== 'function' || typeof matcher.clear !== 'function') {
    return;
  }
  const m = matcher as Matcher;
  const match = m.match.bind(m);
  const add = m.add.bind(m);
  const remove = m.remove.bind(m);
  const clear = m.clear.bind(m);
  const cache = new Map<string, unknown[]>();
  m.add = (topic, val) => {
    cache.clear();
    return add(topic, val);
  };
  m.remove = (topic, val) => {
    cache.clear();
    // no `val`: every listener of the topic (qlobber's own default)
    return remove(topic, val);
  };
  m.clear = () => {
    cache.clear();
    return clear();
  };
  if (typeof m.get_restorer === 'function') {
    const restorer = m.get_restorer.bind(m);
    m.get_restorer = (options) => {
      const restore = restorer(options);
      return (obj) => {
        cache.clear();
        return restore(obj);
      };
    };
  }
  m.match = (topic, ctx) => {
    if (ctx !== undefined) return match(topic, ctx);
    let found = cache.get(topic);
    if (found === undefined) {
      found = match(topic);
      if (cache.size >= TOPICS_KEPT) cache.clear();
      cache.set(topic, found);
    }
    return found;
  };
}
