/**
 * `npm run bench:alert-latency`: the delay from a tag's publish to the alert
 * on the command centre's live stream (SSE), through the real processes
 * (broker, ingest, analytics, command centre, as `npm start` runs them, on
 * the embedded database), with VIGIL_BENCH_TAGS simulated tags (default
 * 10,000) each reporting every VIGIL_BENCH_INTERVAL_MS (default 10,000) in
 * the background. Probe tags publish a fix inside the demo's school zone;
 * each one's alert is timed on the stream. Reference in the same run: the
 * same probes with no background load. Goal (issue 7): p99 under 250 ms at 10,000 tags every 10 s.
 *
 * Settings: VIGIL_BENCH_TAGS, VIGIL_BENCH_INTERVAL_MS, VIGIL_BENCH_PROBES (default 200),
 * VIGIL_BENCH_PROBE_GAP_MS (default 200), VIGIL_BENCH_WARMUP_MS (default 15,000),
 * VIGIL_BENCH_DATABASE (`embedded`, the default, or `postgres`: a PostgreSQL 15 server started for the run,
 * where each service has its own connection instead of taking turns on the embedded one).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { hashSecret } from '@vigil/broker';
import { createUser } from '@vigil/command-center';
import { DEMO } from '@vigil/device-sim';
import { createPool, migrate } from '@vigil/ingest';
import { deviceTopic, newMessage } from '@vigil/schemas';
import { startPgServer, type PgServer } from '../ingest/test/pg-server.js';
import { startStack } from '../scripts/stack/stack.js';
import type { TagLoadSpec } from './lib/tag-load.js';

function intSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got ${JSON.stringify(raw)}`);
  return n;
}
const TAGS = intSetting('VIGIL_BENCH_TAGS', 10_000);
const INTERVAL_MS = intSetting('VIGIL_BENCH_INTERVAL_MS', 10_000);
const PROBES = intSetting('VIGIL_BENCH_PROBES', 200);
const GAP_MS = intSetting('VIGIL_BENCH_PROBE_GAP_MS', 200);
const WARMUP_MS = intSetting('VIGIL_BENCH_WARMUP_MS', 15_000);
const TAGS_PER_PROCESS = 2_500;
const SECRET = 'bench-tag-secret-0123456789';
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
const write = (s: string) => process.stdout.write(s);

const school = DEMO.zones.find((z) => z.id === 'zone-school')!;
const inside = { lat: (school.ring[0]![1] + school.ring[2]![1]) / 2, lon: (school.ring[0]![0] + school.ring[2]![0]) / 2, acc_m: 5 };
const site = school.siteId;

// Every tag here connects from 127.0.0.1: lift the broker's per-address connection rate (a real site's tags come from many).
process.env.VIGIL_MQTT_MAX_CONN_PER_IP_PER_SEC ??= '100000';
const dataDir = mkdtempSync(join(tmpdir(), 'vigil-bench-latency-'));
log('starting the stack (broker, ingest, analytics, command centre)…');
const DATABASE = process.env.VIGIL_BENCH_DATABASE || 'embedded';
if (DATABASE !== 'embedded' && DATABASE !== 'postgres') throw new Error(`VIGIL_BENCH_DATABASE must be embedded or postgres, got ${JSON.stringify(DATABASE)}`);
const pg: PgServer | undefined = DATABASE === 'postgres' ? await startPgServer() : undefined;
if (pg) {
  // The stack migrates only the embedded database it starts itself.
  const p = createPool(pg.url);
  await migrate(p);
  await p.end();
}
const stack = await startStack({
  httpPort: 0,
  httpHost: '127.0.0.1',
  mqttPort: 0,
  dbPort: 0,
  // the database in pg/, the broker's sessions beside it
  dataDir: join(dataDir, 'pg'),
  ...(pg ? { databaseUrl: pg.url } : {}),
  simulator: false,
  simFixIntervalMs: 1000,
  sink: () => undefined,
});
const loaders: ChildProcess[] = [];
try {
  const pool = createPool(stack.databaseUrl);
  const hash = await hashSecret(SECRET);
  await pool.query(
    `INSERT INTO devices (id, site_id, kind, secret_hash) SELECT 'load-' || lpad(g::text, 5, '0'), $1, 'tag', $2 FROM generate_series(0, $3 - 1) g`,
    [site, hash, TAGS],
  );
  await pool.query(`INSERT INTO devices (id, site_id, kind, secret_hash) SELECT 'probe-' || lpad(g::text, 5, '0'), $1, 'tag', $2 FROM generate_series(0, $3 - 1) g`, [
    site,
    hash,
    PROBES * 2,
  ]);
  await createUser(pool, { id: 'bench-op', username: 'bench-op', displayName: 'Bench operator', role: 'operator', orgUnitId: 'moj', password: 'bench operator password' });
  await pool.end();
  const login = await fetch(`${stack.httpUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bench-op', password: 'bench operator password' }) });
  if (login.status !== 200) throw new Error(`login failed: HTTP ${login.status}`);
  const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;

  // The live stream, each alert event timestamped on arrival.
  const arrivals = new Map<string, number>();
  const ac = new AbortController();
  const res = await fetch(`${stack.httpUrl}/api/alerts/stream`, { signal: ac.signal, headers: { accept: 'text/event-stream', cookie } });
  if (!res.ok || !res.body) throw new Error(`SSE: HTTP ${res.status}`);
  void (async () => {
    let buf = '';
    try {
      for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) {
        const now = Date.now();
        buf += chunk;
        let end: number;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          if (!/^event: ?alert$/m.test(block)) continue;
          const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
          const a = JSON.parse(data) as { dev: string; rule: string };
          if (a.rule === 'zone.exclusion' && !arrivals.has(a.dev)) arrivals.set(a.dev, now);
        }
      }
    } catch {
      // aborted at the end
    }
  })();

  /** Publish one inside-the-school fix per probe tag, `GAP_MS` apart; the delays to their alerts on the stream. */
  async function probe(first: number): Promise<{ delays: number[]; missing: number }> {
    const ids = Array.from({ length: PROBES }, (_, i) => `probe-${String(first + i).padStart(5, '0')}`);
    const clients: MqttClient[] = await Promise.all(ids.map((id) => mqtt.connectAsync(stack.mqttUrl, { protocolVersion: 4, clientId: id, username: id, password: SECRET, reconnectPeriod: 0 })));
    const sent = new Map<string, number>();
    for (const [i, c] of clients.entries()) {
      const t = Date.now();
      sent.set(ids[i]!, t);
      c.publish(deviceTopic(site, ids[i]!, 'telemetry'), JSON.stringify(newMessage('tag.fix', ids[i]!, 1, inside, t)), { qos: 1 });
      await new Promise((r) => setTimeout(r, GAP_MS));
    }
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && ids.some((id) => !arrivals.has(id))) await new Promise((r) => setTimeout(r, 100));
    await Promise.all(clients.map((c) => c.endAsync()));
    const delays = ids.filter((id) => arrivals.has(id)).map((id) => arrivals.get(id)! - sent.get(id)!);
    return { delays: delays.sort((a, b) => a - b), missing: ids.length - delays.length };
  }

  log(`reference: ${PROBES} probes with no background load…`);
  const idle = await probe(0);

  log(`connecting ${TAGS} tags in ${Math.ceil(TAGS / TAGS_PER_PROCESS)} processes…`);
  for (let p = 0; p * TAGS_PER_PROCESS < TAGS; p++) {
    const devices = Array.from({ length: Math.min(TAGS_PER_PROCESS, TAGS - p * TAGS_PER_PROCESS) }, (_, i) => `load-${String(p * TAGS_PER_PROCESS + i).padStart(5, '0')}`);
    const spec: TagLoadSpec = { url: stack.mqttUrl, site, devices, secret: SECRET, intervalMs: INTERVAL_MS };
    const child = fork(fileURLToPath(new URL('./lib/tag-load.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    loaders.push(child);
    child.send(spec);
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`load process exited ${code} before it was ready`)));
    });
  }
  for (const c of loaders) c.send({ go: true });
  log(`load running (${Math.round((TAGS * 1000) / INTERVAL_MS)} fixes/s); warming up ${WARMUP_MS} ms…`);
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  log(`${PROBES} probes under load…`);
  const loaded = await probe(PROBES);
  const published = await Promise.all(
    loaders.map(
      (c) =>
        new Promise<number>((resolve) => {
          c.on('message', (m: { published?: number }) => m.published !== undefined && resolve(m.published));
          c.send({ stop: true });
        }),
    ),
  );
  ac.abort();

  const pct = (xs: number[], p: number) => (xs.length ? xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]! : Number.NaN);
  const row = (name: string, r: { delays: number[]; missing: number }) =>
    `${name.padEnd(34)} ${String(pct(r.delays, 50)).padStart(8)} ${String(pct(r.delays, 99)).padStart(8)} ${String(r.delays.at(-1) ?? '-').padStart(8)} ${String(r.missing).padStart(8)}`;
  write(`bench:alert-latency — publish to alert on the command centre's SSE stream (ms), ${PROBES} probes each, ${DATABASE} database; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs\n`);
  write(`${''.padEnd(34)} ${'p50'.padStart(8)} ${'p99'.padStart(8)} ${'max'.padStart(8)} ${'missing'.padStart(8)}\n`);
  write(`${row('no background load (reference)', idle)}\n`);
  write(`${row(`${TAGS} tags every ${INTERVAL_MS / 1000} s`, loaded)}\n`);
  write(`p99 ratio loaded/reference: ${(pct(loaded.delays, 99) / pct(idle.delays, 99)).toFixed(2)}; background fixes published: ${published.reduce((a, b) => a + b, 0)}\n`);
  write(`goal p99 < 250 ms at ${TAGS} tags: ${pct(loaded.delays, 99) < 250 && loaded.missing === 0 ? 'met' : 'NOT met'}\n`);
} finally {
  for (const c of loaders) if (c.exitCode === null) c.kill('SIGKILL');
  await stack.stop();
  await pg?.destroy();
  rmSync(dataDir, { recursive: true, force: true });
}
