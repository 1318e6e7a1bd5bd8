import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { BrokerError } from '../src/errors.js';
import { openSqlitePersistence } from '../src/persistence-sqlite.js';

// The SQLite-backed persistence is Aedes' in-memory one with every change also
// written to a file: it must pass aedes-persistence's own conformance suite,
// and a reopened file must give back the state it was closed (or killed) with.
const require = createRequire(import.meta.url);
const abstractSuite = require('aedes-persistence/abstract.js') as (opts: { test: typeof test; persistence: () => unknown; testAsync: boolean }) => void;
abstractSuite({ test, persistence: () => openSqlitePersistence(':memory:').persistence, testAsync: true });

type Packet = { cmd: string; topic: string; payload: Buffer; qos: number; retain?: boolean; dup?: boolean; brokerId?: string; brokerCounter?: number; messageId?: number };
interface Store {
  setup(broker: object): Promise<void>;
  addSubscriptions(client: { id: string }, subs: { topic: string; qos: number }[]): Promise<void>;
  removeSubscriptions(client: { id: string }, topics: string[]): Promise<void>;
  subscriptionsByTopic(topic: string): Promise<{ clientId: string; topic: string; qos: number }[]>;
  subscriptionsByClient(client: { id: string }): Promise<{ topic: string; qos: number }[]>;
  storeRetained(packet: Packet): Promise<void>;
  createRetainedStream(pattern: string): AsyncIterable<Packet>;
  outgoingEnqueueCombi(subs: { clientId: string }[], packet: Packet): Promise<void>;
  outgoingUpdate(client: { id: string }, packet: Packet): Promise<void>;
  outgoingClearMessageId(client: { id: string }, packet: { messageId?: number }): Promise<Packet | undefined>;
  outgoingStream(client: { id: string }): AsyncIterable<Packet>;
  incomingStorePacket(client: { id: string }, packet: Packet): Promise<void>;
  incomingGetPacket(client: { id: string }, packet: { messageId: number }): Promise<Packet>;
}

const broker = { id: 'broker-test', counter: 0 };
async function open(file: string): Promise<{ store: Store; close(): Promise<void> }> {
  const p = openSqlitePersistence(file);
  const store = p.persistence as unknown as Store;
  await store.setup(broker);
  return { store, close: p.close };
}
const list = async <T>(s: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of s) out.push(x);
  return out;
};
const publish = (n: number, extra: Partial<Packet> = {}): Packet => ({ cmd: 'publish', topic: `vigil/v1/s/d${n}/telemetry`, payload: Buffer.from(`m${n}`), qos: 1, brokerId: 'b0', brokerCounter: n, ...extra });

