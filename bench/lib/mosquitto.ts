/** Debian's mosquitto on a free loopback port with a throwaway config, for comparison. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running mosquitto. */
export interface Mosquitto {
  pid: number;
  port: number;
  stop(): Promise<void>;
}

const PROGRAM = '/usr/sbin/mosquitto';

/** Why mosquitto cannot be used, or undefined when it can. */
export function mosquittoMissing(): string | undefined {
  const probe = spawnSync(PROGRAM, ['-h'], { encoding: 'utf8' });
  return probe.error !== undefined ? `${PROGRAM} not found (install the mosquitto package): ${probe.error.message}` : undefined;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/**
 * Start mosquitto listening on 127.0.0.1 only, anonymous, no persistence, and no
 * per-client queue or in-flight caps (its defaults would drop QoS 1 messages
 * when 1 000 publishers feed one subscriber, which the other brokers do not).
 */
export async function startMosquitto(): Promise<Mosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-mosquitto-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest none', 'max_connections -1', 'max_queued_messages 0', 'max_inflight_messages 0', 'set_tcp_nodelay true', ''].join('\n'),
  );
  const child = spawn(PROGRAM, ['-c', conf], { stdio: 'ignore' });
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    if (await accepts(port)) return { pid: child.pid!, port, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`mosquitto did not start on port ${port}`);
}
