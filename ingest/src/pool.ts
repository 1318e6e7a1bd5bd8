import pg from 'pg';

/** Options for `createPool`. */
export interface PoolOptions {
  /** Connections kept open at most. Default 1: the embedded server serves one connection at a time. */
  maxConnections?: number;
  /** Close a connection idle this long, so other processes get their turn. Default 100 ms. */
  idleTimeoutMs?: number;
  /** Told when an idle connection fails (e.g. the server restarted). */
  onIdleError?(err: Error): void;
}

/**
 * A `pg.Pool` for `url`. Defaults suit the embedded single-connection server
 * (one connection, released after 100 ms idle) and let the process exit when idle.
 */
export function createPool(url: string, opts: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.maxConnections ?? 1,
    idleTimeoutMillis: opts.idleTimeoutMs ?? 100,
    allowExitOnIdle: true,
  });
  // An idle connection the server dropped is discarded by the pool and the next query reconnects;
  // without a listener the 'error' event would crash the process.
  pool.on('error', (err) => opts.onIdleError?.(err));
  return pool;
}
