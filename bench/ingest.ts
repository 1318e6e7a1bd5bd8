/**
 * `npm run bench:ingest`: tag fixes committed per second end to end, from
 * several publisher processes through the real Vigil broker (startBroker, auth
 * and ACL on, registered devices) into ingest running as its own process, on
 * (a) the embedded database and (b) a real PostgreSQL 15 started here; and, in
 * the same run, the same N rows bulk-loaded with one raw COPY into that
 * PostgreSQL as the reference. Prints fixes/s, the ratio to raw COPY, ingest's
 * RSS and CPU, and the broker's CPU; and (c) the PostgreSQL run again through a
 * bare Aedes (no auth, ACL or limits) as the reference for the broker's own cost.
 *
 * Settings (environment): VIGIL_BENCH_FIXES (default 100 000), VIGIL_BENCH_PUBLISHERS
 * (processes, default 4), VIGIL_BENCH_DEVICES (per process, default 10),
 * VIGIL_BENCH_WINDOW (QoS 1 messages in flight per device client, default 100),
 * VIGIL_BENCH_PUBLISHER (`raw`, default: packets encoded up front and written to
 * each device's socket, lib/raw-fix-publisher.ts; `mqttjs`: one mqtt.js client per
 * device, lib/fix-publisher.ts — the same MQTT on the wire, more publisher CPU);
 * VIGIL_INGEST_BATCH_MAX_ROWS, VIGIL_INGEST_FLUSH_INTERVAL_MS and VIGIL_INGEST_WRITE_METHOD go to ingest;
 * VIGIL_BENCH_PG_FSYNC=on keeps fsync on in the PostgreSQL server (default off, as in the tests: the row label says which);
 * VIGIL_BENCH_ONLY=postgres runs only the Vigil-broker PostgreSQL run and the raw COPY (for quick comparisons);
 * VIGIL_BENCH_ONLY=broker runs the Vigil-broker PostgreSQL run and the bare-Aedes one (the broker's ratio, without the embedded run);
 * VIGIL_BENCH_CPU_PROFILE_DIR writes a V8 CPU profile of each ingest process there (node --cpu-prof);
 * VIGIL_BENCH_BROKER_PROFILE_DIR writes a V8 CPU profile of this process (the broker) there for each run, from 'go' to the last
 * commit only (node:inspector, sampling every 100 µs); `npx tsx bench/lib/cpuprofile-top.ts FILE` summarises one.
 * PostgreSQL's CPU is read from /proc for the postmaster and its backends (children).
 */
import { spawn, fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Aedes } from 'aedes';
import { pino } from 'pino';
import { from as copyFrom } from 'pg-copy-streams';
import { hashSecret, serviceAccounts, startBroker } from '@vigil/broker';
import { createPool, migrate } from '@vigil/ingest';
import { freePort } from '../ingest/test/helpers.js';
import { startPgServer } from '../ingest/test/pg-server.js';
import { pgCpuSeconds } from './lib/pg-cpu.js';
import { startProfile } from './lib/self-profile.js';
import { rssBytes } from './lib/processes.js';
import type { FixPublisherSpec } from './lib/fix-publisher.js';

function intSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number, got ${JSON.stringify(raw)}`);
  return n;
}

const FIXES = intSetting('VIGIL_BENCH_FIXES', 100_000);
const PUBLISHERS = intSetting('VIGIL_BENCH_PUBLISHERS', 4);
const DEVICES = intSetting('VIGIL_BENCH_DEVICES', 10);
const WINDOW = intSetting('VIGIL_BENCH_WINDOW', 100);
const PUBLISHER = process.env.VIGIL_BENCH_PUBLISHER ?? 'raw';
if (PUBLISHER !== 'raw' && PUBLISHER !== 'mqttjs') throw new Error(`VIGIL_BENCH_PUBLISHER must be raw or mqttjs, got ${JSON.stringify(PUBLISHER)}`);
const ONLY = process.env.VIGIL_BENCH_ONLY;
if (ONLY !== undefined && ONLY !== '' && ONLY !== 'postgres' && ONLY !== 'broker') throw new Error(`VIGIL_BENCH_ONLY must be postgres or broker, got ${JSON.stringify(ONLY)}`);
const ONLY_POSTGRES = ONLY === 'postgres';
const SKIP_EMBEDDED = ONLY === 'postgres' || ONLY === 'broker';
const BROKER_PROFILE_DIR = process.env.VIGIL_BENCH_BROKER_PROFILE_DIR;
const PG_FSYNC = process.env.VIGIL_BENCH_PG_FSYNC === 'on';
const PG_LABEL = `PostgreSQL 15 (fsync=${PG_FSYNC ? 'on' : 'off'})`;
const CPU_PROFILE_DIR = process.env.VIGIL_BENCH_CPU_PROFILE_DIR;
const PUBLISHER_FILE = PUBLISHER === 'raw' ? './lib/raw-fix-publisher.ts' : './lib/fix-publisher.ts';
const SITE = 'bench';
const DEVICE_SECRET = 'bench-device-secret-0123456789';
const INGEST_SECRET = 'bench-ingest-secret-0123456789';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
// One ingest session for every run, as a deployment keeps one across restarts: with a new id per run the
// embedded run's persistent session stayed subscribed through the PostgreSQL run, and the Vigil broker queued
// every fix a second time for it (100,000 messages no one collected), work the bare-Aedes run (a new broker) never did.
const INGEST_CLIENT_ID = `bench-ingest-${randomUUID()}`;
const TIMEOUT_MS = 900_000;
const progress = (line: string) => process.stderr.write(`[bench] ${line}\n`);

/** One backend's result. */
interface Figures {
  name: string;
  fixesPerSecond: number;
  peakRssBytes: number;
  ingestCpuSeconds: number;
  brokerCpuSeconds: number;
  publishersCpuSeconds: number;
  /** All PostgreSQL processes (postmaster, backends, background workers); undefined for the embedded database. */
  pgCpuSeconds: number | undefined;
  /** Mean of ingest's pending gauge over the run: near its cap (4 × batch rows) the database side is the bottleneck, near 0 upstream is. */
  meanPending: number;
}

/** utime + stime of a process in seconds, from /proc (Linux; clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Start `node --import tsx ingest/src/main.ts` (its memory its own) and wait for VIGIL_INGEST_READY. */
async function startIngestProcess(env: Record<string, string>): Promise<{ child: ChildProcess; stop(): Promise<void> }> {
  const passed = ['VIGIL_INGEST_BATCH_MAX_ROWS', 'VIGIL_INGEST_FLUSH_INTERVAL_MS', 'VIGIL_INGEST_WRITE_METHOD'].filter((k) => process.env[k]);
  const profile = CPU_PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROFILE_DIR] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', join(ROOT, 'ingest', 'src', 'main.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...Object.fromEntries(passed.map((k) => [k, process.env[k]!])), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const onData = (b: Buffer) => {
      tail = (tail + b.toString()).slice(-4000);
      if (tail.includes('VIGIL_INGEST_READY')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (b: Buffer) => (tail = (tail + b.toString()).slice(-4000)));
    child.once('exit', (code) => reject(new Error(`ingest exited ${code} before it was ready: ${tail}`)));
  });
  // Keep draining its log so a full pipe never stalls it.
  child.stdout!.removeAllListeners('data');
  child.stdout!.resume();
  return { child, stop: async () => (child.kill('SIGTERM'), await exited) };
}

// This process is the broker: its polling of ingest's metrics (every 50 ms) is counted as broker CPU, so it goes over
// one kept-alive connection with node:http (fetch cost about 1 ms of CPU per request, ~2 % of the broker's time).
const scrapeAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function httpGetText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: scrapeAgent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`GET ${url}: ${res.statusCode}`))));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** Rows ingest has committed to tag_fixes and messages it holds waiting for a commit, from its /metrics. */
async function scrape(metricsUrl: string): Promise<{ committed: number; pending: number }> {
  const text = await httpGetText(metricsUrl);
  const read = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
  return { committed: read(/^vigil_ingest_written_rows_total\{table="tag_fixes"\} (\d+)/m), pending: read(/^vigil_ingest_pending (\d+)/m) };
}

/** Fork the publisher processes, each with its devices connected, ready for 'go'. */
async function startPublishers(brokerUrl: string, t0Ms: number): Promise<ChildProcess[]> {
  const perProcess = Math.floor(FIXES / PUBLISHERS);
  return Promise.all(
    Array.from({ length: PUBLISHERS }, async (_, p) => {
      const spec: FixPublisherSpec = {
        url: brokerUrl,
        site: SITE,
        devices: Array.from({ length: DEVICES }, (_, d) => deviceId(p * DEVICES + d)),
        secret: DEVICE_SECRET,
        fixes: p === PUBLISHERS - 1 ? FIXES - perProcess * (PUBLISHERS - 1) : perProcess,
        windowPerClient: WINDOW,
        t0Ms: t0Ms + p * 1_000,
      };
      const child = fork(fileURLToPath(new URL(PUBLISHER_FILE, import.meta.url)), [JSON.stringify(spec)], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      await new Promise<void>((resolve, reject) => {
        child.once('message', () => resolve());
        child.once('exit', (code) => reject(new Error(`publisher exited ${code} before it was ready`)));
      });
      return child;
    }),
  );
}

const deviceId = (n: number) => `pub-${String(n).padStart(5, '0')}`;

/** Publish FIXES through the broker into a fresh ingest process on `db`; time until all are committed. */
async function runIngest(name: string, brokerUrl: string, db: Record<string, string>, brokerCpu: () => number, pgCpu?: () => number): Promise<Figures> {
  const metricsPort = await freePort();
  const ingest = await startIngestProcess({
    ...db,
    VIGIL_MQTT_URL: brokerUrl,
    VIGIL_MQTT_USERNAME: 'svc-ingest',
    VIGIL_MQTT_PASSWORD: INGEST_SECRET,
    VIGIL_INGEST_CLIENT_ID: INGEST_CLIENT_ID,
    VIGIL_INGEST_METRICS_PORT: String(metricsPort),
  });
  const pid = ingest.child.pid!;
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const publishers = await startPublishers(brokerUrl, Date.now() - 3_600_000);
  try {
    progress(`${name}: ${PUBLISHERS} publisher processes × ${DEVICES} devices connected; publishing ${FIXES} fixes`);
    const publishersCpu = () => publishers.reduce((sum, p) => sum + cpuSeconds(p.pid!), 0);
    const profile = BROKER_PROFILE_DIR ? await startProfile() : undefined;
    const cpu0 = { ingest: cpuSeconds(pid), broker: brokerCpu(), publishers: publishersCpu(), pg: pgCpu?.() };
    const start = performance.now();
    const sent = Promise.all(
      publishers.map(
        (p) =>
          new Promise<void>((resolve, reject) => {
            p.once('message', (m: { error?: string }) => (m.error ? reject(new Error(m.error)) : resolve()));
            p.send('go');
          }),
      ),
    );
    sent.catch(() => undefined);
    let peakRss = 0;
    let n = 0;
    const pendings: number[] = [];
    while (n < FIXES) {
      if (performance.now() - start > TIMEOUT_MS) throw new Error(`${name}: only ${n} of ${FIXES} committed after ${TIMEOUT_MS} ms`);
      await sleep(50);
      peakRss = Math.max(peakRss, rssBytes(pid));
      const m = await scrape(metricsUrl);
      n = m.committed;
      pendings.push(m.pending);
    }
    const seconds = (performance.now() - start) / 1000;
    if (profile) progress(`${name}: broker CPU profile ${await profile.stop(BROKER_PROFILE_DIR!, name)}`);
    await sent;
    const figures: Figures = {
      name,
      fixesPerSecond: FIXES / seconds,
      peakRssBytes: peakRss,
      ingestCpuSeconds: cpuSeconds(pid) - cpu0.ingest,
      brokerCpuSeconds: brokerCpu() - cpu0.broker,
      publishersCpuSeconds: publishersCpu() - cpu0.publishers,
      pgCpuSeconds: pgCpu && cpu0.pg !== undefined ? pgCpu() - cpu0.pg : undefined,
      meanPending: pendings.reduce((a, b) => a + b, 0) / Math.max(pendings.length, 1),
    };
    progress(`${name}: ${FIXES} committed in ${seconds.toFixed(2)} s (host load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs)`);
    return figures;
  } finally {
    for (const p of publishers) p.disconnect();
    await ingest.stop();
  }
}

/** The same shape of rows bulk-loaded with one COPY straight into tag_fixes (no temp table, no dedupe): the ceiling. */
async function rawCopy(url: string): Promise<number> {
  const pool = createPool(url);
  try {
    const t0 = Date.now() - 7_200_000;
    const lines: string[] = [];
    for (let i = 0; i < FIXES; i++) {
      lines.push(`${new Date(t0 + i).toISOString()}\t${randomUUID()}\t${deviceId(i % (PUBLISHERS * DEVICES))}\t${SITE}\t${i}\t${31.2 + i * 1e-6}\t121.4\t5\t\\N\t\\N\t\\N\t9\tgps\n`);
    }
    const client = await pool.connect();
    try {
      await client.query('TRUNCATE tag_fixes');
      const start = performance.now();
      await pipeline(
        Readable.from(lines),
        client.query(copyFrom('COPY tag_fixes (time, msg_id, device_id, site_id, seq, lat, lon, acc_m, speed_mps, heading_deg, alt_m, sats, src) FROM STDIN')),
      );
      const seconds = (performance.now() - start) / 1000;
      const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM tag_fixes');
      if (rows[0]!.n !== FIXES) throw new Error(`raw COPY stored ${rows[0]!.n} rows, not ${FIXES}`);
      return FIXES / seconds;
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
  }
}

const BARE_AEDES = 'PostgreSQL 15, bare Aedes (reference)';

/** A plain Aedes on a free port, as `bench:broker` and `bench:api` use for their reference runs. */
async function startBareAedes(): Promise<{ url: string; close(): Promise<void> }> {
  const aedes = await Aedes.createBroker();
  const server = net.createServer(aedes.handle);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function printTable(results: Figures[], copyRate: number): void {
  const rows = [
    ['backend', 'fixes/s committed', 'ratio to raw COPY', 'ingest RSS peak (MiB)', 'ingest CPU (s)', 'broker CPU (s)', 'publishers CPU (s)', 'PostgreSQL CPU (s)', 'ingest pending (mean)'],
    ...results.map((r) => [
      r.name,
      fmt(r.fixesPerSecond),
      fmt(r.fixesPerSecond / copyRate, 3),
      fmt(r.peakRssBytes / 1024 ** 2, 1),
      fmt(r.ingestCpuSeconds, 1),
      fmt(r.brokerCpuSeconds, 1),
      fmt(r.publishersCpuSeconds, 1),
      r.pgCpuSeconds === undefined ? '-' : fmt(r.pgCpuSeconds, 1),
      fmt(r.meanPending),
    ]),
    ['raw COPY into PostgreSQL 15 (reference)', fmt(copyRate), '1.000', '-', '-', '-', '-', '-', '-'],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const out = rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
  process.stdout.write(`\nIngest benchmark: ${FIXES} tag fixes, ${PUBLISHERS} ${PUBLISHER} publisher processes × ${DEVICES} devices, QoS 1, ${WINDOW} in flight per device\n`);
  process.stdout.write('Vigil broker in the bench process (auth + ACL, limits raised); ingest as its own process; fixes/s from the first publish to the last commit.\n\n');
  process.stdout.write(`${out}\n`);
  const real = results.find((r) => r.name.startsWith('PostgreSQL') && r.name !== BARE_AEDES);
  const bare = results.find((r) => r.name === BARE_AEDES);
  if (real && bare) process.stdout.write(`\nVigil broker / bare Aedes on PostgreSQL 15: ${fmt(real.fixesPerSecond / bare.fixesPerSecond, 2)}× the rate; broker CPU ${fmt(real.brokerCpuSeconds / bare.brokerCpuSeconds, 2)}×\n`);
  if (real) {
    process.stdout.write(`\nGoals: ${real.fixesPerSecond >= 30_000 ? 'PASS' : 'FAIL'} ≥ 30 000 fixes/s on PostgreSQL 15; ${real.fixesPerSecond / copyRate >= 0.5 ? 'PASS' : 'FAIL'} ≥ 0.5 of raw COPY\n`);
  }
}

const server = await startPgServer({ fsync: PG_FSYNC });
const dataDir = await mkdtemp(join(tmpdir(), 'vigil-bench-ingest-'));
try {
  // The broker's registry lives in the real server; the embedded run's ingest only stores fixes, which need no device row.
  const registry = createPool(server.url);
  await migrate(registry);
  await registry.query(`INSERT INTO org_units (id, level, name_en, name_zh) VALUES ('bench', 1, 'Bench', '基准')`);
  await registry.query(`INSERT INTO sites (id, org_unit_id, kind, name_en, name_zh) VALUES ('bench', 'bench', 'prison', 'Bench', '基准')`);
  // one scrypt hash for all devices: hashing each would cost seconds apiece
  await registry.query(
    `INSERT INTO devices (id, site_id, kind, secret_hash) SELECT 'pub-' || lpad(g::text, 5, '0'), 'bench', 'tag', $1 FROM generate_series(0, $2 - 1) g`,
    [await hashSecret(DEVICE_SECRET), PUBLISHERS * DEVICES],
  );
  const broker = await startBroker({
    port: 0,
    host: '127.0.0.1',
    pool: registry,
    services: serviceAccounts({ ingest: INGEST_SECRET }),
    logger: pino({ level: 'silent' }),
    // every check stays on; only the rates are raised, since all load comes from one address and few clients
    limits: { connectionsPerIpPerSecond: 1_000_000, messagesPerClientPerSecond: 10_000_000 },
  });
  const brokerUrl = `mqtt://127.0.0.1:${broker.port}`;
  const brokerCpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const pgCpu = () => pgCpuSeconds(server.dataDir);
  const results: Figures[] = [];
  try {
    if (!SKIP_EMBEDDED) {
      const dbPort = await freePort();
      results.push(await runIngest('embedded (PGlite)', brokerUrl, { VIGIL_DATA_DIR: dataDir, VIGIL_DB_PORT: String(dbPort) }, brokerCpu));
      await registry.query('TRUNCATE tag_fixes');
    }
    results.push(await runIngest(PG_LABEL, brokerUrl, { DATABASE_URL: server.url }, brokerCpu, pgCpu));
    const { rows } = await registry.query<{ n: number }>('SELECT count(*)::int AS n FROM tag_fixes');
    if (rows[0]!.n !== FIXES) throw new Error(`PostgreSQL holds ${rows[0]!.n} fixes, not ${FIXES}`);
  } finally {
    await broker.close();
  }
  // Reference: the same path through a bare Aedes (no authentication, ACL, limits or presence) — the ceiling any Aedes-based broker sets.
  if (!ONLY_POSTGRES) {
    await registry.query('TRUNCATE tag_fixes');
    const bare = await startBareAedes();
    try {
      results.push(await runIngest(BARE_AEDES, bare.url, { DATABASE_URL: server.url }, brokerCpu, pgCpu));
    } finally {
      await bare.close();
    }
  }
  await registry.end();
  printTable(results, await rawCopy(server.url));
} finally {
  await server.destroy();
  await rm(dataDir, { recursive: true, force: true });
}
