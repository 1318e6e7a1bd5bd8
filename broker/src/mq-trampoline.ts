import { cacheMatches } from './mq-match-cache.js';

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
 *
 * Also remembers each topic's listeners until they change (mq-match-cache.ts).
 */
export function trampolineMq<M extends object>(mq: M): M {
  const target = mq as unknown as Emitter;
  if (typeof target._do !== 'function') throw new TypeError('not an mqemitter: no _do method');
  cacheMatches(mq);
  const run = target._do.bind(mq);
  // the outermost call runs its own message directly; nested ones wait in two parallel lists (no pair per message, no shift)
  const messages: unknown[] = [];
  const callbacks: unknown[] = [];
  let running = false;
  target._do = (message, callback) => {
    if (running) {
      messages.push(message);
      callbacks.push(callback);
      return mq;
    }
    running = true;
    let done = 0;
    try {
      // leftovers of a call that threw go first, as they would have in a single list
      if (messages.length === 0) run(message, callback);
      else {
        messages.push(message);
        callbacks.push(callback);
      }
      while (done < messages.length) {
        const i = done++;
        run(messages[i], callbacks[i]);
      }
    } finally {
      // after a throw, what was not reached stays queued for the next call, as before
      messages.splice(0, done);
      callbacks.splice(0, done);
      running = false;
    }
    return mq;
  };
  return mq;
}
