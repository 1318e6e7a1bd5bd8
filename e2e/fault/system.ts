import { randomBytes, scrypt } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import type { Pool } from 'pg';
import { registerDevice } from '@vigil/broker';
import { DEMO, seedDemo } from '@vigil/device-sim';
import { createPool, migrate } from '@vigil/ingest';
import { startPgServer, type PgServer } from '../../ingest/test/pg-server.js';
import { startTestRedis, type TestRedis } from '../../broker/test/redis.js';
import { startServiceProcess, type LineSink, type ServiceProcess } from '../../scripts/stack/service-process.js';

/** The services the fault suite kills and restarts, each its own process. */
export type ServiceName = 'broker' | 'ingest' | 'analytics';

/** Options of the system under test. */
export interface SystemOptions {
  /** Load tags registered as `<prefix>-NNNNN` at `site`, sharing `tagSecret`. */
  loadTags: number;
  prefix: string;
  site: string;
  sink: LineSink;
  /**
   * Where the broker keeps sessions: `sqlite` (VIGIL_BROKER_PERSISTENCE, a file in a temporary folder,
   * kept across its restarts), `memory`, or `redis` (VIGIL_REDIS_URL, a redis-server the suite starts
   * and keeps running across the broker's restarts: the production cluster's persistence).
   */
  brokerPersistence: BrokerPersistenceKind;
}

/** Where the fault suite's broker keeps its sessions. */
export type BrokerPersistenceKind = 'sqlite' | 'memory' | 'redis';

/**
 * Vigil for the fault suite: a PostgreSQL 15 server (so the database itself
 * can be stopped and started; the embedded database lives in one process with
 * no restart of its own), the broker on a fixed port, ingest and analytics.
 * Each service can be SIGKILLed and started again with the same settings.
 */
