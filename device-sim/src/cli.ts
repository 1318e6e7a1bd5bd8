import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { DEMO } from './demo.js';
import { runLoad } from './load.js';
import { loadScenario, ScenarioError } from './scenario/parse.js';
import { runScenario } from './scenario/runner.js';
import { scenarioTags } from './scenario/tag-fleet.js';
import { runRealtime } from './tags/realtime.js';
import { createMqttSink } from './tags/sinks/mqtt.js';
import { createNmeaSink } from './tags/sinks/nmea-tcp.js';
import type { EventSink } from './tags/fleet-sim.js';
import type { Injector } from './scenario/types.js';

/**
 * `vigil-sim` (`npm run sim -- …`):
 *   vigil-sim scenario FILE [--seed N] [--speed X | --fast] (--mqtt URL --secret S | --nmea HOST:PORT)
 *   vigil-sim load --tags N --interval S [--duration S] [--site ID] [--prefix P] [--register] --mqtt URL --secret S
 * --mqtt and --secret default to VIGIL_MQTT_URL and VIGIL_SIM_TAG_SECRET; --register puts the load
 * tags in the registry at DATABASE_URL (one scrypt hash for all). A bad setting exits 78 naming it.
 */
const USAGE = `usage / 用法:
  vigil-sim scenario FILE [--seed N] [--speed X | --fast] (--mqtt URL --secret S | --nmea HOST:PORT)
                   [--gates-port N --gates-password P [--gates-pki DIR]]   also run the prison's doors (OPC UA) for gate steps
  vigil-sim load --tags N --interval S [--duration S] [--site ID] [--prefix P] [--register [--scrypt-log2n 15]] --mqtt URL --secret S`;
/**
 * A registry hash at a lower scrypt cost, for load runs only: the broker
 * verifies with the N stored in the hash (broker/src/secrets.ts format
 * `scrypt$N$r$p$salt$key`), so 10 000 first logins need not cost 10 000 × 32 MiB scrypt.
 */
async function cheapHash(secret: string, N: number): Promise<string> {
  const { randomBytes, scrypt } = await import('node:crypto');
  const salt = randomBytes(16);
  const key = await new Promise<Buffer>((resolve, reject) => scrypt(secret, salt, 32, { N, r: 8, p: 1 }, (err, k) => (err ? reject(err) : resolve(k))));
  return ['scrypt', N, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
}

const log = pino({ name: 'vigil-sim' }, pino.destination(2));
const say = (line: string) => process.stdout.write(`${line}\n`);
const bad = (what: string, why: string): never => {
  process.stderr.write(`vigil-sim: ${what}: ${why} / 设置 ${what} 无效\n${USAGE}\n`);
  process.exit(78);
};
const num = (name: string, v: string | undefined, dflt: number | undefined, min: number): number => {
  if (v === undefined) return dflt ?? bad(`--${name}`, 'is required');
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) return bad(`--${name}`, `must be a number ≥ ${min}, got ${JSON.stringify(v)}`);
  return n;
};

if (process.argv[2] === 'cameras') await import('./cameras/cli.js').then((m) => m.runCamerasCli(process.argv.slice(3)));

const { values, positionals } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        seed: { type: 'string' },
        speed: { type: 'string' },
        fast: { type: 'boolean' },
        mqtt: { type: 'string' },
        secret: { type: 'string' },
        nmea: { type: 'string' },
        tags: { type: 'string' },
        interval: { type: 'string' },
        duration: { type: 'string' },
        site: { type: 'string' },
        prefix: { type: 'string' },
        register: { type: 'boolean' },
        'scrypt-log2n': { type: 'string' },
        'gates-port': { type: 'string' },
        'gates-password': { type: 'string' },
        'gates-pki': { type: 'string' },
        'report-every': { type: 'string' },
      },
    });
  } catch (err) {
    return bad('arguments', (err as Error).message);
  }
})();
const [command, file] = positionals;
const mqttUrl = () => values.mqtt || process.env.VIGIL_MQTT_URL || bad('--mqtt', 'is required (or VIGIL_MQTT_URL)');
const secret = () => values.secret || process.env.VIGIL_SIM_TAG_SECRET || bad('--secret', 'is required (or VIGIL_SIM_TAG_SECRET)');

