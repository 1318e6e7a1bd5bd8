import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, DEFAULT_LIMITS, parseBrokerConfig } from '@vigil/broker';
import { FrameScanner } from '../src/limits/frame-scanner.js';
import { ConnectionRateLimiter, ipKey } from '../src/limits/ip-rate.js';
import { resolveLimits } from '../src/limits/options.js';
import { TokenBucket } from '../src/limits/token-bucket.js';

const DB = 'postgres://localhost/vigil';

test('token bucket: a full bucket gives its capacity at once, then refills at the rate', () => {
  const b = new TokenBucket(10, 3, 0);
  assert.deepEqual([b.tryTake(0), b.tryTake(0), b.tryTake(0), b.tryTake(0)], [true, true, true, false]);
  assert.equal(b.tryTake(99), false, '0.99 of a token after 99 ms at 10/s');
  assert.equal(b.tryTake(100), true, 'one token after 100 ms');
  assert.equal(b.tryTake(100), false);
  assert.equal(b.isFull(10_000), true, 'refills to capacity, never beyond');
  assert.deepEqual([b.tryTake(10_000), b.tryTake(10_000), b.tryTake(10_000), b.tryTake(10_000)], [true, true, true, false]);
});

test('token bucket: a clock stepping back neither mints nor removes tokens', () => {
  const b = new TokenBucket(1, 1, 1_000);
  assert.equal(b.tryTake(1_000), true);
  assert.equal(b.tryTake(0), false);
  assert.equal(b.tryTake(1_999), false);
  assert.equal(b.tryTake(2_000), true);
});

test('connection rate: each address has its own bucket; a run of refusals is counted; idle addresses are forgotten', () => {
  const r = new ConnectionRateLimiter({ perSecond: 2, burst: 2, sweepEveryMs: 1_000 });
  assert.deepEqual(r.admit('10.0.0.1', 0), { ok: true, refusedInRow: 0 });
  assert.deepEqual(r.admit('10.0.0.1', 0), { ok: true, refusedInRow: 0 });
  assert.deepEqual(r.admit('10.0.0.1', 0), { ok: false, refusedInRow: 1 });
  assert.deepEqual(r.admit('10.0.0.1', 1), { ok: false, refusedInRow: 2 });
  assert.deepEqual(r.admit('10.0.0.2', 1), { ok: true, refusedInRow: 0 }, 'another address is not affected');
  assert.deepEqual(r.admit('10.0.0.1', 500), { ok: true, refusedInRow: 0 }, 'one token back after 500 ms at 2/s');
  assert.equal(r.size, 2);
  // both buckets are full again after 1 s; the next sweep forgets them
  r.admit('10.0.0.3', 5_000);
  assert.equal(r.size, 1);
});

