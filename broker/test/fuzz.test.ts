import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { generate, type Packet } from 'mqtt-packet';
import type { MqttClient } from 'mqtt';
import type pg from 'pg';
import { registerDevice, serviceAccounts, startBroker, type RunningBroker } from '@vigil/broker';
import { createLogger } from '../src/logger.js';
import { connectClient, startTestDatabase } from './helpers.js';
import { connectPacket, nextPacket, rawConnection } from './raw-mqtt.js';

// VIGIL_FUZZ_RUNS raises the case count (`npm run fuzz:broker`); VIGIL_FUZZ_SEED replays a failure fast-check reported
const RUNS = Number(process.env['VIGIL_FUZZ_RUNS'] ?? 300);
const SEED = process.env['VIGIL_FUZZ_SEED'] === undefined ? undefined : Number(process.env['VIGIL_FUZZ_SEED']);
const SECRETS = { ingest: 'ingest-secret-0123456789', analytics: 'analytics-secret-0123456789', commandCenter: 'cc-secret-0123456789abc' };
const TAG = { id: 'tag-probe', siteId: 'prison-a', kind: 'tag' as const, secret: 'tag-probe-secret-0123456' };
const PROBE_TOPIC = `vigil/v1/prison-a/${TAG.id}/telemetry`;

// undefined when before() failed part-way; after() must still release what was made
let db: { pool: pg.Pool; close(): Promise<void> };
let broker: RunningBroker;
const open: MqttClient[] = [];

before(async () => {
  db = await startTestDatabase();
  await registerDevice(db.pool, TAG);
  broker = await startBroker({
    port: 0,
    pool: db.pool,
    services: serviceAccounts(SECRETS),
    // every case comes from 127.0.0.1; the per-address rate has its own test in limits.test.ts
    limits: { connectionsPerIpPerSecond: 1_000_000 },
    logger: createLogger('fuzz-test', 'silent'),
  });
});

after(async () => {
  await Promise.all(open.map((c) => c.endAsync(true)));
  await broker?.close();
  await db?.close();
});

// ---- what the fuzzer sends -------------------------------------------------------------------

const topicArb = fc.oneof(
  fc.constantFrom('vigil/v1/prison-a/alerts', 'vigil/v1/prison-a/tag-1/cmd/locate', PROBE_TOPIC, '#', 'vigil/+/#', '$SYS/x', 'a/b', '/', ''),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  // deep topics: past maxTopicLevels, and past Aedes' own ceiling of 100
  fc.integer({ min: 10, max: 400 }).map((n) => Array<string>(n).fill('d').join('/')),
  fc.integer({ min: 200, max: 2_000 }).map((n) => 'L'.repeat(n)),
);
const messageId = fc.integer({ min: 1, max: 65_535 });
const qos = fc.constantFrom(0 as const, 1 as const, 2 as const);
const connectFields = fc.record({
  clientId: fc.oneof(fc.nat({ max: 50 }).map((n) => `fz-${n}`), fc.string({ maxLength: 30 })),
  // mostly cheap to check; a device name costs one scrypt, so it is rare
  who: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('svc-command-center', 'svc-analytics', 'none', 'svc-nobody') },
    { weight: 1, arbitrary: fc.constant(TAG.id) },
  ),
  will: fc.option(fc.record({ topic: topicArb, payload: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)), qos, retain: fc.boolean() }), { nil: undefined }),
  keepalive: fc.integer({ min: 0, max: 65_535 }),
});
type ConnectFields = typeof connectFields extends fc.Arbitrary<infer T> ? T : never;