export interface FaultSystem {
  databaseUrl: string;
  mqttUrl: string;
  mqttPort: number;
  tagSecret: string;
  pg: PgServer;
  running(name: ServiceName): ServiceProcess | undefined;
  /** SIGKILL, waiting for the exit. */
  kill(name: ServiceName): Promise<void>;
  start(name: ServiceName): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** Register `count` load tags `<prefix>-NNNNN` at `site` sharing `secret` (one low-cost hash for all). */
export async function registerLoadTags(pool: Pool, o: { prefix: string; site: string; count: number; secret: string }): Promise<void> {
  await pool.query(
    `INSERT INTO devices (id, site_id, kind, secret_hash)
     SELECT $1 || '-' || lpad(g::text, 5, '0'), $2, 'tag', $4 FROM generate_series(0, $3 - 1) g
     ON CONFLICT (id) DO UPDATE SET secret_hash = EXCLUDED.secret_hash, revoked_at = NULL`,
    [o.prefix, o.site, o.count, await cheapHash(o.secret)],
  );
}

/** A registry hash at a low scrypt cost (the broker reads N from the hash), so thousands of load tags can (re)connect quickly. */
async function cheapHash(secret: string, N = 2 ** 10): Promise<string> {
  const salt = randomBytes(16);
  const key = await new Promise<Buffer>((resolve, reject) => scrypt(secret, salt, 32, { N, r: 8, p: 1 }, (err, k) => (err ? reject(err) : resolve(k))));
  return ['scrypt', N, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
}

const ENTRIES: Record<ServiceName, { entry: string; marker: string }> = {
  broker: { entry: 'broker/src/main.ts', marker: 'VIGIL_BROKER_READY' },
  ingest: { entry: 'ingest/src/main.ts', marker: 'VIGIL_INGEST_READY' },
  analytics: { entry: 'analytics/src/main.ts', marker: 'VIGIL_ANALYTICS_READY' },
};

/** Start the database, register the demo world and the load tags, then broker, ingest and analytics. */
export async function startFaultSystem(opts: SystemOptions): Promise<FaultSystem> {
  const pg = await startPgServer();
  const stateDir = mkdtempSync(join(tmpdir(), 'vigil-fault-broker-'));
  const procs = new Map<ServiceName, ServiceProcess>();
  let redis: TestRedis | undefined;
  const stopAll = async () => {
    for (const name of ['analytics', 'ingest', 'broker'] as const) await procs.get(name)?.stop(5_000);
    procs.clear();
    if (redis) reportRedisQueues(redis.url);
    await redis?.stop();
    await pg.destroy();
    rmSync(stateDir, { recursive: true, force: true });
  };
  try {

    const tagSecret = randomBytes(24).toString('base64url');
    const pool = createPool(pg.url);
    try {
      await migrate(pool);
      await seedDemo(pool, DEMO, tagSecret, registerDevice);
      await registerLoadTags(pool, { prefix: opts.prefix, site: opts.site, count: opts.loadTags, secret: tagSecret });
    } finally {
      await pool.end();
    }
    if (opts.brokerPersistence === 'redis') redis = await startTestRedis();
    const mqttPort = await freePort();
    const mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;
    const secrets = { ingest: randomBytes(24).toString('base64url'), analytics: randomBytes(24).toString('base64url') };
    const env: Record<ServiceName, Record<string, string>> = {
      broker: {
        DATABASE_URL: pg.url,
        VIGIL_MQTT_PORT: String(mqttPort),
        VIGIL_INGEST_MQTT_SECRET: secrets.ingest,
        VIGIL_ANALYTICS_MQTT_SECRET: secrets.analytics,
        VIGIL_COMMAND_CENTER_MQTT_SECRET: randomBytes(24).toString('base64url'),
        // every load tag connects from 127.0.0.1; in the field each has its own address
        VIGIL_MQTT_MAX_CONN_PER_IP_PER_SEC: '100000',
        // the same file across the broker's restarts: its sessions and queued messages outlive a SIGKILL
        ...(redis
          ? { VIGIL_REDIS_URL: redis.url }
          : { VIGIL_BROKER_PERSISTENCE: opts.brokerPersistence === 'sqlite' ? `sqlite:${join(stateDir, 'broker.sqlite')}` : 'memory' }),
      },
      ingest: { DATABASE_URL: pg.url, VIGIL_MQTT_URL: mqttUrl, VIGIL_MQTT_USERNAME: 'svc-ingest', VIGIL_MQTT_PASSWORD: secrets.ingest },
      analytics: { DATABASE_URL: pg.url, VIGIL_MQTT_URL: mqttUrl, VIGIL_MQTT_USERNAME: 'svc-analytics', VIGIL_MQTT_PASSWORD: secrets.analytics },
    };
    const start = async (name: ServiceName) => {
      const s = await startServiceProcess({ name, entry: ENTRIES[name].entry, env: env[name], readyMarker: ENTRIES[name].marker, timeoutMs: 90_000, sink: opts.sink });
      procs.set(name, s);
      return s;
    };
    await start('broker');
    await start('ingest');
    await start('analytics');
    return {
      databaseUrl: pg.url,
      mqttUrl,
      mqttPort,
      tagSecret,
      pg,
      running: (name) => procs.get(name),
      async kill(name) {
        const s = procs.get(name);
        if (!s) return;
        procs.delete(name);
        const exited = new Promise((r) => s.child.once('exit', r));
        if (s.child.exitCode === null && s.child.signalCode === null) {
          s.child.kill('SIGKILL');
          await exited;
        }
      },
      start,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Redis layout: what each persistent session still has queued at the end (all stored, so left over: sent again at its next connect). */
function reportRedisQueues(url: string): void {
  const cli = (...a: string[]) => execFileSync('redis-cli', ['-u', url, ...a], { encoding: 'utf8' }).trim();
  try {
    // a session's queue is outgoing:<client id>; outgoing:<client id>:<broker>:<n> are QoS 2 entries
    for (const k of cli('--scan', '--pattern', 'outgoing:*').split('\n').filter((x) => x !== '' && x.split(':').length === 2)) {
      process.stderr.write(`  left queued in Redis for ${decodeURIComponent(k.slice('outgoing:'.length))}: ${cli('LLEN', k)}\n`);
    }
  } catch (err) {
    process.stderr.write(`  could not read the queues in Redis: ${(err as Error).message}\n`);
  }
}
