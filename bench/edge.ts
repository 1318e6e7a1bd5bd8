/**
 * `npm run bench:edge`: messages per second through the edge agent's disk queue
 * (persisted, fsynced) and forwarded to a real Vigil broker (its own process,
 * registry auth and ACL on, the agent as gateway of its devices), until a
 * subscriber has them all; beside the reference in the same run: the same count
 * published straight with mqtt.js at QoS 1 with the same in-flight window,
 * without the queue (alternated rounds, best of each); a backlog of 100 000 drained after a
 * restart; and memory (RSS and heap after GC) with 1 000 and with
 * 100 000 messages queued while the broker is unreachable.
 *
 * Settings (environment): VIGIL_BENCH_MESSAGES (default 100 000), VIGIL_BENCH_WINDOW
 * (QoS 1 in flight, default 1 000), VIGIL_BENCH_ROUNDS (default 2).
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Type } from '@sinclair/typebox';
import { connect, type MqttClient } from 'mqtt';
import { registerDevice, serviceAccounts, startBroker } from '@vigil/broker';
import { createPool, migrate, startEmbeddedDatabase } from '@vigil/ingest';
import { newMessage } from '@vigil/schemas';
import { createLogger, startAgent, validateConfig, type DriverContext, type DriverPlugin, type RunningAgent } from '@vigil/edge-agent';

const SITE = 'prison-a';
const AGENT = 'edge-bench';
const DEVICES = ['tag-b1', 'tag-b2', 'tag-b3', 'tag-b4'];
const SECRET = 'bench-secret-0123456789';
const INGEST = 'ingest-secret-0123456789';

function intSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number, got ${JSON.stringify(raw)}`);
  return n;
}

/** The child: embedded registry + broker with limits raised for the benchmark; prints its port. */
async function brokerChild(): Promise<void> {
  const db = await startEmbeddedDatabase({ port: 0 });
  const pool = createPool(db.url);
  await migrate(pool);
  await pool.query(`INSERT INTO org_units (id, level, name_en, name_zh) VALUES ('moj', 1, 'Ministry', '司法部')`);
  await pool.query(`INSERT INTO sites (id, org_unit_id, kind, name_en, name_zh) VALUES ('prison-a', 'moj', 'prison', 'Prison A', '甲监狱')`);
  await registerDevice(pool, { id: AGENT, siteId: SITE, kind: 'agent', secret: SECRET });
  for (const id of DEVICES) await registerDevice(pool, { id, siteId: SITE, kind: 'tag', secret: SECRET, gatewayId: AGENT });
  await registerDevice(pool, { id: 'tag-ref', siteId: SITE, kind: 'tag', secret: SECRET });
  const broker = await startBroker({
    port: 0,
    pool,
    services: serviceAccounts({ ingest: INGEST }),
    revocationPollMs: 0,
    limits: { messagesPerClientPerSecond: 10_000_000 },
    logger: createLogger('broker', 'warn'),
  });
  // the subscriber lives here too, so the measured process runs only the agent (or the reference publisher)
  const sub = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, { clientId: 'svc-ingest-bench', username: 'svc-ingest', password: INGEST });
  let received = 0;
  let expect = Infinity;
  sub.on('message', () => {
    if (++received === expect) process.send!({ done: received });
  });
  await sub.subscribeAsync(`vigil/v1/${SITE}/+/telemetry`, { qos: 1 });
  process.on('message', (m: { expect: number }) => {
    received = 0;
    expect = m.expect;
  });
  process.send!({ port: broker.port });
}

const contexts = new Map<string, DriverContext>();
const benchPlugin: DriverPlugin = {
  type: 'bench',
  configSchema: Type.Object({}),
  create: (_c, ctx) => {
    contexts.set(ctx.name, ctx);
    return { devices: () => DEVICES, start: async () => undefined, stop: async () => undefined };
  },
};

const body = { battery_pct: 87.5, rssi_dbm: -71, charging: false, temp_c: 31.2, fw: '2.4.1' };

/** Emit `n` tag.health messages round-robin over the devices, `batch` at a time (each batch awaited, as a driver would). */
async function produce(ctx: DriverContext, n: number, batch = 1_000): Promise<void> {
  for (let i = 0; i < n; i += batch) {
    const k = Math.min(batch, n - i);
    await Promise.all(Array.from({ length: k }, (_, j) => ctx.emit(DEVICES[(i + j) % DEVICES.length]!, 'tag.health', body)));
  }
}

function connectAsync(url: string, opts: Parameters<typeof connect>[1]): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = connect(url, { protocolVersion: 4, reconnectPeriod: 0, ...opts });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

