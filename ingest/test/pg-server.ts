import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort, waitFor } from './helpers.js';

const run = promisify(execFile);
const PG_BIN = '/usr/lib/postgresql/15/bin';

/** A PostgreSQL 15 server in a temporary folder that a test can take away and bring back on the same port. */
export interface PgServer {
  url: string;
  /** The server's data directory (owned by the postgres OS user when run as root). */
  dataDir: string;
  /** The temporary folder holding it, the socket and server.log. */
  dir: string;
  /** `pg_ctl stop -m fast`: every connection is cut, the port is closed. */
  stopServer(): Promise<void>;
  /** Start it again on the same port and data folder; resolves once it accepts connections. */
  startServer(): Promise<void>;
  /** Stop it (if running) and delete its folder. */
  destroy(): Promise<void>;
}

/** Why no PostgreSQL 15 server can be started here, or undefined if one can. */
export function pgServerUnavailable(): string | undefined {
  for (const bin of ['initdb', 'pg_ctl', 'postgres']) {
    if (!existsSync(join(PG_BIN, bin))) return `${join(PG_BIN, bin)} not found (install postgresql-15)`;
  }
  if (process.getuid?.() === 0 && !postgresUser()) return 'running as root and there is no postgres OS user to run the server as';
  return undefined;
}

/**
 * initdb into a temporary folder and start the server with pg_ctl on a free
 * port (socket in the same folder). As root, both run as the `postgres` OS user.
 */
export async function startPgServer(opts: { settings?: Record<string, string>; /** Keep fsync on (default off: tests need no durability against power loss). */ fsync?: boolean } = {}): Promise<PgServer> {
  const reason = pgServerUnavailable();
  if (reason) throw new Error(reason);
  const asUser = process.getuid?.() === 0 ? postgresUser() : undefined;
  const dir = await mkdtemp(join(tmpdir(), 'vigil-pgctl-'));
  if (asUser) await chown(dir, asUser.uid, asUser.gid);
  const data = join(dir, 'data');
  await run(join(PG_BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'], { ...asUser });
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  // extra settings go into postgresql.conf (no shell quoting of pg_ctl -o to get wrong)
  const extra = Object.entries(opts.settings ?? {}).map(([k, v]) => `${k} = '${v.replace(/'/g, "''")}'\n`).join('');
  if (extra !== '') await appendFile(join(data, 'postgresql.conf'), `\n# added by the test\n${extra}`);
  const serverOpts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1${opts.fsync ? '' : ' -c fsync=off'}`;
  let running = false;
  const pgCtl = (args: string[]) => run(join(PG_BIN, 'pg_ctl'), ['-D', data, '-w', '-t', '60', ...args], { ...asUser });
  const server: PgServer = {
    url,
    dataDir: data,
    dir,
    async startServer() {
      await pgCtl(['-o', serverOpts, '-l', join(dir, 'server.log'), 'start']);
      running = true;
      await waitFor('postgres to accept connections', () => accepts(url), 30_000);
    },
    async stopServer() {
      running = false;
      await pgCtl(['-m', 'fast', 'stop']);
    },
    async destroy() {
      if (running) await server.stopServer().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await server.startServer();
  } catch (err) {
    await server.destroy();
    throw err;
  }
  return server;
}

export { postgresUser };

async function accepts(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
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
