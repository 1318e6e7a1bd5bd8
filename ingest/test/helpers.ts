import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Aedes } from 'aedes';
import pg from 'pg';

/** A free TCP port on 127.0.0.1 (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** Poll `check` until it returns true or `timeoutMs` passes. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A real Aedes broker on a free port, no auth. */
export async function startBroker(): Promise<{ broker: Aedes; url: string; close(): Promise<void> }> {
  const broker = await Aedes.createBroker();
  const server = net.createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    broker,
    url: `mqtt://127.0.0.1:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const PG_BIN = '/usr/lib/postgresql/15/bin';

/** A throwaway PostgreSQL 15 server, or the reason it cannot run here. */
export type RealPostgres = { url: string; stop(): Promise<void> } | { skip: string };

/**
 * initdb into a temp dir and start `postgres` on a free port with its socket
 * in that dir. As root, both run as the `postgres` OS user (initdb refuses root).
 */
export async function startRealPostgres(): Promise<RealPostgres> {
  for (const bin of ['initdb', 'postgres']) {
    if (!existsSync(join(PG_BIN, bin))) return { skip: `${join(PG_BIN, bin)} not found (install postgresql-15)` };
  }
  const asUser = process.getuid?.() === 0 ? postgresUser() : undefined;
  if (process.getuid?.() === 0 && !asUser) return { skip: 'running as root and there is no postgres OS user to run the server as' };
  const dir = await mkdtemp(join(tmpdir(), 'vigil-pg-'));
  if (asUser) await chown(dir, asUser.uid, asUser.gid);
  const data = join(dir, 'data');
  execFileSync(join(PG_BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'], {
    ...asUser,
    stdio: 'pipe',
  });
  const port = await freePort();
  const server: ChildProcess = spawn(
    join(PG_BIN, 'postgres'),
    ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
    { ...asUser, stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const stop = async () => {
    server.kill('SIGINT'); // fast shutdown
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('postgres to accept connections', async () => {
      const c = new pg.Client({ connectionString: url });
      try {
        await c.connect();
        await c.end();
        return true;
      } catch {
        return false;
      }
    }, 20_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
}

function postgresUser(): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}