if (command === 'scenario') {
  if (!file) bad('FILE', 'is required');
  let scenario;
  try {
    scenario = loadScenario(file!);
  } catch (err) {
    if (err instanceof ScenarioError || (err as NodeJS.ErrnoException).code === 'ENOENT') bad('FILE', (err as Error).message);
    throw err;
  }
  const seed = num('seed', values.seed, scenario.seed, 0);
  const speed = values.fast ? Infinity : num('speed', values.speed, 60, 0.01);
  let sink: EventSink;
  let connect: (devices: ReadonlyArray<{ id: string }>) => Promise<void>;
  let close: () => Promise<void>;
  if (values.nmea) {
    const m = /^(.+):(\d+)$/.exec(values.nmea) ?? bad('--nmea', 'must be HOST:PORT');
    const s = createNmeaSink({ host: m[1]!, port: Number(m[2]), logger: log });
    [sink, connect, close] = [(ev) => s.send(ev), (d) => s.connect(d), () => s.close()];
  } else {
    const pw = secret();
    const s = createMqttSink({ url: mqttUrl(), secretFor: () => pw, logger: log });
    [sink, connect, close] = [(ev) => s.send(ev), (d) => s.connect(d), () => s.close()];
  }
  let count = 0;
  const run = scenarioTags(scenario, DEMO, seed, (ev) => {
    count++;
    return sink(ev);
  });
  try {
    await connect(run.built.devices.filter((d) => !values.nmea || run.built.tags.has(d.id)));
  } catch (err) {
    process.stderr.write(`vigil-sim: cannot connect / 无法连接: ${(err as Error).message}\n`);
    process.exit(1);
  }
  say(`scenario "${scenario.name}", seed ${seed}, ${run.built.devices.length} devices, speed ${speed === Infinity ? 'as fast as possible' : `${speed}×`}`);
  // the demo prison's door controller, on the scenario's clock, when the scenario has gate steps to play
  let gates: { injector: Injector; clock: { now(): number; advance(ms: number): void }; stop(): Promise<void> } | null = null;
  if (values['gates-port'] !== undefined) {
    const port = num('gates-port', values['gates-port'], undefined, 0);
    const password = values['gates-password'] || process.env.VIGIL_SIM_GATES_PASSWORD || bad('--gates-password', 'is required with --gates-port (or VIGIL_SIM_GATES_PASSWORD)');
    const { startGateServer } = await import('./gates/server.js');
    const { prisonGateLayout } = await import('./sites/prison.js');
    const server = await startGateServer({
      layout: prisonGateLayout(),
      port,
      pkiDir: values['gates-pki'] ?? join(process.cwd(), 'data', 'opcua-gates'),
      users: [{ username: 'operator', password }],
      seed,
      speed: speed === Infinity ? 0 : speed,
      startMs: scenario.startMs,
      log,
    });
    gates = { injector: server.injector, clock: server.clock, stop: () => server.stop() };
    say(`VIGIL_SIM_GATES_READY opc.tcp://localhost:${server.port}`);
  }
  const rt = speed === Infinity ? null : runRealtime(run.fleet, { startMs: scenario.startMs, speed });
  const advanceTo = async (t: number) => {
    await (rt ? rt.advanceTo(t) : run.fleet.runUntil(t));
    if (gates && speed === Infinity && t > gates.clock.now()) gates.clock.advance(t - gates.clock.now());
  };
  try {
    await runScenario(scenario, {
      injectors: { tag: run.injector, ...(gates ? { gate: gates.injector } : {}) },
      advanceTo,
      onStep: (s) => say(`${new Date(s.atMs + 8 * 3_600_000).toISOString().slice(11, 19)} ${s.kind} ${s.device} ${s.action} ${JSON.stringify(s.args)}`),
    });
  } catch (err) {
    await rt?.stop();
    await close();
    await gates?.stop();
    process.stderr.write(`vigil-sim: ${(err as Error).message}\n`);
    process.exit(1);
  }
  await rt?.stop();
  await close();
  await gates?.stop();
  say(`done: ${count} messages`);
} else if (command === 'load') {
  const tags = num('tags', values.tags, undefined, 1);
  const intervalS = num('interval', values.interval, undefined, 0.1);
  const site = values.site ?? 'cc-lingyin';
  const prefix = values.prefix ?? 'load';
  const pw = secret();
  const url = mqttUrl();
  if (values.register) {
    const dbUrl = process.env.DATABASE_URL ?? bad('DATABASE_URL', 'is required with --register');
    // loaded only here: the broker and database clients are heavy to import
    const { createPool } = await import('@vigil/ingest');
    const { hashSecret } = await import('@vigil/broker');
    const log2n = num('scrypt-log2n', values['scrypt-log2n'], 15, 1);
    if (!Number.isInteger(log2n) || log2n > 20) bad('--scrypt-log2n', 'must be a whole number from 1 to 20');
    const pool = createPool(dbUrl);
    const hash = log2n === 15 ? await hashSecret(pw) : await cheapHash(pw, 2 ** log2n);
    await pool.query(
      `INSERT INTO devices (id, site_id, kind, secret_hash)
       SELECT $1 || '-' || lpad(g::text, greatest(4, length(($3 - 1)::text)), '0'), $2, 'tag', $4 FROM generate_series(0, $3 - 1) g
       ON CONFLICT (id) DO UPDATE SET secret_hash = EXCLUDED.secret_hash, revoked_at = NULL`,
      [prefix, site, tags, hash],
    );
    await pool.end();
    say(`registered ${tags} tags ${prefix}-… at ${site}`);
  }
  const r = await runLoad({
    mqttUrl: url,
    secret: pw,
    site,
    prefix,
    tags,
    intervalS,
    durationS: num('duration', values.duration, 60, 1),
    seed: num('seed', values.seed, 1, 0),
    reportEveryS: num('report-every', values['report-every'], 5, 1),
    logger: log,
    report: say,
  });
  say(
    `tags ${r.connected}/${tags} connected in ${r.connectS.toFixed(1)} s; sent ${r.sent} (${r.sentPerS.toFixed(0)}/s), acked ${r.acked} (${r.ackedPerS.toFixed(0)}/s), target ${r.targetPerS.toFixed(0)}/s, ratio ${(r.ackedPerS / r.targetPerS).toFixed(2)}, publish errors ${r.errors}, connect retries ${r.connectRetries}, simulator RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
  );
  process.exit(r.errors > 0 ? 1 : 0);
} else {
  bad('command', `unknown ${JSON.stringify(command ?? '')}`);
}
