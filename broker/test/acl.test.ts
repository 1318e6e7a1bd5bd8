import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canPublish, canReceive, canSubscribe, filterWithin, serviceAccounts, topicMatches, type Principal } from '@vigil/broker';

const dev: Principal = { kind: 'device', id: 'tag-1', site: 'prison-a' };
const [ingest, analytics, cc] = serviceAccounts({ ingest: 'i'.repeat(16), analytics: 'a'.repeat(16), commandCenter: 'c'.repeat(16) }).map(
  (account): Principal => ({ kind: 'service', account }),
) as [Principal, Principal, Principal];
const anon: Principal = { kind: 'anonymous' };

const rule = (d: { ok: boolean; rule?: string }) => (d.ok ? 'ok' : d.rule);

test('topicMatches follows MQTT 3.1.1 wildcards', () => {
  assert.equal(topicMatches('a/+/c', 'a/b/c'), true);
  assert.equal(topicMatches('a/+/c', 'a/b/d'), false);
  assert.equal(topicMatches('a/#', 'a'), true); // [MQTT-4.7.1-2]
  assert.equal(topicMatches('a/#', 'a/b/c'), true);
  assert.equal(topicMatches('a/+', 'a/b/c'), false);
  assert.equal(topicMatches('#', '$SYS/x'), false); // [MQTT-4.7.2-1]
  assert.equal(topicMatches('+/x', '$SYS/x'), false);
});

test('filterWithin: a narrower filter is within, a wider or sideways one is not', () => {
  const own = 'vigil/v1/s/d/cmd/#';
  assert.equal(filterWithin(own, 'vigil/v1/s/d/cmd/#'), true);
  assert.equal(filterWithin(own, 'vigil/v1/s/d/cmd/+'), true);
  assert.equal(filterWithin(own, 'vigil/v1/s/d/cmd/reboot'), true);
  assert.equal(filterWithin(own, 'vigil/v1/s/+/cmd/#'), false);
  assert.equal(filterWithin(own, 'vigil/v1/s/d/#'), false);
  assert.equal(filterWithin(own, '#'), false);
  assert.equal(filterWithin(own, 'vigil/v1/s/other/cmd/#'), false);
  assert.equal(filterWithin('vigil/v1/+/+/telemetry', 'vigil/v1/s/+/telemetry'), true);
  assert.equal(filterWithin('vigil/v1/+/+/telemetry', 'vigil/v1/+/#'), false);
  assert.equal(filterWithin('vigil/v1/+/+/telemetry', 'vigil/v1/+/+/telemetry/x'), false);
});

test('a device publishes only its own data channels and command results', () => {
  for (const ch of ['telemetry', 'event', 'status', 'lp', 'cmd/reboot/res']) {
    assert.equal(rule(canPublish(dev, `vigil/v1/prison-a/tag-1/${ch}`)), 'ok', ch);
  }
  assert.equal(rule(canPublish(dev, 'vigil/v1/prison-a/tag-2/telemetry')), 'device-not-own-topic');
  assert.equal(rule(canPublish(dev, 'vigil/v1/prison-b/tag-1/telemetry')), 'device-not-own-topic');
  assert.equal(rule(canPublish(dev, 'vigil/v1/prison-a/alerts')), 'device-not-own-topic');
  assert.equal(rule(canPublish(dev, 'vigil/v1/prison-a/tag-1/cmd/reboot')), 'device-publish-command');
  assert.equal(rule(canPublish(dev, 'vigil/v1/prison-a/tag-1/other')), 'not-a-vigil-topic');
  assert.equal(rule(canPublish(dev, 'vigil/v1/prison-a/tag-1/telemetry/extra')), 'not-a-vigil-topic');
  assert.equal(rule(canPublish(dev, '$SYS/broker/x')), 'sys-reserved');
});

test('a device subscribes to and receives only its own commands', () => {
  assert.equal(rule(canSubscribe(dev, 'vigil/v1/prison-a/tag-1/cmd/#')), 'ok');
  assert.equal(rule(canSubscribe(dev, 'vigil/v1/prison-a/tag-1/cmd/locate')), 'ok');
  assert.equal(rule(canSubscribe(dev, 'vigil/v1/prison-a/tag-2/cmd/#')), 'device-not-own-commands');
  assert.equal(rule(canSubscribe(dev, '#')), 'device-not-own-commands');
  assert.equal(rule(canSubscribe(dev, 'vigil/v1/prison-a/+/cmd/#')), 'device-not-own-commands');
  assert.equal(rule(canSubscribe(dev, '$SYS/#')), 'sys-reserved');
  assert.equal(rule(canReceive(dev, 'vigil/v1/prison-a/tag-1/cmd/locate')), 'ok');
  assert.equal(rule(canReceive(dev, 'vigil/v1/prison-a/tag-2/cmd/locate')), 'device-not-own-commands');
  assert.equal(rule(canReceive(dev, 'vigil/v1/prison-a/tag-1/status')), 'device-not-own-commands');
});