const packetArb: fc.Arbitrary<Packet> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ cmd: fc.constant('publish' as const), topic: topicArb, payload: fc.uint8Array({ maxLength: 2_048 }).map((b) => Buffer.from(b)), qos, retain: fc.boolean(), dup: fc.boolean(), messageId }) },
  { weight: 2, arbitrary: fc.record({ cmd: fc.constant('subscribe' as const), messageId, subscriptions: fc.array(fc.record({ topic: topicArb, qos }), { minLength: 1, maxLength: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ cmd: fc.constant('unsubscribe' as const), messageId, unsubscriptions: fc.array(topicArb, { minLength: 1, maxLength: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ cmd: fc.constantFrom('puback' as const, 'pubrec' as const, 'pubrel' as const, 'pubcomp' as const), messageId }) },
  { weight: 1, arbitrary: fc.constantFrom<Packet>({ cmd: 'pingreq' }, { cmd: 'disconnect' }) },
  { weight: 1, arbitrary: connectFields.map((f) => ({ cmd: 'connect' as const, clientId: f.clientId, protocolId: 'MQTT' as const, protocolVersion: 4 as const, clean: true, keepalive: f.keepalive })) },
);

/** How one packet's bytes are damaged before sending. */
const mutationArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('extend' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('length' as const), length: fc.constantFrom([0xff, 0xff, 0xff, 0x7f], [0xff, 0xff, 0xff, 0xff, 0x01], [0x80, 0x80, 0x10], [0x00]) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'qos3' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('bad-utf8' as const), bytes: fc.constantFrom([0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0x00]) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 300 }) }) },
);
type Mutation = typeof mutationArb extends fc.Arbitrary<infer T> ? T : never;

/** Bytes of the fixed header: the first byte and the Remaining Length (1-4 bytes) [MQTT-2.2]. */
function headerBytes(buf: Buffer): number {
  let i = 1;
  while (i < buf.length && i < 5 && (buf[i]! & 0x80) !== 0) i += 1;
  return i + 1;
}

function mutate(buf: Buffer, m: Mutation): Buffer {
  switch (m.kind) {
    case 'none':
      return buf;
    case 'flip': {
      const out = Buffer.from(buf);
      const i = m.at % out.length;
      out[i] = out[i]! ^ (1 << m.bit);
      return out;
    }
    case 'truncate':
      return buf.subarray(0, m.at % buf.length);
    case 'extend':
      return Buffer.concat([buf, m.bytes]);
    case 'length':
      return Buffer.concat([buf.subarray(0, 1), Buffer.from(m.length), buf.subarray(headerBytes(buf))]);
    case 'qos3':
      // both QoS bits set is malformed [MQTT-3.3.1-4]
      return Buffer.concat([Buffer.from([buf[0]! | 0x06]), buf.subarray(1)]);
    case 'bad-utf8': {
      // the first string after the fixed header (PUBLISH topic, CONNECT protocol name) [MQTT-1.5.3-1]
      const out = Buffer.from(buf);
      const at = headerBytes(buf) + 2;
      Buffer.from(m.bytes).copy(out, Math.min(at, Math.max(0, out.length - m.bytes.length)));
      return out;
    }
    case 'random':
      return Buffer.from(m.bytes);
  }
}

/** generate() refuses some field combinations; those cases send a PINGREQ instead. */
function encode(packet: Packet): Buffer {
  try {
    return generate(packet);
  } catch {
    return generate({ cmd: 'pingreq' });
  }
}

function connectBytes(f: ConnectFields): Buffer {
  const creds =
    f.who === 'none'
      ? {}
      : {
          username: f.who,
          password: Buffer.from(f.who === 'svc-command-center' ? SECRETS.commandCenter : f.who === 'svc-analytics' ? SECRETS.analytics : 'wrong-secret-0123456789'),
        };
  try {
    return connectPacket({ clientId: f.clientId, keepalive: f.keepalive, ...creds, ...(f.will !== undefined ? { will: f.will } : {}) });
  } catch {
    return connectPacket({ clientId: 'fz-plain', ...creds });
  }
}

const caseArb = fc.record({
  firstNotConnect: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  connect: connectFields,
  connectMutation: fc.oneof({ weight: 8, arbitrary: fc.constant({ kind: 'none' as const }) }, { weight: 2, arbitrary: mutationArb }),
  packets: fc.array(fc.tuple(packetArb, mutationArb), { maxLength: 8 }),
  together: fc.boolean(),
});

/** Throw one case at the broker over a fresh TCP connection, then drop it. */
async function runCase(c: typeof caseArb extends fc.Arbitrary<infer T> ? T : never): Promise<void> {
  const conn = await rawConnection(broker.port);
  try {
    if (!c.firstNotConnect) {
      conn.socket.write(mutate(connectBytes(c.connect), c.connectMutation));
      // a CONNECT cut short gets no answer; sending on before the CONNACK is a case worth having too
      await nextPacket(conn, 'connack', 300);
    }
    const bytes = c.packets.map(([p, m]) => mutate(encode(p), m));
    if (c.together) conn.socket.write(Buffer.concat(bytes));
    else for (const b of bytes) if (!conn.socket.destroyed) conn.socket.write(b);
    // give the broker a moment to act on it (or close on us) before the next case
    await Promise.race([conn.closed, new Promise((r) => setTimeout(r, 30))]);
  } finally {
    conn.socket.destroy();
    await conn.closed;
  }
}