test('a reopened file has the sessions, queues, retained messages and QoS 2 packets it was left with', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-broker-sqlite-'));
  try {
    const file = join(dir, 'sub', 'state.sqlite');
    const a = await open(file);
    const ingest = { id: 'vigil-ingest' };
    await a.store.addSubscriptions(ingest, [{ topic: 'vigil/v1/#', qos: 1 }, { topic: 'other/#', qos: 1 }]);
    await a.store.removeSubscriptions(ingest, ['other/#']);
    for (let n = 1; n <= 4; n++) await a.store.outgoingEnqueueCombi([{ clientId: ingest.id }], publish(n));
    await a.store.outgoingUpdate(ingest, { ...publish(1), messageId: 7 }); // sent, not acknowledged
    await a.store.outgoingUpdate(ingest, { ...publish(2), messageId: 8 });
    assert.equal((await a.store.outgoingClearMessageId(ingest, { messageId: 8 }))?.brokerCounter, 2); // acknowledged
    await a.store.storeRetained({ ...publish(9), retain: true });
    await a.store.incomingStorePacket({ id: 'dev-1' }, { ...publish(10, { qos: 2 }), messageId: 3 });
    // no close: the process dies with what has resolved so far
    const b = await open(file).catch((err: unknown) => err);
    assert.ok(b instanceof BrokerError && /in use by another broker process/.test(b.message), 'a second process cannot open a file in use');
    await a.close();

    const c = await open(file);
    assert.deepEqual(await c.store.subscriptionsByClient(ingest), [{ topic: 'vigil/v1/#', qos: 1, rh: undefined, rap: undefined, nl: undefined }]);
    assert.deepEqual((await c.store.subscriptionsByTopic('vigil/v1/s/d1/telemetry')).map((s) => s.clientId), ['vigil-ingest']);
    const queue = await list(c.store.outgoingStream(ingest));
    // the one sent before goes out again marked DUP, under an id the new connection will give it
    assert.deepEqual(
      queue.map((p) => [p.brokerCounter, p.messageId, p.dup, p.payload.toString()]),
      [[1, undefined, true, 'm1'], [3, undefined, false, 'm3'], [4, undefined, false, 'm4']],
    );
    // the queue goes on from where it was: a new message after the restored ones, a restored one sent and acknowledged
    await c.store.outgoingEnqueueCombi([{ clientId: ingest.id }], publish(5));
    await c.store.outgoingUpdate(ingest, { ...publish(1), messageId: 40_000 });
    assert.equal((await c.store.outgoingClearMessageId(ingest, { messageId: 40_000 }))?.brokerCounter, 1);
    assert.deepEqual((await list(c.store.createRetainedStream('#'))).map((p) => p.payload.toString()), ['m9']);
    assert.equal((await c.store.incomingGetPacket({ id: 'dev-1' }, { messageId: 3 })).payload.toString(), 'm10');
    await c.close();
    const d = await open(file);
    assert.deepEqual((await list(d.store.outgoingStream(ingest))).map((p) => p.brokerCounter), [3, 4, 5]);
    await d.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file that is not a broker state file stops start-up with VIGIL_BROKER_PERSISTENCE naming it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-broker-sqlite-'));
  try {
    const file = join(dir, 'not-a-db');
    writeFileSync(file, 'this is not an SQLite file, it is long enough to have a header '.repeat(4));
    assert.throws(() => openSqlitePersistence(file), (err: unknown) => err instanceof BrokerError && err.code === 'VIGIL_BROKER_PERSISTENCE' && err.message.includes(file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('random enqueues, deliveries and acknowledgements: the reopened queue equals the live one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-broker-sqlite-'));
  let run = 0;
  const op = fc.oneof(
    fc.record({ kind: fc.constant('enqueue' as const), copies: fc.integer({ min: 1, max: 2 }) }),
    fc.record({ kind: fc.constant('update' as const), counter: fc.integer({ min: 1, max: 8 }), messageId: fc.integer({ min: 1, max: 4 }), other: fc.boolean() }),
    fc.record({ kind: fc.constant('clear' as const), messageId: fc.integer({ min: 1, max: 4 }) }),
  );
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
        const file = join(dir, `q${run++}.sqlite`);
        const a = await open(file);
        const client = { id: 'c1' };
        let counter = 0;
        for (const o of ops) {
          if (o.kind === 'enqueue') await a.store.outgoingEnqueueCombi(Array.from({ length: o.copies }, () => ({ clientId: client.id })), publish(++counter));
          else if (o.kind === 'update') await a.store.outgoingUpdate(client, publish(o.counter, { messageId: o.messageId, brokerId: o.other ? 'b1' : 'b0' })).catch(() => undefined);
          else await a.store.outgoingClearMessageId(client, { messageId: o.messageId });
        }
        // a packet sent before the reopen comes back without its id, marked DUP
        const shape = (q: Packet[]) => q.map((p) => [p.brokerId, p.brokerCounter, p.messageId !== undefined || p.dup === true, p.payload.toString()]);
        const live = shape(await list(a.store.outgoingStream(client)));
        await a.close();
        const b = await open(file);
        assert.deepEqual(shape(await list(b.store.outgoingStream(client))), live);
        await b.close();
      }),
      { numRuns: 60 },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
