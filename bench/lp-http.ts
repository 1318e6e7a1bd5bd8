/**
 * `npx tsx bench/lp-http.ts`: line protocol over HTTP (`POST /api/v2/write`, as
 * Telegraf sends it) into the embedded database through ingest's batcher: lines
 * per second and request latency (each 204 waits for its commit), plain and
 * gzip, one writer and several at once. Prints one row per scenario.
 *
 * Settings (environment): VIGIL_BENCH_REQUESTS per scenario (default 200),
 * VIGIL_BENCH_LINES per request (default 1 000), VIGIL_BENCH_WRITERS concurrent (default 8),
 * VIGIL_BENCH_DB `embedded` (default) or `postgres` (a throwaway PostgreSQL 15 server).
 *
 * On the embedded database keep a batch's INSERT under 64 KiB (e.g. VIGIL_BENCH_LINES=50
 * VIGIL_BENCH_WRITERS=4): pglite-socket 0.0.19 does not reassemble a protocol message split
 * across socket reads and PGlite aborts (RuntimeError: unreachable) on a larger one.
 */
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import { Aedes } from 'aedes';
import { createLogger, createLpToken, createPool, lpTokenCache, migrate, startEmbeddedDatabase, startIngest, startLpHttpServer } from '@vigil/ingest';
import { startRealPostgres } from '../ingest/test/helpers.js';

function intSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number, got ${JSON.stringify(raw)}`);
  return n;
}
const requests = intSetting('VIGIL_BENCH_REQUESTS', 200);
const linesPerRequest = intSetting('VIGIL_BENCH_LINES', 1_000);
const writers = intSetting('VIGIL_BENCH_WRITERS', 8);

const silent = createLogger('bench', 'silent');
const useRealPostgres = process.env.VIGIL_BENCH_DB === 'postgres';
const real = useRealPostgres ? await startRealPostgres() : undefined;
if (real && 'skip' in real) throw new Error(real.skip);
const db = real ? { url: real.url, close: real.stop } : await startEmbeddedDatabase({ port: 0 });
const pool = createPool(db.url, { maxConnections: useRealPostgres ? 4 : 1 });
await migrate(pool);
await pool.query(`INSERT INTO org_units (id, level, name_en, name_zh) VALUES ('bench', 1, 'Bench', '基准')`);
await pool.query(`INSERT INTO sites (id, org_unit_id, kind, name_en, name_zh) VALUES ('bench', 'bench', 'prison', 'Bench', '基准')`);
await pool.query(`INSERT INTO devices (id, site_id, kind, secret_hash) VALUES ('telegraf-01', 'bench', 'sensor', 'unused')`);
const { token } = await createLpToken(pool, 'telegraf-01');
const broker = await Aedes.createBroker();
const mqttServer = net.createServer(broker.handle);
await new Promise<void>((resolve) => mqttServer.listen(0, '127.0.0.1', resolve));
const mqttUrl = `mqtt://127.0.0.1:${(mqttServer.address() as net.AddressInfo).port}`;
const ingest = await startIngest({ mqttUrl, clientId: 'bench-lp-http', pool, logger: silent });
const http = await startLpHttpServer({ port: 0, authenticate: lpTokenCache(pool), submit: (r) => ingest.submit(r), logger: silent });

let nextTime = 1_764_000_000_000_000_000n;
/** A Telegraf-like batch: cpu and mem points of 8 hosts, every line a new point (no duplicates). */
function body(): string {
  const lines: string[] = [];
  for (let i = 0; i < linesPerRequest; i++) {
    nextTime += 1_000n;
    lines.push(`cpu,cpu=cpu-total,host=gw-${i % 8} usage_idle=${(90 + (i % 10)).toFixed(1)},usage_user=1.25,n=${i}i ${nextTime}`);
  }
  return `${lines.join('\n')}\n`;
}

async function scenario(name: string, concurrency: number, gzip: boolean): Promise<void> {
  const bodies = Array.from({ length: requests }, () => (gzip ? gzipSync(body()) : Buffer.from(body())));
  const headers: Record<string, string> = { Authorization: `Token ${token}`, 'Content-Type': 'text/plain; charset=utf-8' };
  if (gzip) headers['Content-Encoding'] = 'gzip';
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const b = bodies[next++]!;
        const t0 = performance.now();
        const res = await fetch(`${http.url}/api/v2/write?org=o&bucket=b`, { method: 'POST', headers, body: b });
        await res.arrayBuffer();
        if (res.status !== 204) throw new Error(`${name}: HTTP ${res.status}`);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(1);
  const lines = requests * linesPerRequest;
  process.stdout.write(`${name.padEnd(26)} ${String(Math.round(lines / seconds)).padStart(9)} lines/s   p50 ${pct(50).padStart(7)} ms   p99 ${pct(99).padStart(7)} ms\n`);
}

process.stdout.write(`${requests} requests × ${linesPerRequest} lines per scenario, ${useRealPostgres ? 'PostgreSQL 15 server' : 'embedded database'}\n`);
await scenario('1 writer, plain', 1, false);
await scenario('1 writer, gzip', 1, true);
await scenario(`${writers} writers, plain`, writers, false);
await scenario(`${writers} writers, gzip`, writers, true);
const stored = (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM metrics')).rows[0]!.n;
process.stdout.write(`rows in metrics: ${stored} (expected ${4 * requests * linesPerRequest})\n`);

await http.close();
await ingest.close();
await new Promise<void>((resolve) => broker.close(() => resolve()));
await new Promise<void>((resolve) => mqttServer.close(() => resolve()));
await pool.end();
await db.close();