test('svc-ingest reads device channels and publishes nothing', () => {
  assert.equal(rule(canSubscribe(ingest, 'vigil/v1/+/+/telemetry')), 'ok');
  assert.equal(rule(canSubscribe(ingest, 'vigil/v1/+/+/event')), 'ok');
  assert.equal(rule(canSubscribe(ingest, 'vigil/v1/+/+/status')), 'ok');
  assert.equal(rule(canSubscribe(ingest, 'vigil/v1/prison-a/+/telemetry')), 'ok');
  assert.equal(rule(canSubscribe(ingest, 'vigil/v1/#')), 'service-subscribe-not-in-account');
  assert.equal(rule(canSubscribe(ingest, 'vigil/v1/+/+/cmd/#')), 'service-subscribe-not-in-account');
  assert.equal(rule(canPublish(ingest, 'vigil/v1/prison-a/alerts')), 'service-publish-not-in-account');
  assert.equal(rule(canPublish(ingest, 'vigil/v1/prison-a/tag-1/telemetry')), 'service-publish-not-in-account');
});

test('svc-analytics publishes alerts only; svc-command-center publishes commands only', () => {
  assert.equal(rule(canPublish(analytics, 'vigil/v1/prison-a/alerts')), 'ok');
  assert.equal(rule(canPublish(analytics, 'vigil/v1/prison-a/tag-1/cmd/reboot')), 'service-publish-not-in-account');
  assert.equal(rule(canSubscribe(analytics, 'vigil/v1/+/+/status')), 'service-subscribe-not-in-account');
  assert.equal(rule(canPublish(cc, 'vigil/v1/prison-a/tag-1/cmd/reboot')), 'ok');
  assert.equal(rule(canPublish(cc, 'vigil/v1/prison-a/alerts')), 'service-publish-not-in-account');
  assert.equal(rule(canPublish(cc, 'vigil/v1/prison-a/tag-1/telemetry')), 'service-publish-not-in-account');
  assert.equal(rule(canSubscribe(cc, 'vigil/v1/+/alerts')), 'ok');
  assert.equal(rule(canSubscribe(cc, 'vigil/v1/+/+/telemetry')), 'service-subscribe-not-in-account');
  assert.equal(rule(canReceive(cc, 'vigil/v1/prison-a/tag-1/telemetry')), 'service-receive-not-in-account');
});

test('nobody publishes to $SYS, not even anonymous in development mode', () => {
  for (const p of [dev, ingest, analytics, cc, anon]) assert.equal(rule(canPublish(p, '$SYS/x/heartbeat')), 'sys-reserved');
  assert.equal(rule(canPublish(anon, 'vigil/v1/prison-a/tag-1/telemetry')), 'ok');
});

test('serviceAccounts leaves out accounts without a secret', () => {
  assert.deepEqual(serviceAccounts({ analytics: 'a'.repeat(16) }).map((a) => a.username), ['svc-analytics']);
  assert.deepEqual(serviceAccounts({}), []);
});

test('decisions remembered per topic never outlive what they depended on', () => {
  // a gateway speaking for a child: allowed while the child is registered behind it, refused once it is not
  const gateway: Principal = { kind: 'device', id: 'edge-1', site: 'prison-a', children: new Set(['tag-9']) };
  const childTopic = 'vigil/v1/prison-a/tag-9/telemetry';
  assert.equal(rule(canPublish(gateway, childTopic)), 'ok');
  assert.equal(rule(canPublish(gateway, childTopic)), 'ok');
  gateway.children!.delete('tag-9');
  assert.equal(rule(canPublish(gateway, childTopic)), 'device-not-own-topic');
  // its own topic, asked again and again, and another device's topic of the same shape still refused
  for (let i = 0; i < 3; i++) assert.equal(rule(canPublish(gateway, 'vigil/v1/prison-a/edge-1/telemetry')), 'ok');
  const other: Principal = { kind: 'device', id: 'tag-2', site: 'prison-a' };
  assert.equal(rule(canPublish(other, 'vigil/v1/prison-a/edge-1/telemetry')), 'device-not-own-topic');
  // a service account's answers are its own: ingest's allowed receive does not let analytics receive status
  const status = 'vigil/v1/prison-a/tag-1/status';
  assert.equal(rule(canReceive(ingest, status)), 'ok');
  assert.equal(rule(canReceive(ingest, status)), 'ok');
  assert.equal(rule(canReceive(analytics, status)), 'service-receive-not-in-account');
  assert.equal(rule(canPublish(ingest, 'vigil/v1/prison-a/alerts')), 'service-publish-not-in-account');
  assert.equal(rule(canPublish(analytics, 'vigil/v1/prison-a/alerts')), 'ok');
  assert.equal(rule(canPublish(analytics, 'vigil/v1/prison-a/alerts')), 'ok');
  assert.equal(rule(canPublish(cc, 'vigil/v1/prison-a/alerts')), 'service-publish-not-in-account');
});
