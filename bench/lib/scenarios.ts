/** The measurements, run the same way against every broker. */
import type { ClientSpec } from './protocol.js';
import { startWorker, type Worker } from './processes.js';

/** The bench settings (bench/broker.ts reads them from the environment). */
export interface BenchSettings {
  /** Messages per throughput scenario, in total. */
  messages: number;
  /** Publishers in the many-to-one scenarios. */
  publishers: number;
  /** Device connections held in the memory scenario. */
  connections: number;
  /** Payload size in bytes. */
  payloadBytes: number;
  /** Throughput rounds; each scenario runs once per round on every broker in turn, and the median is kept. */
  rounds: number;
  /** The shared device secret and the svc-ingest secret (ignored by brokers without auth). */
  deviceSecret: string;
  ingestSecret: string;
}

/** What one broker scored. */
export interface BrokerFigures {
  /** Messages per second by scenario name (median of the rounds). */
  rates: Record<string, number>;
  /** Messages lost (not received before the timeout) by scenario name, when any. */
  lost: Record<string, number>;
  /** RSS after start-up. */
  idleRssBytes: number;
  /** RSS after the throughput runs, just before the hold: the baseline of the per-connection figure. */
  beforeHoldRssBytes: number;
  heldRssBytes: number;
  /** JS heap + external memory before and during the hold (Node brokers only), a steadier per-connection figure than RSS. */
  beforeHoldHeapBytes?: number | undefined;
  heldHeapBytes?: number | undefined;
  held: number;
  connectFailed: number;
  connectMs: number;
  /** The same devices connecting again right after (warm: Vigil's credential cache applies). */
  reconnected: number;
  reconnectMs: number;
  firstConnectError?: string | undefined;
}

/** Scenario names, in print order. */
export const SCENARIOS = ['QoS 0, 1 → 1', 'QoS 1, 1 → 1', 'QoS 0, many → 1', 'QoS 1, many → 1'] as const;

const FILTER = 'vigil/v1/+/+/telemetry';
const CONNECT_CONCURRENCY = 32;
/** Scrypt makes a cold Vigil connect ~80 ms of CPU, so connects wait long in a storm; the timeout must allow for it. */
const CONNECT_TIMEOUT_MS = 1_800_000;
const RECEIVE_TIMEOUT_MS = 180_000;
/** Held connections ping rarely, like battery devices; the hold lasts seconds. */
const KEEPALIVE_S = 600;

/** A registered device's connection: its id is its client id and username. */
export const device = (s: BenchSettings, id: string): ClientSpec => ({ clientId: id, username: id, password: s.deviceSecret, topic: `vigil/v1/bench/${id}/telemetry` });

/** Ids of the devices bench/broker.ts registers: `pub-00000`..., `hold-00000`... */
export const deviceId = (prefix: 'pub' | 'hold', n: number) => `${prefix}-${String(n).padStart(5, '0')}`;

function split<T>(items: T[], parts: number): T[][] {
  return Array.from({ length: parts }, (_, i) => items.filter((_, j) => j % parts === i));
}

/** Connect `specs`, spread over `workers`, with bounded concurrency; the time is the slowest worker's. */
export async function connect(workers: Worker[], port: number, specs: ClientSpec[]): Promise<{ connected: number; failed: number; ms: number; firstError?: string | undefined }> {
  const replies = await Promise.all(
    split(specs, workers.length).map((part, i) => workers[i]!.call({ cmd: 'connect', port, clients: part, concurrency: CONNECT_CONCURRENCY, keepaliveS: KEEPALIVE_S, connectTimeoutMs: CONNECT_TIMEOUT_MS })),
  );
  return {
    connected: replies.reduce((n, r) => n + (r.connected ?? 0), 0),
    failed: replies.reduce((n, r) => n + (r.failed ?? 0), 0),
    ms: Math.max(...replies.map((r) => r.ms ?? 0)),
    firstError: replies.find((r) => r.firstError !== undefined)?.firstError,
  };
}

