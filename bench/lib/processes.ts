/** Child processes of the benchmark: load-generator workers and Node brokers, and their memory. */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ServerSpec } from './server.js';
import type { ServerReady, WorkerReply, WorkerRequest } from './protocol.js';

const EXEC_ARGV = ['--import', 'tsx', '--max-old-space-size=4096'];

/** A load-generator process answering requests one reply each. */
export interface Worker {
  call(req: WorkerRequest): Promise<WorkerReply>;
  stop(): void;
}

/** Fork a worker (bench/lib/worker.ts). */
export function startWorker(): Worker {
  const child = fork(fileURLToPath(new URL('./worker.ts', import.meta.url)), [], { execArgv: EXEC_ARGV, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map<number, { resolve(r: WorkerReply): void; reject(e: Error): void }>();
  let nextId = 0;
  child.on('message', (msg: { id: number; result?: WorkerReply; error?: string }) => {
    const p = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error !== undefined) p?.reject(new Error(msg.error));
    else p?.resolve(msg.result ?? {});
  });
  child.on('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`worker exited with ${code}`));
    pending.clear();
  });
  return {
    call(req) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ id, req });
      });
    },
    stop: () => void child.disconnect(),
  };
}

/** A broker in its own process. */
export interface ServerProcess {
  pid: number;
  port: number;
  /** Run a full garbage collection in the broker, so the next RSS reading reflects what it holds; resolves with JS heap + external bytes. */
  collectGarbage(): Promise<number | undefined>;
  stop(): Promise<void>;
}

/** Fork bench/lib/server.ts and wait until it listens. */
export async function startServer(spec: ServerSpec, opts: { cpuProfileDir?: string | undefined } = {}): Promise<ServerProcess> {
  const profile = opts.cpuProfileDir !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfileDir}`] : [];
  const child: ChildProcess = fork(fileURLToPath(new URL('./server.ts', import.meta.url)), [JSON.stringify(spec)], {
    execArgv: [...EXEC_ARGV, '--expose-gc', ...profile],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<ServerReady>((resolve, reject) => {
    child.once('message', (m) => resolve(m as ServerReady));
    child.once('exit', (code) => reject(new Error(`${spec.kind} broker exited with ${code} before listening`)));
  });
  return {
    pid: child.pid!,
    port: ready.port,
    collectGarbage: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve((m as { heapBytes?: number }).heapBytes));
        child.send('gc');
      }),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Resident set size of a process in bytes, from /proc (Linux). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb) * 1024;
}
