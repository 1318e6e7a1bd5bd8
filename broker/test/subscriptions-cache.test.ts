import assert from 'node:assert/strict';
import { test } from 'node:test';
import memoryPersistence from 'aedes-persistence';
import { cacheSubscriptionsByTopic } from '../src/subscriptions-cache.js';

interface Store {
  subscriptionsByTopic(topic: string): Promise<{ clientId: string }[]>;
  addSubscriptions(client: { id: string }, subs: { topic: string; qos: number }[]): Promise<void>;
  removeSubscriptions(client: { id: string }, topics: string[]): Promise<void>;
  cleanSubscriptions(client: { id: string }): Promise<void>;
  setup(broker: object): Promise<void>;
}

const ids = async (store: Store, topic: string) => (await store.subscriptionsByTopic(topic)).map((s) => s.clientId).sort();

async function memoryStore(): Promise<Store> {
  const store = cacheSubscriptionsByTopic((memoryPersistence as unknown as () => Store)());
  await store.setup({ id: 'b1' });
  return store;
}

test('a remembered answer is dropped when a session subscribes, unsubscribes or is cleaned', async () => {
  const store = await memoryStore();
  const topic = 'vigil/v1/s/d/telemetry';
  assert.deepEqual(await ids(store, topic), []);
  await store.addSubscriptions({ id: 'ingest' }, [{ topic: 'vigil/v1/+/+/telemetry', qos: 1 }]);
  assert.deepEqual(await ids(store, topic), ['ingest']);
  assert.deepEqual(await ids(store, topic), ['ingest']);
  await store.addSubscriptions({ id: 'analytics' }, [{ topic: 'vigil/v1/s/#', qos: 1 }]);
  assert.deepEqual(await ids(store, topic), ['analytics', 'ingest']);
  await store.removeSubscriptions({ id: 'ingest' }, ['vigil/v1/+/+/telemetry']);
  assert.deepEqual(await ids(store, topic), ['analytics']);
  await store.cleanSubscriptions({ id: 'analytics' });
  assert.deepEqual(await ids(store, topic), []);
});

test('an answer read before a change that finishes first is not kept', async () => {
  // a store whose lookups answer only when told to, with what was subscribed when they were asked
  const subs: { clientId: string }[] = [];
  const waiting: (() => void)[] = [];
  const slow = {
    subscriptionsByTopic: (_topic: string) => {
      const snapshot = [...subs];
      return new Promise<{ clientId: string }[]>((resolve) => waiting.push(() => resolve(snapshot)));
    },
    addSubscriptions: async (client: { id: string }) => {
      subs.push({ clientId: client.id });
    },
    removeSubscriptions: async () => undefined,
    cleanSubscriptions: async () => undefined,
  };
  const store = cacheSubscriptionsByTopic(slow);
  const stale = store.subscriptionsByTopic('t');
  await store.addSubscriptions({ id: 'late' });
  waiting.shift()!();
  assert.deepEqual(await stale, []);
  // had the old answer been kept, this would read [] from the cache without asking the store
  const fresh = store.subscriptionsByTopic('t');
  assert.equal(waiting.length, 1, 'the store was asked again');
  waiting.shift()!();
  assert.deepEqual(await fresh, [{ clientId: 'late' }]);
});
