/**
 * `npm run bench:sim-load`: `vigil-sim load` against Vigil's broker (auth on,
 * every tag logged in as itself), each in its own process, with the embedded
 * registry. Prints what the tags sent and had acknowledged per second beside
 * the rate they should send (tags ÷ interval) as a ratio.
 *
 * Settings (environment): VIGIL_BENCH_TAGS (default 10 000), VIGIL_BENCH_INTERVAL_S
 * (default 10), VIGIL_BENCH_DURATION_S (default 60), VIGIL_BENCH_SCRYPT_LOG2N (default 10:
 * the tags' registry hashes are made at scrypt N=2^10 so 10 000 first logins take
 * seconds, not the ~13 minutes the registry's N=2^15 costs here; each tag still
 * logs in as itself with its own id and the broker checks the secret).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createPool, migrate, startEmbeddedDatabase } from '@vigil/ingest';

const setting = (name: string, fallback: number) => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return n;
};
const tags = setting('VIGIL_BENCH_TAGS', 10_000);
const intervalS = setting('VIGIL_BENCH_INTERVAL_S', 10);
const durationS = setting('VIGIL_BENCH_DURATION_S', 60);
/** scrypt cost of the bench tags' registry hashes (log2 N). The registry's own is 15: ~13 first logins/s on 2 cores. */
const log2n = setting('VIGIL_BENCH_SCRYPT_LOG2N', 10);
const say = (line: string) => process.stdout.write(`${line}\n`);

const db = await startEmbeddedDatabase({ port: 0 });
const pool = createPool(db.url);
await migrate(pool);
await pool.query(`INSERT INTO org_units (id, level, name_en, name_zh) VALUES ('bench', 1, 'Bench', '基准')`);
await pool.query(`INSERT INTO sites (id, org_unit_id, kind, name_en, name_zh) VALUES ('bench', 'bench', 'community', 'Bench', '基准')`);
await pool.end();

const children: ChildProcess[] = [];
const run = (args: string[], env: Record<string, string>, onLine: (l: string) => void) => {
  const c = spawn(process.execPath, ['--import', 'tsx', '--max-old-space-size=8192', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(c);
  createInterface({ input: c.stdout! }).on('line', onLine);
  return c;
};
try {
  const port = await new Promise<number>((resolve, reject) => {
    const b = run(['broker/src/main.ts'], {
      DATABASE_URL: db.url,
      VIGIL_MQTT_PORT: '0',
      VIGIL_INGEST_MQTT_SECRET: 'bench-ingest-secret-0123456789',
      VIGIL_ANALYTICS_MQTT_SECRET: 'bench-analytics-secret-0123456789',
      VIGIL_COMMAND_CENTER_MQTT_SECRET: 'bench-cc-secret-0123456789',
      // a real fleet connects from many addresses; here every tag shares 127.0.0.1
      VIGIL_MQTT_MAX_CONN_PER_IP_PER_SEC: '100000',
    }, (l) => {
      const m = /^VIGIL_BROKER_READY (\d+)/.exec(l);
      if (m) resolve(Number(m[1]));
    });
    b.once('exit', (code) => reject(new Error(`broker exited ${code}`)));
  });
  say(`broker on ${port}; ${tags} tags every ${intervalS} s for ${durationS} s (registry hashes at scrypt N=2^${log2n})`);
  let final = '';
  const sim = run(
    ['device-sim/src/cli.ts', 'load', '--register', '--scrypt-log2n', String(log2n), '--tags', String(tags), '--interval', String(intervalS), '--duration', String(durationS), '--site', 'bench', '--prefix', 'load', '--mqtt', `mqtt://127.0.0.1:${port}`, '--secret', 'bench-tag-secret-0123456789'],
    { DATABASE_URL: db.url },
    (l) => {
      say(`  ${l}`);
      if (l.startsWith('tags ')) final = l;
    },
  );
  const code = await new Promise<number | null>((r) => sim.once('exit', r));
  say('');
  say(`| run | figures |`);
  say(`|---|---|`);
  say(`| reference: the rate the tags should send | ${(tags / intervalS).toFixed(0)} msg/s |`);
  say(`| vigil-sim load through Vigil's broker | ${final} |`);
  if (code !== 0) process.exitCode = 1;
} finally {
  for (const c of children) c.kill('SIGTERM');
  await db.close();
}
