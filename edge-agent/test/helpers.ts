import { spawn, type ChildProcess } from 'node:child_process';
import { connect as netConnect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type pg from 'pg';
import { registerDevice, serviceAccounts, startBroker, type RunningBroker } from '@vigil/broker';
import { createPool, migrate, startEmbeddedDatabase } from '@vigil/ingest';
import { createLogger } from '../src/index.js';

export const SECRETS = { ingest: 'ingest-secret-0123456789', analytics: 'analytics-secret-0123456789', commandCenter: 'cc-secret-0123456789abc' };
export const SITE = 'prison-a';
export const AGENT_SECRET = 'edge-1-secret-0123456789';

/** A migrated embedded database with site `prison-a`, the agent `agentId` and `children` registered behind it. */
export async function startRegistry(agentId: string, children: readonly string[]): Promise<{ pool: pg.Pool; close(): Promise<void> }> {
  const db = await startEmbeddedDatabase({ port: 0 });
  const pool = createPool(db.url);
  await migrate(pool);
  await pool.query(`INSERT INTO org_units (id, level, name_en, name_zh) VALUES ('moj', 1, 'Ministry', '司法部')`);
  await pool.query(`INSERT INTO sites (id, org_unit_id, kind, name_en, name_zh) VALUES ('prison-a', 'moj', 'prison', 'Prison A', '甲监狱')`);
  await registerDevice(pool, { id: agentId, siteId: SITE, kind: 'agent', secret: AGENT_SECRET });
  for (const id of children) await registerDevice(pool, { id, siteId: SITE, kind: 'tag', secret: `${id}-secret-0123456789`, gatewayId: agentId });
  return {
    pool,
    async close() {
      await pool.end();
      await db.close();
    },
  };
}

export function startTestBroker(pool: pg.Pool): Promise<RunningBroker> {
  return startBroker({ port: 0, host: '127.0.0.1', pool, services: serviceAccounts(SECRETS), revocationPollMs: 0, logger: createLogger('broker', 'silent') });
}

/** Connect a real MQTT 3.1.1 client; resolves when connected. */
export function connectClient(port: number, opts: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = connect({ host: '127.0.0.1', port, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5_000, ...opts });
    client.once('connect', () => {
      client.removeAllListeners('error');
      client.on('error', () => undefined);
      resolve(client);
    });
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
}

/**
 * A TCP relay the agent connects through, so a test decides when the agent may
 * reach a (restarted) broker: closed, it drops new connections at once.
 */
export async function startGate(target: () => number): Promise<{ port: number; open: boolean; cut(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const gate = {
    port: 0,
    open: true,
    /** Drop every relayed connection now. */
    cut: () => {
      for (const s of sockets) s.destroy();
    },
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
  const server: Server = createServer((down) => {
    if (!gate.open) return void down.destroy();
    const up = netConnect(target(), '127.0.0.1');
    sockets.add(down).add(up);
    const end = () => {
      down.destroy();
      up.destroy();
      sockets.delete(down);
      sockets.delete(up);
    };
    down.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
    down.pipe(up).pipe(down);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  gate.port = (server.address() as AddressInfo).port;
  return gate;
}

/** Poll `cond` every 50 ms until true, or throw after `ms` with `what`. */
export async function until(cond: () => boolean, ms: number, what: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An envelope as received. */
export interface Received {
  id: string;
  dev: string;
  seq: number;
  ts: number;
  type: string;
  body: Record<string, unknown>;
}

/** A child process running test/fixtures/agent-child.ts, with its stdout lines. */
export interface ChildAgent {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

export function spawnAgent(args: readonly string[], env: Record<string, string> = {}): ChildAgent {
  const fixture = new URL('./fixtures/agent-child.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, ...args], {
    env: { PATH: process.env.PATH ?? '', VIGIL_EDGE_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let rest = '';
  child.stdout!.on('data', (d: Buffer) => {
    const parts = (rest + d.toString()).split('\n');
    rest = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr!.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter((l) => l !== '')));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, lines, exited };
}
