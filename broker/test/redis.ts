import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './helpers.js';

/** Why redis-server cannot be used here, or undefined when it can. */
export function redisMissing(): string | undefined {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined) return `redis-server not found on PATH (install the redis-server package): ${probe.error.message}`;
  return probe.status === 0 ? undefined : `redis-server --version exited ${probe.status}`;
}

/** A throwaway redis-server: no snapshots, no AOF, its dir removed on stop. */
export interface TestRedis {
  url: string;
  stop(): Promise<void>;
}


/** Start redis-server on a free port in a temp dir; retries when another process takes the port first. */
export async function startTestRedis(): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-redis-'));
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (await started(child)) {
      return {
        url: `redis://127.0.0.1:${port}`,
        async stop() {
          if (child.exitCode === null) {
            const exited = once(child, 'exit');
            child.kill('SIGTERM');
            await exited;
          }
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    if (attempt === 5) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`redis-server did not start on a free port after ${attempt} attempts`);
    }
  }
}

/** True once redis-server logs that it accepts connections, false if it exits first (port taken). */
function started(child: ChildProcess): Promise<boolean> {
  return new Promise((resolve) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(false);
    }, 15_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout?.removeAllListeners('data');
        child.stdout?.resume();
        resolve(true);
      }
    });
    child.stderr?.resume();
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}
