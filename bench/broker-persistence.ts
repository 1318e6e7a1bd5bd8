/**
 * `npx tsx bench/broker-persistence.ts`: what keeping the broker's sessions on disk costs.
 * QoS 1 throughput to a persistent-session subscriber (clean session off, as ingest), whose every
 * message the broker queues in its persistence, for the broker (src/main.ts, each in its own process)
 * with VIGIL_BROKER_PERSISTENCE=memory and =sqlite:FILE; prints a table with the ratio.
 * Publishers are raw-socket clients in worker processes (bench/lib/worker.ts); the subscriber is a raw
 * client here. Anonymous access: authentication is the same in both and not what is measured.
 *
 * Settings (environment): VIGIL_BENCH_MESSAGES per run (default 20 000), VIGIL_BENCH_PUBLISHERS for the
 * many-publisher run (default 200), VIGIL_BENCH_ROUNDS (default 3; the median is kept).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqttPacket, { type IPublishPacket, type Packet } from 'mqtt-packet';
import { createPool, migrate, startEmbeddedDatabase } from '@vigil/ingest';
import { freePort } from '../ingest/test/helpers.js';
import { startWorker, type Worker } from './lib/processes.js';

const int = (name: string, fallback: number) => {
  const n = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number`);
  return n;
};
const MESSAGES = int('VIGIL_BENCH_MESSAGES', 20_000);
const PUBLISHERS = int('VIGIL_BENCH_PUBLISHERS', 200);
const ROUNDS = int('VIGIL_BENCH_ROUNDS', 3);
const MAIN = fileURLToPath(new URL('../broker/src/main.ts', import.meta.url));
const progress = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const nowMs = () => performance.timeOrigin + performance.now();


async function startBroker(databaseUrl: string, persistence: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const env = {
    PATH: process.env.PATH ?? '',
    DATABASE_URL: databaseUrl,
    VIGIL_MQTT_PORT: String(port),
    VIGIL_MQTT_ALLOW_ANONYMOUS: 'true',
    VIGIL_BROKER_PERSISTENCE: persistence,
    VIGIL_MQTT_MAX_CONN_PER_IP_PER_SEC: '1000000',
    VIGIL_MQTT_MAX_MSGS_PER_SEC: '10000000',
    LOG_LEVEL: 'warn',
  };
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => ((out += d.toString()), out.includes('VIGIL_BROKER_READY') && resolve()));
    child.once('exit', (code) => reject(new Error(`broker (${persistence}) exited ${code}`)));
  });
  return { port, child };
}

/** A raw persistent-session subscriber to every telemetry topic; acknowledges each message at once. */
async function persistentSubscriber(port: number) {
  const socket = netConnect(port, '127.0.0.1');
  socket.setNoDelay(true);
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const state = { count: 0, lastAt: 0, want: Infinity, done: () => undefined as void };
  const ready = new Promise<void>((resolve) => {
    parser.on('packet', (p: Packet) => {
      if (p.cmd === 'suback') resolve();
      if (p.cmd !== 'publish') return;
      const m = (p as IPublishPacket).messageId;
      if (m !== undefined) socket.write(mqttPacket.generate({ cmd: 'puback', messageId: m }));
      state.count++;
      state.lastAt = nowMs();
      if (state.count >= state.want) state.done();
    });
  });
  socket.on('data', (c: Buffer) => parser.parse(c));
  socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: false, clientId: 'bench-persistent-sub', keepalive: 600 }));
  socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'vigil/v1/+/+/telemetry', qos: 1 }] }));
  await ready;
  return {
    /** Resolve with the time of the `n`th message from now (or the last one after 60 s). */
    expect(n: number): Promise<{ count: number; lastAt: number }> {
      state.count = 0;
      state.want = n;
      return new Promise((resolve) => {
        const timer = setTimeout(() => state.done(), 60_000);
        state.done = () => (clearTimeout(timer), (state.want = Infinity), resolve({ count: state.count, lastAt: state.lastAt }));
      });
    },
    close: () => socket.destroy(),
  };
}

