import type { Duplex } from 'node:stream';

/**
 * Send what the broker writes to one connection in one turn of the event loop
 * as one socket write.
 *
 * mqtt-packet corks the stream for each packet and uncorks it on the next
 * tick, and Aedes writes each packet from its own callback, so every PUBACK to
 * a device and every PUBLISH to a subscriber became its own writev system
 * call: about a fifth of the broker's CPU under load (bench:ingest profile).
 * Here the uncork waits for setImmediate, after the I/O of this turn has been
 * handled: all packets of the turn leave together. Back-pressure is unchanged
 * (write() still returns false past the high-water mark and 'drain' follows
 * the flush); the delay is at most one turn of the loop. Closing the stream
 * (destroy, end) sends what is held first: Aedes closes a refused connection
 * in the turn it writes the CONNACK, and destroy() would discard it.
 */
export function coalesceWrites(stream: Duplex): Duplex {
  const uncork = stream.uncork.bind(stream);
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    while (stream.writableCorked > 0) uncork();
  };
  stream.uncork = () => {
    if (!scheduled) {
      scheduled = true;
      flushSoon(flush);
    }
  };
  const destroy = stream.destroy.bind(stream);
  stream.destroy = (err?: Error) => {
    flush();
    return destroy(err);
  };
  const end = stream.end.bind(stream) as (...args: unknown[]) => Duplex;
  stream.end = ((...args: unknown[]) => {
    flush();
    return end(...args);
  }) as Duplex['end'];
  return stream;
}

/**
 * One setImmediate for every connection that has writes held, not one each
 * (an Immediate and a turn of the timers' list per connection per turn).
 * A flush asked for while the list is being worked through waits for the next one.
 */
let held: (() => void)[] = [];
let spare: (() => void)[] = [];
let flushScheduled = false;
function flushHeld(): void {
  flushScheduled = false;
  const now = held;
  held = spare;
  let i = 0;
  try {
    for (; i < now.length; i++) now[i]!();
  } finally {
    // a flush that threw must not leave the other connections' writes held
    for (let j = i + 1; j < now.length; j++) flushSoon(now[j]!);
    now.length = 0;
    spare = now;
  }
}
function flushSoon(flush: () => void): void {
  held.push(flush);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushHeld);
  }
}
