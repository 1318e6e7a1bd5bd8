import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqemitter from 'mqemitter';
import { trampolineMq } from '../src/mq-trampoline.js';

// A long queue behind one held delivery, then the hold released: mqemitter drains the queue re-entrantly.
function drainAfterHold(mq: ReturnType<typeof mqemitter>, queued: number): { delivered: string[]; error?: unknown } {
  let release: (() => void) | undefined;
  mq.on('hold', (_msg, cb) => {
    release = cb;
  });
  const delivered: string[] = [];
  mq.on('seen/+', (msg, cb) => {
    delivered.push(String(msg.n));
    cb();
  });
  mq.emit({ topic: 'hold' });
  for (let i = 0; i < queued; i++) mq.emit({ topic: i % 2 === 0 ? 'seen/a' : 'nobody', n: i });
  try {
    release!();
    return { delivered };
  } catch (error) {
    return { delivered, error };
  }
}

test('without the trampoline a long queue released at once overflows the stack (the soak crash)', () => {
  const { error } = drainAfterHold(mqemitter({ concurrency: 1 }), 50_000);
  assert.ok(error instanceof RangeError, `expected a stack overflow, got ${String(error)}`);
});

test('with the trampoline every queued message is delivered, in order, on a flat stack', () => {
  const queued = 60_000;
  const { delivered, error } = drainAfterHold(trampolineMq(mqemitter({ concurrency: 1 })), queued);
  assert.equal(error, undefined);
  assert.equal(delivered.length, queued / 2);
  assert.deepEqual(delivered.slice(0, 3), ['0', '2', '4']);
  assert.equal(delivered.at(-1), String(queued - 2));
  assert.ok(delivered.every((n, i) => Number(n) === i * 2), 'in the order they were emitted');
});
