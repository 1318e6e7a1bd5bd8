import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The repository root (two folders above this file). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const running = new Set<ChildProcess>();
// Children run in their own process group (so Ctrl-C reaches only the
// orchestrator, which stops them in order); never leave one behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** How a service's output lines are shown. */
export type LineSink = (service: string, line: string, stream: 'stdout' | 'stderr') => void;

/** A service running as its own Node process. */
export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  /** The words after the ready marker, e.g. the URL or port. */
  ready: string;
  /** The last lines it printed, for error messages. */
  tail(): string[];
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * Start `entry` (a .ts file, run by Node with tsx) with `env`, and wait
 * until it prints a line starting with `readyMarker`. Fails with the
 * service's last output if it exits first or takes longer than `timeoutMs`.
 */
export function startServiceProcess(opts: {
  name: string;
  entry: string;
  /** Arguments after the entry file. */
  args?: readonly string[];
  env: Record<string, string>;
  readyMarker: string;
  timeoutMs: number;
  sink: LineSink;
}): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', opts.entry, ...(opts.args ?? [])], {
    cwd: ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const keep = (line: string) => {
    lines.push(line);
    if (lines.length > 50) lines.shift();
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${opts.name} not ready after ${opts.timeoutMs} ms:\n${lines.join('\n')}`));
    }, opts.timeoutMs);
    const service: Omit<ServiceProcess, 'ready'> = {
      name: opts.name,
      child,
      tail: () => [...lines],
      async stop(graceMs = 10_000) {
        if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
        child.kill('SIGTERM');
        const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const code = await exited;
        clearTimeout(kill);
        return code;
      },
    };
    createInterface({ input: child.stdout! }).on('line', (line) => {
      keep(line);
      if (line.startsWith(opts.readyMarker)) {
        clearTimeout(timer);
        resolve({ ...service, ready: line.slice(opts.readyMarker.length).trim() });
      } else {
        opts.sink(opts.name, line, 'stdout');
      }
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      keep(line);
      opts.sink(opts.name, line, 'stderr');
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${opts.name} exited with code ${code} before it was ready:\n${lines.join('\n')}`));
    });
  });
}
