import type { FastifyPluginAsync } from 'fastify';
import type { Pool } from 'pg';
import type { AlertFeed } from '../alert-feed.js';

/** Options of the health route. */
export interface HealthRoutesOptions {
  pool: Pool;
  alertFeed: AlertFeed;
  /** Longest wait for the database probe; default 2000 ms. */
  dbTimeoutMs?: number;
}

/** `GET /api/health`: `{ ok, db, mqtt }`; `ok` means the process answers, the flags say what it can reach. */
export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, opts) => {
  const timeoutMs = opts.dbTimeoutMs ?? 2000;
  app.get('/api/health', { config: { auth: 'public' } }, async () => {
    const db = await probe(opts.pool, timeoutMs);
    return { ok: true, db, mqtt: opts.alertFeed.isConnected() };
  });
};

async function probe(pool: Pool, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([pool.query('SELECT 1').then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