async function main(): Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const N = intSetting('VIGIL_BENCH_MESSAGES', 100_000);
  const WINDOW = intSetting('VIGIL_BENCH_WINDOW', 1_000);
  const log = createLogger('agent', (process.env.VIGIL_BENCH_LOG ?? 'warn') as 'warn');
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'vigil-bench-edge-'));
    dirs.push(d);
    return d;
  };
  const config = (url: string) =>
    validateConfig(
      { site: SITE, agent_id: AGENT, broker: { url, max_publish_rate: 0 }, queue: { inflight: WINDOW, max_messages: 10_000_000 }, drivers: [{ name: 'bench', type: 'bench', config: {} }] },
      [benchPlugin],
    );
  const mem = () => {
    gc();
    const m = process.memoryUsage();
    return { rss: m.rss / 2 ** 20, heap: m.heapUsed / 2 ** 20 };
  };

  // 1. memory with 1 000 and 100 000 queued: the broker unreachable (port 1 refuses), nothing leaves the queue
  const backlogDir = tmp();
  let agent: RunningAgent = await startAgent({ config: config('mqtt://127.0.0.1:1'), dataDir: backlogDir, plugins: [benchPlugin], credentials: { secret: SECRET }, log });
  await produce(contexts.get('bench')!, 1_000);
  const m1k = mem();
  const d1k = agent.queueDepth();
  const tq = performance.now();
  await produce(contexts.get('bench')!, 99_000);
  const queueOnlyMs = performance.now() - tq;
  const m100k = mem();
  const d100k = agent.queueDepth();
  await agent.stop();

  // 2. the broker and the subscriber in their own process
  const child = fork(fileURLToPath(import.meta.url), ['--broker-child'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((r) => child.once('message', (m: { port: number }) => r(m.port)));
  const url = `mqtt://127.0.0.1:${port}`;
  /** Ask the child to count `n` arrivals; resolves when it has. */
  const arrivals = async (n: number): Promise<{ done: Promise<void> }> => {
    child.send({ expect: n });
    const done = new Promise<void>((r) => child.once('message', () => r()));
    await new Promise((r) => setTimeout(r, 100));
    return { done };
  };

  // 3. the backlog of step 1: an agent restarted on it, the broker now reachable, until all have arrived
  let arrived = await arrivals(d100k);
  let t0 = performance.now();
  agent = await startAgent({ config: config(url), dataDir: backlogDir, plugins: [benchPlugin], credentials: { secret: SECRET }, log });
  await arrived.done;
  const backlogMs = performance.now() - t0;
  await agent.stop();

  // 4. live: emit N and forward, against the reference (mqtt.js QoS 1 straight, same window, same payload
  // shape); alternated ROUNDS times, best of each, as the machine is shared
  const ROUNDS = intSetting('VIGIL_BENCH_ROUNDS', 2);
  let persistedMs = Infinity;
  let agentMs = Infinity;
  let refMs = Infinity;
  const ref = await connectAsync(url, { clientId: 'tag-ref', username: 'tag-ref', password: SECRET });
  const topic = `vigil/v1/${SITE}/tag-ref/telemetry`;
  let refSeq = 0;
  for (let round = 0; round < ROUNDS; round++) {
    agent = await startAgent({ config: config(url), dataDir: tmp(), plugins: [benchPlugin], credentials: { secret: SECRET }, log });
    while (!agent.client.connected) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 200)); // the command subscriptions' SUBACK
    arrived = await arrivals(N);
    t0 = performance.now();
    await produce(contexts.get('bench')!, N);
    persistedMs = Math.min(persistedMs, performance.now() - t0);
    await arrived.done;
    agentMs = Math.min(agentMs, performance.now() - t0);
    await agent.stop();

    arrived = await arrivals(N);
    t0 = performance.now();
    await new Promise<void>((resolve) => {
      let sent = 0;
      let acked = 0;
      const pump = () => {
        while (sent < N && sent - acked < WINDOW) {
          sent++;
          ref.publish(topic, JSON.stringify(newMessage('tag.health', 'tag-ref', refSeq++, body)), { qos: 1 }, () => {
            acked++;
            if (acked === N) resolve();
            else pump();
          });
        }
      };
      pump();
    });
    await arrived.done;
    refMs = Math.min(refMs, performance.now() - t0);
  }
  await ref.endAsync();
  child.kill('SIGTERM');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });

  const rate = (ms: number) => Math.round((N / ms) * 1000);
  const out = (s: string) => process.stdout.write(`${s}\n`);
  out(`\nedge agent benchmark: ${N} messages, window ${WINDOW}, broker and subscriber in their own process, best of ${ROUNDS} alternated rounds`);
  out(`  persisted only, broker unreachable     ${Math.round((99_000 / queueOnlyMs) * 1000).toLocaleString('en')} msg/s`);
  out(`  persisted while forwarding              ${rate(persistedMs).toLocaleString('en')} msg/s`);
  out(`  persisted and forwarded (at subscriber) ${rate(agentMs).toLocaleString('en')} msg/s`);
  out(`  reference: mqtt.js QoS 1 straight      ${rate(refMs).toLocaleString('en')} msg/s`);
  out(`  ratio agent / reference                 ${(refMs / agentMs).toFixed(2)}`);
  out(`  backlog of ${d100k.toLocaleString('en')} forwarded after restart ${Math.round((d100k / backlogMs) * 1000).toLocaleString('en')} msg/s`);
  out(`  goal >= 20,000 msg/s forwarded: ${rate(agentMs) >= 20_000 ? 'met' : 'NOT met'}`);
  out(`memory after GC, broker unreachable:`);
  out(`  ${d1k.toLocaleString('en')} queued:   RSS ${m1k.rss.toFixed(1)} MiB, heap ${m1k.heap.toFixed(1)} MiB`);
  out(`  ${d100k.toLocaleString('en')} queued: RSS ${m100k.rss.toFixed(1)} MiB, heap ${m100k.heap.toFixed(1)} MiB`);
  out(`  heap ratio 100k / 1k                    ${(m100k.heap / m1k.heap).toFixed(2)}`);
}

if (process.argv.includes('--broker-child')) await brokerChild();
else await main();
