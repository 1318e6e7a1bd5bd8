/**
 * `npm run soak`: the whole stack (embedded database, broker, ingest,
 * analytics, command centre, demo device simulator) under load for
 * VIGIL_SOAK_MINUTES (default 60; 2 under CI=true), sampling every service's
 * RSS and open file descriptors from /proc every VIGIL_SOAK_SAMPLE_S seconds.
 * Prints a table over time and a verdict per service: the least-squares slope
 * of RSS over the second half must stay under VIGIL_SOAK_MAX_RSS_MIB_PER_H
 * (default 64) and of open descriptors under VIGIL_SOAK_MAX_FDS_PER_H (60).
 * Load: VIGIL_SOAK_TAGS (500) tags fixing every VIGIL_SOAK_INTERVAL_S (5).
 * VIGIL_SOAK_LOG=FILE appends every service's output lines to FILE (e.g. the
 * embedded database's memory log, VIGIL_DB_MEMORY_LOG_S).
 * VIGIL_SOAK_DB=postgres runs the stack on a PostgreSQL 15 server the soak
 * starts (the production layout) instead of the embedded database, and samples
 * the server's whole process tree (PSS, so shared buffers count once).
 * Exits 1 if any service grows past a threshold or exits.
 */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool, migrate } from '@vigil/ingest';
import { startPgServer, type PgServer } from '../ingest/test/pg-server.js';
import { treeMemory } from './lib/process-tree-memory.js';
import { startStack } from '../scripts/stack/stack.js';
import { startLoad } from '../e2e/fault/load.js';
import { registerLoadTags } from '../e2e/fault/system.js';

const num = (name: string, dflt: number, min: number) => {
  const raw = process.env[name];
  const v = raw === undefined ? dflt : Number(raw);
  if (!Number.isFinite(v) || v < min) {
    process.stderr.write(`${name}: must be a number ≥ ${min}, got ${JSON.stringify(raw)}\n`);
    process.exit(78);
  }
  return v;
};
const minutes = num('VIGIL_SOAK_MINUTES', process.env.CI === 'true' ? 2 : 60, 0.5);
const sampleS = num('VIGIL_SOAK_SAMPLE_S', Math.max(5, Math.round((minutes * 60) / 40)), 1);
const tags = num('VIGIL_SOAK_TAGS', 500, 1);
const intervalS = num('VIGIL_SOAK_INTERVAL_S', 5, 0.1);
const maxRss = num('VIGIL_SOAK_MAX_RSS_MIB_PER_H', 64, 0);
const maxFds = num('VIGIL_SOAK_MAX_FDS_PER_H', 60, 0);
const logFile = process.env.VIGIL_SOAK_LOG;
const say = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

interface Sample {
  tS: number;
  rssMiB: number;
  fds: number;
}

