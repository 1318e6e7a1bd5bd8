import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { topicMatches } from '@vigil/broker';

/** The plain reading of [MQTT-4.7] that the allocation-free matcher must agree with. */
function reference(filter: string, topic: string): boolean {
  if (topic.startsWith('$') !== filter.startsWith('$')) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

const level = fc.constantFrom('', 'a', 'b', 'ab', '$SYS', 'vigil');
const topic = fc.array(level, { minLength: 1, maxLength: 5 }).map((l) => l.join('/'));
const filter = fc
  .tuple(fc.array(fc.oneof(level, fc.constant('+')), { minLength: 0, maxLength: 5 }), fc.boolean())
  .map(([levels, hash]) => [...levels, ...(hash || levels.length === 0 ? ['#'] : [])].join('/'));

test('topicMatches agrees with the split-based reading of MQTT 3.1.1 on random filters and topics', () => {
  fc.assert(
    fc.property(filter, topic, (f, t) => topicMatches(f, t) === reference(f, t)),
    { numRuns: 20_000 },
  );
});

test('topicMatches edge cases', () => {
  assert.equal(topicMatches('a/#', 'a'), true);
  assert.equal(topicMatches('a/+', 'a'), false);
  assert.equal(topicMatches('+', ''), true);
  assert.equal(topicMatches('a//+', 'a//b'), true);
  assert.equal(topicMatches('#', '$SYS/x'), false);
  assert.equal(topicMatches('$SYS/#', '$SYS/x'), true);
});
