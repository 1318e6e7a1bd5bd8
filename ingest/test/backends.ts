import { startEmbeddedDatabase } from '../src/index.js';
import { pgServerUnavailable, startPgServer } from './pg-server.js';

/** A database server a suite runs against: the embedded TimescaleDB or a real PostgreSQL 15. */
export interface Backend {
  name: string;
  /** Why it cannot run here; undefined under CI=true, where a missing server must fail the suite instead. */
  skip?: string;
  /** Start a fresh, empty server and return its `postgres://` URL. */
  start(): Promise<string>;
  /** Stop it and delete its files. */
  stop(): Promise<void>;
}

/**
 * The embedded database and a real PostgreSQL server started by the test
 * (initdb into a temporary folder, a free port), so each suite written as
 * `for (const backend of backends()) describe(..., { skip: backend.skip }, ...)`
 * runs on both (ARCHITECTURE.md "Storage": the same schema on plain PostgreSQL).
 */
export function backends(): Backend[] {
  let closeEmbedded: (() => Promise<void>) | undefined;
  let closeReal: (() => Promise<void>) | undefined;
  const unavailable = pgServerUnavailable();
  return [
    {
      name: 'the embedded TimescaleDB',
      async start() {
        const db = await startEmbeddedDatabase({ port: 0 });
        closeEmbedded = () => db.close();
        return db.url;
      },
      stop: async () => closeEmbedded?.(),
    },
    {
      name: 'a real PostgreSQL 15 server',
      skip: unavailable && process.env.CI !== 'true' ? `skipped: ${unavailable}` : undefined,
      async start() {
        const server = await startPgServer();
        closeReal = () => server.destroy();
        return server.url;
      },
      stop: async () => closeReal?.(),
    },
  ];
}
