import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import memoryPersistence from 'aedes-persistence';
import fc from 'fast-check';
import { indexOutgoing } from '../src/outgoing-index.js';

// The indexed outgoing queue must behave exactly like aedes-persistence's own:
// run that package's abstract persistence suite (every persistence backend's
// conformance tests) against the in-memory persistence with the index in place.
const require = createRequire(import.meta.url);
const abstractSuite = require('aedes-persistence/abstract.js') as (opts: { test: typeof test; persistence: () => unknown; testAsync: boolean }) => void;
const factory = memoryPersistence as unknown as () => unknown;

abstractSuite({ test, persistence: () => indexOutgoing(factory()), testAsync: true });

// Differential check against the original queue: the same random sequence of
// enqueues (with one message queued twice for a client, as overlapping
// subscriptions do), deliveries, redeliveries from another broker and
// acknowledgements must give the same results and leave the same queue.
interface Store {
  outgoingEnqueueCombi(subs: { clientId: string }[], packet: object): Promise<void>;
  outgoingUpdate(client: { id: string }, packet: object): Promise<void>;
  outgoingClearMessageId(client: { id: string }, packet: object): Promise<{ brokerCounter?: number } | undefined>;
  outgoingStream(client: { id: string }): AsyncIterable<{ brokerId?: string; brokerCounter?: number; messageId?: number }>;
}

type Op =
  | { kind: 'enqueue'; broker: number; copies: number }
  | { kind: 'update'; broker: number; counter: number; messageId: number }
  | { kind: 'clear'; messageId: number | undefined };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('enqueue' as const), broker: fc.integer({ min: 0, max: 1 }), copies: fc.integer({ min: 1, max: 2 }) }),
  fc.record({ kind: fc.constant('update' as const), broker: fc.integer({ min: 0, max: 1 }), counter: fc.integer({ min: 1, max: 8 }), messageId: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('clear' as const), messageId: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }) }),
);

async function apply(store: Store, ops: Op[]): Promise<unknown[]> {
  const client = { id: 'c1' };
  const counters = [0, 0];
  const results: unknown[] = [];
  for (const op of ops) {
    if (op.kind === 'enqueue') {
      const packet = { cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 1, brokerId: `b${op.broker}`, brokerCounter: ++counters[op.broker]! };
      await store.outgoingEnqueueCombi(Array.from({ length: op.copies }, () => ({ clientId: client.id })), packet);
      results.push('enqueued');
    } else if (op.kind === 'update') {
      const packet = { cmd: 'publish', topic: 't', qos: 1, brokerId: `b${op.broker}`, brokerCounter: op.counter, messageId: op.messageId };
      results.push(await store.outgoingUpdate(client, packet).then(() => 'updated', (err: Error) => err.message));
    } else {
      const cleared = await store.outgoingClearMessageId(client, { messageId: op.messageId });
      results.push(cleared === undefined ? 'none' : `cleared ${cleared.brokerCounter}`);
    }
    const queue: unknown[] = [];
    for await (const p of store.outgoingStream(client)) queue.push([p.brokerId, p.brokerCounter, p.messageId]);
    results.push(queue);
  }
  return results;
}

test('the indexed queue gives the same results as the original for any sequence of operations', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { maxLength: 40 }), async (ops) => {
      const original = await apply(factory() as Store, ops);
      const indexed = await apply(indexOutgoing(factory()) as Store, ops);
      assert.deepEqual(indexed, original);
    }),
    { numRuns: 500 },
  );
});

test('a message queued twice for one client is delivered and acknowledged twice (overlapping subscriptions)', async () => {
  const store = indexOutgoing(factory()) as Store;
  const client = { id: 'agent' };
  const packet = { cmd: 'publish', topic: 'door/cmd/lock', payload: Buffer.from('lock'), qos: 1, brokerId: 'b', brokerCounter: 7 };
  await store.outgoingEnqueueCombi([{ clientId: 'agent' }, { clientId: 'agent' }], packet);
  await store.outgoingUpdate(client, { ...packet, messageId: 1 });
  assert.equal((await store.outgoingClearMessageId(client, { messageId: 1 }))?.brokerCounter, 7);
  // the second copy is still found by its broker counter
  await store.outgoingUpdate(client, { ...packet, messageId: 2 });
  assert.equal((await store.outgoingClearMessageId(client, { messageId: 2 }))?.brokerCounter, 7);
  const left: unknown[] = [];
  for await (const p of store.outgoingStream(client)) left.push(p);
  assert.deepEqual(left, []);
});
