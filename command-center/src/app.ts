import { fastify, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Pool } from 'pg';
import type { AlertFeed } from './alert-feed.js';
import { createLogger, type Logger } from './logger.js';
import { alertRoutes } from './routes/alerts.js';
import { alertStreamRoutes } from './routes/alert-stream.js';
import { healthRoutes } from './routes/health.js';
import { presenceRoutes } from './routes/presence.js';
import { uiRoutes } from './routes/ui.js';

/** The actor written to the audit trail until operators log in (a later issue). */
export const LOCAL_OPERATOR = 'local-operator';

/** Options of `buildApp`. */
export interface BuildAppOptions {
  /** Made by `createPool` of `@vigil/ingest` (one connection; never held across awaits). */
  pool: Pool;
  alertFeed: AlertFeed;
  /** The built UI; without it only the API is served. */
  publicDir?: string;
  logger?: Logger;
  /** Who made a request, for the audit trail; default: always `local-operator`. */
  actorOf?: (req: FastifyRequest) => string;
  /** SSE heartbeat interval; default 15 000 ms. */
  heartbeatMs?: number;
}

/** Build the command-centre HTTP app (API + UI), not listening; tests use `app.inject()`. */
export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  // pino's Logger and Fastify's base logger differ only in typing details; at run time Fastify wants pino.
  const logger: FastifyBaseLogger = opts.logger ?? createLogger('command-center');
  const app = fastify({ loggerInstance: logger });
  const actorOf = opts.actorOf ?? (() => LOCAL_OPERATOR);

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.validation) {
      const field = validationField(err);
      const first = err.validation[0];
      const allowed = (first?.params as { allowedValues?: unknown[] } | undefined)?.allowedValues;
      const message = `${field}: ${first?.message ?? 'invalid'}${allowed ? ` (${allowed.join(', ')})` : ''}`;
      return reply.code(400).send({ code: 'VIGIL_CC_VALIDATION', field, message });
    }
    req.log.error({ err }, 'request failed');
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    return reply.code(status).send({ code: err.code ?? 'VIGIL_CC_INTERNAL', message: status >= 500 ? 'internal error' : err.message });
  });

  await app.register(healthRoutes, { pool: opts.pool, alertFeed: opts.alertFeed });
  await app.register(alertRoutes, { pool: opts.pool, actorOf });
  await app.register(presenceRoutes, { pool: opts.pool, actorOf });
  await app.register(alertStreamRoutes, {
    pool: opts.pool,
    alertFeed: opts.alertFeed,
    actorOf,
    ...(opts.heartbeatMs !== undefined ? { heartbeatMs: opts.heartbeatMs } : {}),
  });
  if (opts.publicDir !== undefined) await app.register(uiRoutes, { publicDir: opts.publicDir });
  return app;
}

/** The query or body field an Ajv error is about: `/limit` -> `limit`, or the missing property. */
function validationField(err: FastifyError): string {
  const first = err.validation?.[0];
  if (!first) return err.validationContext ?? 'request';
  const params = first.params as { missingProperty?: string; additionalProperty?: string };
  const path = first.instancePath.replace(/^\//, '').replace(/\//g, '.');
  return path || params.missingProperty || params.additionalProperty || err.validationContext || 'request';
}
