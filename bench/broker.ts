/**
 * `npm run bench:broker`: throughput (QoS 0 and 1, one publisher and many to one
 * subscriber, 100-byte payloads) and connections held with their memory, for
 * Vigil's broker with auth and ACL on, a bare Aedes and, where installed,
 * Mosquitto, in one run, each broker in its own process; prints a table with ratios.
 *
 * Settings (environment): VIGIL_BENCH_CONNECTIONS (default 10 000),
 * VIGIL_BENCH_MESSAGES per scenario (default 20 000), VIGIL_BENCH_PUBLISHERS (default 1 000),
 * VIGIL_BENCH_ROUNDS (default 3; the median is kept), VIGIL_BENCH_CPU_PROFILE_DIR (write a
 * CPU profile of each Node broker there).
 */
import { hashSecret } from '@vigil/broker';
import { createPool, migrate, startEmbeddedDatabase } from '@vigil/ingest';
import { mosquittoMissing, startMosquitto } from './lib/mosquitto.js';
import { hold } from './lib/hold.js';
import { rssBytes, startServer } from './lib/processes.js';
import { printReport, type Column } from './lib/report.js';
import { deviceId, prepare, runScenario, SCENARIOS, type BenchSettings, type Rig, type Target } from './lib/scenarios.js';

function intSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number, got ${JSON.stringify(raw)}`);
  return n;
}

const settings: BenchSettings = {
  connections: intSetting('VIGIL_BENCH_CONNECTIONS', 10_000),
  messages: intSetting('VIGIL_BENCH_MESSAGES', 20_000),
  publishers: intSetting('VIGIL_BENCH_PUBLISHERS', 1_000),
  rounds: intSetting('VIGIL_BENCH_ROUNDS', 3),
  payloadBytes: 100,
  deviceSecret: 'bench-device-secret-0123456789',
  ingestSecret: 'bench-ingest-secret-0123456789',
};
/** Write a V8 CPU profile of each Node broker here (open in Chrome DevTools), when set. */
const cpuProfileDir = process.env.VIGIL_BENCH_CPU_PROFILE_DIR || undefined;
const progress = (line: string) => process.stderr.write(`[bench] ${line}\n`);

/** A migrated embedded DB holding site `bench` and every device the run uses, all with one secret (hashed once). */
async function startBenchDatabase() {
  const db = await startEmbeddedDatabase({ port: 0 });
  const pool = createPool(db.url);
  await migrate(pool);
  await pool.query(`INSERT INTO org_units (id, level, name_en, name_zh) VALUES ('bench', 1, 'Bench', '基准')`);
  await pool.query(`INSERT INTO sites (id, org_unit_id, kind, name_en, name_zh) VALUES ('bench', 'bench', 'prison', 'Bench', '基准')`);
  // one scrypt hash for all: registering 11 000 devices one by one would cost 15 minutes of hashing
  const hash = await hashSecret(settings.deviceSecret);
  const insert = (prefix: 'pub' | 'hold', count: number) =>
    pool.query(
      `INSERT INTO devices (id, site_id, kind, secret_hash)
       SELECT $1 || '-' || lpad(g::text, 5, '0'), 'bench', 'tag', $2 FROM generate_series(0, $3 - 1) g`,
      [prefix, hash, count],
    );
  await insert('pub', settings.publishers + 1);
  await insert('hold', settings.connections);
  if (deviceId('hold', 0) !== 'hold-00000') throw new Error('device ids out of step with the seed');
  return { url: db.url, close: async () => (await pool.end(), await db.close()) };
}

/** Start every broker (Mosquitto where installed), each in its own process. */
async function startTargets(dbUrl: string): Promise<{ targets: Target[]; stop(): Promise<void> }> {
  const stops: (() => Promise<void>)[] = [];
  const targets: Target[] = [];
  const vigil = await startServer({ kind: 'vigil', databaseUrl: dbUrl, ingestSecret: settings.ingestSecret }, { cpuProfileDir });
  stops.push(vigil.stop);
  targets.push({ ...vigil, name: 'Vigil (auth+ACL)' });
  const aedes = await startServer({ kind: 'aedes' }, { cpuProfileDir });
  stops.push(aedes.stop);
  targets.push({ ...aedes, name: 'bare Aedes' });
  const missing = mosquittoMissing();
  if (missing !== undefined) {
    progress(`Mosquitto skipped: ${missing}`);
  } else {
    const mosquitto = await startMosquitto();
    stops.push(mosquitto.stop);
    targets.push({ ...mosquitto, name: 'Mosquitto', collectGarbage: async () => undefined });
  }
  return { targets, stop: async () => void (await Promise.all(stops.map((stop) => stop()))) };
}

const db = await startBenchDatabase();
const columns: Column[] = [];
try {
  progress(`settings: ${JSON.stringify({ ...settings, deviceSecret: undefined, ingestSecret: undefined })}`);
  const { targets, stop } = await startTargets(db.url);
  const rigs: Rig[] = [];
  try {
    await new Promise((r) => setTimeout(r, 1_000));
    const idle = await Promise.all(targets.map(async (t) => (await t.collectGarbage(), rssBytes(t.pid))));
    // publishers of all brokers connect at once: only Vigil's take long (scrypt), and their time is not a result
    rigs.push(...(await Promise.all(targets.map((t, i) => prepare(t, settings, idle[i]!, progress)))));
    // rounds interleave the brokers, so load from elsewhere on the host falls on all of them alike
    for (let round = 1; round <= settings.rounds; round++) {
      progress(`round ${round} of ${settings.rounds}`);
      for (const name of SCENARIOS) for (const rig of rigs) await runScenario(rig, settings, name, progress);
    }
    await Promise.all(rigs.flatMap((rig) => [rig.single, ...rig.many].map((w) => w.call({ cmd: 'close' }))));
    // connections held: one broker at a time, so each has the host to itself
    for (const rig of rigs) columns.push({ name: rig.target.name, figures: await hold(rig, settings, progress) });
  } finally {
    for (const rig of rigs) rig.stop();
    await stop();
  }
} finally {
  await db.close();
}
printReport(columns, settings, (text) => process.stdout.write(text));