/** RSS (VmRSS) and open descriptors of a live process, from /proc. */
function sample(pid: number): { rssMiB: number; fds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  return { rssMiB: kb / 1024, fds: readdirSync(`/proc/${pid}/fd`).length };
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

// every load tag connects from 127.0.0.1; in the field each has its own address
process.env.VIGIL_MQTT_MAX_CONN_PER_IP_PER_SEC ??= '100000';
const dbKind = process.env.VIGIL_SOAK_DB ?? 'embedded';
if (dbKind !== 'embedded' && dbKind !== 'postgres') {
  process.stderr.write(`VIGIL_SOAK_DB: must be embedded or postgres, got ${JSON.stringify(dbKind)}\n`);
  process.exit(78);
}
const dataDir = mkdtempSync(join(tmpdir(), 'vigil-soak-'));
let pg: PgServer | undefined;
if (dbKind === 'postgres') {
  pg = await startPgServer({ fsync: true });
  const pool = createPool(pg.url);
  await migrate(pool).finally(() => pool.end());
}
const stack = await startStack({ httpPort: 0, httpHost: '127.0.0.1', mqttPort: 0, dbPort: 0, dataDir: join(dataDir, 'pg'), ...(pg ? { databaseUrl: pg.url } : {}), simulator: true, simFixIntervalMs: 5000, sink: (name, line) => {
  if (logFile) appendFileSync(logFile, `${name} ${line}\n`);
} });
/**
 * What is sampled: every service process, and the PostgreSQL server's process tree when there is one,
 * as its processes' own memory and its shared segment. The shared segment fills up to its configured
 * size (`boundMiB`, pg_shmem_allocations) as pages are touched: it is judged against that bound.
 */
const probes: { name: string; boundMiB?: number; sample(): { rssMiB: number; fds: number } }[] = stack.services.map((s) => ({ name: s.name, sample: () => sample(s.child.pid!) }));
if (pg) {
  const postmaster = Number(readFileSync(join(pg.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const pool = createPool(pg.url);
  const { rows } = await pool.query<{ bytes: string }>('SELECT sum(allocated_size)::text AS bytes FROM pg_shmem_allocations').finally(() => pool.end());
  const shmemBound = Number(rows[0]!.bytes) / 1024 ** 2;
  probes.unshift(
    { name: 'postgres (processes, PSS)', sample: () => {
      const m = treeMemory(postmaster);
      return { rssMiB: m.privateMiB, fds: m.fds };
    } },
    { name: 'postgres (shared segment, PSS)', boundMiB: shmemBound, sample: () => ({ rssMiB: treeMemory(postmaster).shmemMiB, fds: 0 }) },
  );
}
const series = new Map<string, Sample[]>(probes.map((p) => [p.name, []]));
const exited: string[] = [];
for (const s of stack.services) s.child.once('exit', (code, signal) => exited.push(`${s.name} (${code ?? signal})`));
let load: Awaited<ReturnType<typeof startLoad>> | undefined;
let died: string[] = [];
try {
  const pool = createPool(stack.databaseUrl);
  try {
    await registerLoadTags(pool, { prefix: 'soak', site: 'cc-lingyin', count: tags, secret: stack.tagSecret });
  } finally {
    await pool.end();
  }
  load = await startLoad({ mqttUrl: stack.mqttUrl, secret: stack.tagSecret, site: 'cc-lingyin', prefix: 'soak', tags, intervalMs: intervalS * 1000, centre: { lat: 29.9, lon: 121.9 } });
  say(`soak: ${dbKind} database, ${minutes} min, ${tags} load tags every ${intervalS} s plus the demo simulator; sampling every ${sampleS} s`);
  const t0 = Date.now();
  const names = probes.map((p) => p.name);
  say(['t (s)', ...names.map((n) => `${n} RSS MiB/fds`)].join(' | '));
  while (Date.now() - t0 < minutes * 60_000 && exited.length === 0) {
    const tS = (Date.now() - t0) / 1000;
    const cells: string[] = [];
    for (const p of probes) {
      const v = p.sample();
      series.get(p.name)!.push({ tS, ...v });
      cells.push(`${v.rssMiB.toFixed(0)}/${v.fds}`);
    }
    say([tS.toFixed(0), ...cells].join(' | '));
    await new Promise((r) => setTimeout(r, sampleS * 1000));
  }
  const acked = [...load.log.values()].filter((r) => r.ackedAt !== undefined).length;
  say(`load: ${load.log.size} sent, ${acked} acknowledged`);
  died = [...exited]; // before the stop below, which ends them all
} finally {
  await load?.close();
  await stack.stop();
  await pg?.destroy();
  rmSync(dataDir, { recursive: true, force: true });
}

let failed = died.length > 0;
if (failed) {
  say(`exited during the soak: ${died.join(', ')}`);
  // what each one printed last, to see why
  for (const svc of stack.services.filter((x) => died.some((d) => d.startsWith(`${x.name} (`)))) {
    say(`last lines of ${svc.name}:\n${svc.tail().slice(-20).join('\n')}`);
  }
}
process.stdout.write('\n| service | RSS first → last MiB | RSS slope, 2nd half (MiB/h) | fds first → last | fd slope, 2nd half (/h) | verdict |\n|---|---|---|---|---|---|\n');
for (const [name, s] of series) {
  if (s.length < 4) continue;
  const half = s.slice(Math.floor(s.length / 2));
  const rssPerH = slope(half.map((x) => x.tS / 3600), half.map((x) => x.rssMiB));
  const fdsPerH = slope(half.map((x) => x.tS / 3600), half.map((x) => x.fds));
  const bound = probes.find((p) => p.name === name)?.boundMiB;
  // a shared segment that fills towards its fixed size is bounded, not a leak
  const ok = bound !== undefined ? s.at(-1)!.rssMiB <= bound : rssPerH < maxRss && fdsPerH < maxFds;
  failed ||= !ok;
  const verdict = bound !== undefined ? `${ok ? 'bounded' : 'OVER'} (≤ ${bound.toFixed(0)} MiB configured)` : ok ? 'flat' : 'GROWS';
  process.stdout.write(
    `| ${name} | ${s[0]!.rssMiB.toFixed(0)} → ${s.at(-1)!.rssMiB.toFixed(0)} | ${rssPerH.toFixed(1)} | ${s[0]!.fds} → ${s.at(-1)!.fds} | ${fdsPerH.toFixed(1)} | ${verdict} |\n`,
  );
}
process.exit(failed ? 1 : 0);
