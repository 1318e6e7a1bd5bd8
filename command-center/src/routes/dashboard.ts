import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { EpochMs, Id } from '@vigil/schemas';
import { scopeOf, type AppContext } from '../context.js';

const SeriesQuery = Type.Object({ site: Type.Optional(Id), from: Type.Optional(EpochMs), to: Type.Optional(EpochMs) }, { additionalProperties: false });
type SeriesQuery = Static<typeof SeriesQuery>;
const Point = Type.Object({ bucket: Type.Number(), site: Type.String() }, { additionalProperties: true });
const Series = Type.Object({ points: Type.Array(Point) });
/** Longest window of a series: 90 days of hourly points. */
const MAX_WINDOW_MS = 90 * 86_400_000;

/**
 * Hourly series for the dashboards, from the aggregates of migration 011
 * (continuous aggregates on TimescaleDB, views by query elsewhere), per site in scope.
 */
export const dashboardRoutes: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  const window = (q: SeriesQuery): [Date, Date] => {
    const to = q.to ?? Date.now();
    const from = Math.max(q.from ?? to - 86_400_000, to - MAX_WINDOW_MS);
    return [new Date(from), new Date(to)];
  };
  const series = (name: string, sql: string, map: (r: Record<string, unknown>) => Record<string, unknown>) =>
    app.get<{ Querystring: SeriesQuery }>(
      `/api/dashboard/${name}`,
      { config: { permission: 'dashboard.read' }, schema: { tags: ['dashboard'], querystring: SeriesQuery, response: { 200: Series } } },
      async (req) => {
        const scope = await scopeOf(ctx, req);
        const [from, to] = window(req.query);
        const { rows } = await ctx.pool.query<Record<string, unknown>>(sql, [scope.sites, req.query.site ?? null, from, to]);
        await ctx.audit(req, { action: `dashboard.${name}`, resource: name, detail: { site: req.query.site ?? null, from: from.getTime(), to: to.getTime() } });
        return { points: rows.map((r) => ({ bucket: (r.bucket as Date).getTime(), site: r.site_id as string, ...map(r) })) };
      },
    );
  const WHERE = 'site_id = ANY($1) AND ($2::text IS NULL OR site_id = $2) AND bucket >= $3 AND bucket < $4';
  series(
    'alerts-hourly',
    `SELECT bucket, site_id, alerts, critical, high, medium, low FROM alerts_per_site_hourly WHERE ${WHERE} ORDER BY bucket, site_id`,
    (r) => ({ alerts: Number(r.alerts), critical: Number(r.critical), high: Number(r.high), medium: Number(r.medium), low: Number(r.low) }),
  );
  series(
    'fixes-hourly',
    `SELECT bucket, site_id, sum(fixes) AS fixes, count(DISTINCT device_id) AS devices FROM fixes_per_device_hourly WHERE ${WHERE} GROUP BY 1, 2 ORDER BY 1, 2`,
    (r) => ({ fixes: Number(r.fixes), devices: Number(r.devices) }),
  );
  series(
    'events-hourly',
    `SELECT bucket, site_id, type, sum(events) AS events FROM events_per_device_hourly WHERE ${WHERE} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    (r) => ({ type: r.type as string, events: Number(r.events) }),
  );
};
