/** The part of an mqemitter (Aedes' message bus, also mqemitter-redis) this touches. */
interface Emitter {
  _do(message: unknown, callback: unknown): unknown;
}

/**
 * Turn mqemitter's re-entrant draining of its queue into a loop.
 *
 * mqemitter 7 queues messages beyond its concurrency (Aedes: 100 in flight)
 * and, when one finishes, starts the next from inside that finish. If
 * deliveries complete synchronously (no subscriber left, e.g. once the broker
 * has disconnected its slow consumers), every queued message nests one level
 * deeper, and a queue of some thousands overflows the stack: the broker died
 * with "Maximum call stack size exceeded" in the hour-long soak on a loaded
 * machine. Here a `_do` called while another is running is appended to a
 * list that the outermost call works through, in order, before returning: the
 * same messages, in the same order, still synchronously, on a flat stack.
 */
export function trampolineMq<M extends object>(mq: M): M {
  const target = mq as unknown as Emitter;
  if (typeof target._do !== 'function') throw new TypeError('not an mqemitter: no _do method');
  const run = target._do.bind(mq);
  const pending: [unknown, unknown][] = [];
  let running = false;
  target._do = (message, callback) => {
    pending.push([message, callback]);
    if (running) return mq;
    running = true;
    try {
      for (let next = pending.shift(); next !== undefined; next = pending.shift()) run(next[0], next[1]);
    } finally {
      running = false;
    }
    return mq;
  };
  return mq;
}