// ---- the well-behaved client -----------------------------------------------------------------

/** Publish→receive round trips until stopped; every one must complete. */
function startProbe(device: MqttClient, ingest: MqttClient) {
  let stopped = false;
  const latenciesMs: number[] = [];
  const failures: string[] = [];
  const waiting = new Map<string, () => void>();
  ingest.on('message', (topic, payload) => {
    if (topic === PROBE_TOPIC) waiting.get(payload.toString())?.();
  });
  const loop = (async () => {
    for (let seq = 0; !stopped; seq += 1) {
      const payload = `{"probe":${seq}}`;
      const t0 = performance.now();
      const received = new Promise<boolean>((resolve) => {
        // a generous bound so a hung broker fails the test instead of hanging it; the assertion is completion
        const timer = setTimeout(() => resolve(false), 60_000);
        waiting.set(payload, () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      try {
        await device.publishAsync(PROBE_TOPIC, payload, { qos: 1 });
      } catch (err) {
        failures.push(`publish ${seq}: ${(err as Error).message}`);
      }
      if (await received) latenciesMs.push(performance.now() - t0);
      else failures.push(`round trip ${seq} never completed`);
      waiting.delete(payload);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    latenciesMs,
    failures,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

test(`fuzz: ${RUNS} malformed and mutated packet sequences; the broker stays up, bounded, and serving`, { timeout: Math.max(600_000, RUNS * 2_000) }, async (t) => {
  const ingest = await connectClient(broker.port, { clientId: 'svc-ingest-fuzz', username: 'svc-ingest', password: SECRETS.ingest });
  open.push(ingest);
  await ingest.subscribeAsync(PROBE_TOPIC, { qos: 1 });
  const device = await connectClient(broker.port, { clientId: TAG.id, username: TAG.id, password: TAG.secret });
  open.push(device);
  const probe = startProbe(device, ingest);
  const memBefore = process.memoryUsage();
  let cases = 0;
  try {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        cases += 1;
        await runCase(c);
        return true;
      }),
      { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}) },
    );
  } finally {
    await probe.stop();
  }
  const memAfter = process.memoryUsage();

  assert.equal(cases, RUNS);
  assert.deepEqual(probe.failures, [], 'every round trip of the well-behaved client completed');
  assert.ok(probe.latenciesMs.length > 0, 'the well-behaved client made round trips throughout');
  assert.ok(device.connected && ingest.connected, 'the well-behaved clients were never disconnected');
  // a new client is still accepted and served
  const cc = await connectClient(broker.port, { clientId: 'cc-after-fuzz', username: 'svc-command-center', password: SECRETS.commandCenter });
  open.push(cc);
  // generous: this process holds the broker, the database and the fuzzer; a leak per case would still show at the long setting
  const heapGrowthMiB = (memAfter.heapUsed - memBefore.heapUsed) / 2 ** 20;
  const rssGrowthMiB = (memAfter.rss - memBefore.rss) / 2 ** 20;
  assert.ok(heapGrowthMiB < 256, `heap grew ${heapGrowthMiB.toFixed(1)} MiB`);
  assert.ok(rssGrowthMiB < 512, `RSS grew ${rssGrowthMiB.toFixed(1)} MiB`);
  const sorted = [...probe.latenciesMs].sort((a, b) => a - b);
  t.diagnostic(
    `cases ${cases}, round trips ${sorted.length}, latency p50 ${sorted[Math.floor(sorted.length / 2)]?.toFixed(1)} ms, max ${sorted.at(-1)?.toFixed(1)} ms, ` +
      `heap +${heapGrowthMiB.toFixed(1)} MiB, RSS +${rssGrowthMiB.toFixed(1)} MiB, limit disconnects ${broker.metrics().limitDisconnects}`,
  );
});