test('ipKey: IPv4 as is, IPv4-mapped unwrapped, IPv6 by its /64', () => {
  assert.equal(ipKey('192.0.2.7'), '192.0.2.7');
  assert.equal(ipKey('::ffff:192.0.2.7'), '192.0.2.7');
  assert.equal(ipKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd'), '2001:db8:1:2::/64');
  assert.equal(ipKey('2001:0db8:0001:0002::1'), '2001:db8:1:2::/64');
  assert.equal(ipKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(ipKey('2001:db8::2'), ipKey('2001:db8:0:0:ffff::9'));
  assert.equal(ipKey('::1'), '0:0:0:0::/64');
  assert.equal(ipKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(ipKey(undefined), 'unknown');
});

/** A fixed header: type nibble and flags, then the Remaining Length as a variable byte integer [MQTT-2.2.3]. */
function header(type: number, remaining: number): number[] {
  const out = [type << 4];
  do {
    let byte = remaining % 128;
    remaining = Math.floor(remaining / 128);
    if (remaining > 0) byte |= 0x80;
    out.push(byte);
  } while (remaining > 0);
  return out;
}
const bytes = (...parts: number[][]) => Uint8Array.from(parts.flat());
const body = (n: number) => Array<number>(n).fill(0x61);

test('frame scanner: follows packets across chunk boundaries and passes those within the limit', () => {
  const s = new FrameScanner(100);
  const stream = bytes(header(1, 10), body(10), header(3, 98), body(98), header(12, 0), header(3, 5), body(5));
  // feed one byte at a time: headers split anywhere must still be read right
  for (const b of stream) assert.deepEqual(s.feed(Uint8Array.of(b)), { kind: 'ok' });
  assert.deepEqual(new FrameScanner(100).feed(stream), { kind: 'ok' });
});

test('frame scanner: a header announcing more than the limit is caught on the header, before its body', () => {
  const s = new FrameScanner(100);
  assert.deepEqual(s.feed(bytes(header(1, 10), body(10))), { kind: 'ok' });
  assert.deepEqual(s.feed(bytes(header(3, 99))), { kind: 'too-large', packetBytes: 1 + 1 + 99 });
  assert.deepEqual(s.feed(bytes(body(5))), { kind: 'too-large', packetBytes: 101 }, 'the verdict sticks');
  // the largest Remaining Length MQTT allows, 268 435 455, in four bytes
  assert.deepEqual(new FrameScanner(262_144).feed(bytes(header(1, 268_435_455))), { kind: 'too-large', packetBytes: 268_435_460 });
  assert.deepEqual(new FrameScanner(262_144).feed(bytes(header(1, 10), body(10), [0x30, 0xff, 0xff])), { kind: 'ok' }, 'length not complete yet');
});

test('frame scanner: a first packet that is not CONNECT and a five-byte length are refused', () => {
  assert.deepEqual(new FrameScanner(100).feed(bytes(header(3, 2))), { kind: 'not-connect-first', packetType: 3 });
  assert.deepEqual(new FrameScanner(100).feed(bytes([0x10, 0xff, 0xff, 0xff, 0xff, 0x01])), { kind: 'malformed-length' });
});

test('limits: defaults, bursts following their rates, and out-of-range values refused naming the option', () => {
  assert.equal(DEFAULT_LIMITS.maxPacketBytes, 262_144);
  assert.equal(DEFAULT_LIMITS.maxTopicBytes, 256);
  assert.equal(DEFAULT_LIMITS.maxTopicLevels, 12);
  assert.equal(DEFAULT_LIMITS.messageBurstPerClient, 2 * DEFAULT_LIMITS.messagesPerClientPerSecond);
  const l = resolveLimits({ messagesPerClientPerSecond: 5, connectionsPerIpPerSecond: 3, connectionBurstPerIp: 4 });
  assert.equal(l.messageBurstPerClient, 10);
  assert.equal(l.connectionBurstPerIp, 4);
  for (const bad of [{ maxPacketBytes: 10 }, { maxTopicLevels: 101 }, { messagesPerClientPerSecond: 0 }, { slowConsumerDrainTimeoutMs: 1.5 }, { maxInflightPerClient: Number.NaN }]) {
    const name = Object.keys(bad)[0]!;
    assert.throws(() => resolveLimits(bad), (err: unknown) => err instanceof ConfigError && err.variable === `limits.${name}`, name);
  }
});

test('config: the limit variables are read, and bad values are refused naming the variable', () => {
  assert.equal(parseBrokerConfig({ DATABASE_URL: DB }).limits, undefined);
  const c = parseBrokerConfig({ DATABASE_URL: DB, VIGIL_MQTT_MAX_PACKET_BYTES: '65536', VIGIL_MQTT_MAX_MSGS_PER_SEC: ' 50 ', VIGIL_MQTT_MAX_CONN_PER_IP_PER_SEC: '7' });
  assert.deepEqual(c.limits, { maxPacketBytes: 65_536, messagesPerClientPerSecond: 50, connectionsPerIpPerSecond: 7 });
  for (const [variable, value] of [
    ['VIGIL_MQTT_MAX_PACKET_BYTES', '10'],
    ['VIGIL_MQTT_MAX_PACKET_BYTES', '1e6'],
    ['VIGIL_MQTT_MAX_PACKET_BYTES', '999999999999'],
    ['VIGIL_MQTT_MAX_MSGS_PER_SEC', '0'],
    ['VIGIL_MQTT_MAX_MSGS_PER_SEC', '-5'],
    ['VIGIL_MQTT_MAX_CONN_PER_IP_PER_SEC', 'many'],
    ['VIGIL_MQTT_MAX_CONN_PER_IP_PER_SEC', '2.5'],
  ] as const) {
    assert.throws(
      () => parseBrokerConfig({ DATABASE_URL: DB, [variable]: value }),
      (err: unknown) => err instanceof ConfigError && err.variable === variable && err.message.includes(variable),
      `${variable}=${value}`,
    );
  }
});
