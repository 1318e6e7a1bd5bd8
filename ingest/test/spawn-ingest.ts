import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import type { IngestStats } from '../src/index.js';
import { waitFor } from './helpers.js';

const PKG = new URL('..', import.meta.url).pathname;

/** A real ingest process (`node --import tsx src/main.ts`) and what it printed. */
export interface IngestProcess {
  child: ChildProcessWithoutNullStreams;
  out(): string;
  err(): string;
  exit: Promise<number | null>;
  /** Resolves once it printed VIGIL_INGEST_READY (subscribed); rejects if it exits first. */
  ready(timeoutMs?: number): Promise<void>;
  /** SIGTERM, wait for the exit, and return the counters it logged on the way out. */
  stop(): Promise<IngestStats>;
}

/** Spawn src/main.ts with `env` (nothing inherited but PATH). */
export function spawnIngest(env: Record<string, string>): IngestProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(PKG, 'src', 'main.ts')], {
    cwd: PKG,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let out = '';
  let err = '';
  let exited = false;
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exited = true;
      resolve(code);
    }),
  );
  return {
    child,
    out: () => out,
    err: () => err,
    exit,
    async ready(timeoutMs = 60_000) {
      await waitFor('VIGIL_INGEST_READY', () => {
        if (exited) throw new Error(`ingest exited before it was ready: ${err || out}`);
        return out.includes('VIGIL_INGEST_READY');
      }, timeoutMs);
    },
    async stop() {
      child.kill('SIGTERM');
      const code = await exit;
      if (code !== 0) throw new Error(`ingest exited ${code}: ${err}`);
      const line = out.split('\n').find((l) => l.includes('"msg":"stopping"'));
      if (!line) throw new Error(`no "stopping" line in the ingest output: ${out.slice(-2000)}`);
      return (JSON.parse(line) as { stats: IngestStats }).stats;
    },
  };
}