/** One throughput run: a fresh subscriber, every publisher sends `perClient`, rate = received / (last receipt − first send). */
async function throughput(port: number, s: BenchSettings, sub: Worker, pubs: Worker[], qos: 0 | 1, perClient: number, windowPerClient: number) {
  await sub.call({ cmd: 'connect', port, clients: [{ clientId: 'svc-ingest-bench', username: 'svc-ingest', password: s.ingestSecret, topic: '' }], concurrency: 1, keepaliveS: 60, connectTimeoutMs: 60_000 });
  const { granted } = await sub.call({ cmd: 'subscribe', filter: FILTER, qos });
  if (granted !== qos) throw new Error(`subscription to ${FILTER} granted ${granted}, wanted ${qos}`);
  const sent = await Promise.all(pubs.map((w) => w.call({ cmd: 'publish', qos, perClient, payloadBytes: s.payloadBytes, windowPerClient })));
  const total = sent.reduce((n, r) => n + (r.sent ?? 0), 0);
  const got = await sub.call({ cmd: 'expect', count: total, timeoutMs: RECEIVE_TIMEOUT_MS });
  await sub.call({ cmd: 'close' });
  const startedAt = Math.min(...sent.map((r) => r.startedAt ?? Infinity));
  const seconds = ((got.lastAt ?? startedAt) - startedAt) / 1000;
  return { rate: (got.count ?? 0) / seconds, lost: total - (got.count ?? 0) };
}

/** The broker under test: where it listens, its process, and a GC before memory readings (returning heap + external bytes for Node). */
export interface Target {
  name: string;
  port: number;
  pid: number;
  collectGarbage(): Promise<number | undefined>;
}

/** A broker's load generators: one subscriber, one single publisher, two holding the many publishers. */
export interface Rig {
  target: Target;
  sub: Worker;
  single: Worker;
  many: Worker[];
  /** Rates of every round by scenario. */
  samples: Record<string, number[]>;
  lost: Record<string, number>;
  idleRssBytes: number;
  stop(): void;
}

/** Start a rig's workers and connect its publishers (cold: for Vigil each pays for scrypt). */
export async function prepare(target: Target, s: BenchSettings, idleRssBytes: number, progress: (line: string) => void): Promise<Rig> {
  const rig: Rig = { target, sub: startWorker(), single: startWorker(), many: [startWorker(), startWorker()], samples: {}, lost: {}, idleRssBytes, stop: () => undefined };
  rig.stop = () => [rig.sub, rig.single, ...rig.many].forEach((w) => w.stop());
  const one = await connect([rig.single], target.port, [device(s, deviceId('pub', 0))]);
  const many = await connect(rig.many, target.port, Array.from({ length: s.publishers }, (_, i) => device(s, deviceId('pub', i + 1))));
  if (one.failed + many.failed > 0) throw new Error(`${target.name}: publishers could not connect: ${one.firstError ?? many.firstError}`);
  progress(`${target.name}: ${many.connected + 1} publishers connected in ${((one.ms + many.ms) / 1000).toFixed(1)} s`);
  // warm-up, not reported: let the JIT settle on the publish path
  await throughput(target.port, s, rig.sub, [rig.single], 0, Math.ceil(s.messages / 10), 100);
  return rig;
}

/** Run scenario `name` once on `rig` and keep the sample. */
export async function runScenario(rig: Rig, s: BenchSettings, name: (typeof SCENARIOS)[number], progress: (line: string) => void): Promise<void> {
  const qos = name.startsWith('QoS 0') ? 0 : 1;
  const r = name.includes('many')
    ? await throughput(rig.target.port, s, rig.sub, rig.many, qos, Math.max(1, Math.round(s.messages / s.publishers)), 1)
    : await throughput(rig.target.port, s, rig.sub, [rig.single], qos, s.messages, 100);
  (rig.samples[name] ??= []).push(r.rate);
  if (r.lost > 0) rig.lost[name] = (rig.lost[name] ?? 0) + r.lost;
  progress(`${rig.target.name}: ${name}: ${Math.round(r.rate)} msg/s${r.lost > 0 ? `, ${r.lost} lost` : ''}`);
}

/** The median of each scenario's samples. */
export function medians(rig: Rig): Record<string, number> {
  return Object.fromEntries(
    Object.entries(rig.samples).map(([name, xs]) => {
      const sorted = [...xs].sort((a, b) => a - b);
      const mid = Math.floor(sorted.length / 2);
      return [name, sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2];
    }),
  );
}