interface Rig {
  name: string;
  child: ChildProcess;
  sub: Awaited<ReturnType<typeof persistentSubscriber>>;
  single: Worker;
  many: Worker;
  samples: Record<string, number[]>;
}

const SCENARIOS = ['QoS 1, 1 → persistent 1', `QoS 1, ${PUBLISHERS} → persistent 1`] as const;

async function rig(name: string, databaseUrl: string, persistence: string): Promise<Rig> {
  const { port, child } = await startBroker(databaseUrl, persistence);
  const sub = await persistentSubscriber(port);
  const single = startWorker();
  const many = startWorker();
  const spec = (i: number) => ({ clientId: `${name}-pub-${i}`, topic: `vigil/v1/bench/pub-${i}/telemetry` });
  await single.call({ cmd: 'connect', port, clients: [spec(0)], concurrency: 1, keepaliveS: 600, connectTimeoutMs: 30_000 });
  await many.call({ cmd: 'connect', port, clients: Array.from({ length: PUBLISHERS }, (_, i) => spec(i + 1)), concurrency: 50, keepaliveS: 600, connectTimeoutMs: 30_000 });
  return { name, child, sub, single, many, samples: {} };
}

async function run(r: Rig, scenario: (typeof SCENARIOS)[number], warmUp = false): Promise<void> {
  const single = scenario === SCENARIOS[0];
  const perClient = single ? MESSAGES : Math.max(1, Math.round(MESSAGES / PUBLISHERS));
  const total = single ? perClient : perClient * PUBLISHERS;
  const got = r.sub.expect(total);
  const sent = await (single ? r.single : r.many).call({ cmd: 'publish', qos: 1, perClient: warmUp ? Math.min(perClient, 2_000) : perClient, payloadBytes: 100, windowPerClient: single ? 100 : 1 });
  if (warmUp) return void r.sub.expect(0);
  const { count, lastAt } = await got;
  const rate = count / ((lastAt - sent.startedAt!) / 1000);
  (r.samples[scenario] ??= []).push(rate);
  progress(`${r.name}: ${scenario}: ${Math.round(rate)} msg/s${count < total ? `, ${total - count} not received` : ''}`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const db = await startEmbeddedDatabase({ port: 0 });
const pool = createPool(db.url);
await migrate(pool);
await pool.end();
const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-persistence-'));
const rigs: Rig[] = [];
try {
  rigs.push(await rig('memory', db.url, 'memory'));
  rigs.push(await rig('sqlite', db.url, `sqlite:${join(dir, 'broker.sqlite')}`));
  for (const r of rigs) await run(r, SCENARIOS[0], true);
  for (let round = 1; round <= ROUNDS; round++) {
    progress(`round ${round} of ${ROUNDS}`);
    for (const s of SCENARIOS) for (const r of rigs) await run(r, s);
  }
  const [mem, sql] = rigs as [Rig, Rig];
  const rows = SCENARIOS.map((s) => {
    const m = median(mem.samples[s]!);
    const q = median(sql.samples[s]!);
    return `| ${s} | ${Math.round(m)} | ${Math.round(q)} | ${(q / m).toFixed(2)} |`;
  });
  process.stdout.write(
    [
      `Broker persistence, QoS 1 msg/s to a persistent-session subscriber (median of ${ROUNDS}, ${MESSAGES} messages a run, 100-byte payloads)`,
      '',
      '| scenario | memory | sqlite | sqlite / memory |',
      '|---|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
} finally {
  for (const r of rigs) {
    r.sub.close();
    r.single.stop();
    r.many.stop();
    const exited = once(r.child, 'exit');
    r.child.kill('SIGTERM');
    await exited;
  }
  await db.close();
  rmSync(dir, { recursive: true, force: true });
}
