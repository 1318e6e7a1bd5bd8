import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Pool } from 'pg';
import { Type, type Static } from '@sinclair/typebox';
import { Alert, AlertState, Id } from '@vigil/schemas';
import { listAlerts } from '../alert-store.js';
import { appendAudit } from '../audit.js';

/** Default and largest page of `GET /api/alerts`. */
export const DEFAULT_ALERT_LIMIT = 100;
export const MAX_ALERT_LIMIT = 500;

// The schema's union of literals as one enum, so a bad value gets "must be one of ..." rather than
// the first failing branch of the union.
const StateParam = Type.Unsafe<AlertState>({ type: 'string', enum: AlertState.anyOf.map((s) => s.const) });

/** Query of `GET /api/alerts`; field schemas come from `@vigil/schemas`. */
export const AlertListQuery = Type.Object(
  {
    site: Type.Optional(Id),
    state: Type.Optional(StateParam),
    limit: Type.Integer({ minimum: 1, maximum: MAX_ALERT_LIMIT, default: DEFAULT_ALERT_LIMIT }),
  },
  { additionalProperties: false },
);
export type AlertListQuery = Static<typeof AlertListQuery>;

/** Options of the alert routes. */
export interface AlertRoutesOptions {
  pool: Pool;
  /** Who is asking; written to the audit trail. */
  actorOf: (req: FastifyRequest) => string;
}

/** `GET /api/alerts?site=&state=&limit=`: the alert list, newest first; every read is audited. */
export const alertRoutes: FastifyPluginAsync<AlertRoutesOptions> = async (app, opts) => {
  app.get<{ Querystring: AlertListQuery }>(
    '/api/alerts',
    {
      schema: {
        querystring: AlertListQuery,
        response: { 200: Type.Object({ alerts: Type.Array(Alert) }) },
      },
    },
    async (req) => {
      const { site, state, limit } = req.query;
      const alerts = await listAlerts(opts.pool, { site, state, limit });
      // Audited before the data leaves: if the trail cannot be written the request fails (500).
      await appendAudit(opts.pool, {
        actor: opts.actorOf(req),
        action: 'alerts.list',
        resource: 'alerts',
        detail: { site: site ?? null, state: state ?? null, limit, returned: alerts.length },
      });
      return { alerts };
    },
  );
};
