import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqemitter from 'mqemitter';
import { cacheMatches } from '../src/mq-match-cache.js';

/** Emit one message on `topic` and return the names of the listeners that got it. */
function deliveredTo(mq: ReturnType<typeof mqemitter>, topic: string): Promise<string[]> {
  const got: string[] = [];
  current = got;
  return new Promise((resolve) => mq.emit({ topic }, () => resolve(got.sort())));
}
let current: string[] = [];
const listener = (name: string) => (_msg: unknown, cb: () => void) => {
  current.push(name);
  cb();
};

test('each topic is matched once until the listeners change, and a change is seen at once', async () => {
  const mq = mqemitter({ concurrency: 100, matchEmptyLevels: true });
  const matcher = (mq as unknown as { _matcher: { match(topic: string): unknown[] } })._matcher;
  const original = matcher.match.bind(matcher);
  let walks = 0;
  matcher.match = (topic: string) => {
    walks++;
    return original(topic);
  };
  cacheMatches(mq);
  const a = listener('a');
  const b = listener('b');
  mq.on('vigil/v1/+/+/telemetry', a);
  assert.deepEqual(await deliveredTo(mq, 'vigil/v1/s/d/telemetry'), ['a']);
  assert.deepEqual(await deliveredTo(mq, 'vigil/v1/s/d/telemetry'), ['a']);
  assert.equal(walks, 1, 'the second message used the remembered answer');
  mq.on('vigil/v1/s/#', b);
  assert.deepEqual(await deliveredTo(mq, 'vigil/v1/s/d/telemetry'), ['a', 'b']);
  // mqemitter removes a listener on the next turn
  await new Promise<void>((resolve) => mq.removeListener('vigil/v1/+/+/telemetry', a, () => resolve()));
  assert.deepEqual(await deliveredTo(mq, 'vigil/v1/s/d/telemetry'), ['b']);
  // mqemitter's removeAllListeners (missing from its typings) removes at once, through the matcher's remove without a value
  (mq as unknown as { removeAllListeners(topic: string): void }).removeAllListeners('vigil/v1/s/#');
  assert.deepEqual(await deliveredTo(mq, 'vigil/v1/s/d/telemetry'), []);
  mq.on('vigil/v1/s/d/telemetry', a);
  (mq as unknown as { _matcher: { clear(): void } })._matcher.clear();
  assert.deepEqual(await deliveredTo(mq, 'vigil/v1/s/d/telemetry'), []);
});
