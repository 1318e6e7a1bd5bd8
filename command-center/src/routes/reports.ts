import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { EpochMs } from '@vigil/schemas';
import { scopeOf, type AppContext } from '../context.js';

const ReportQuery = Type.Object(
  {
    from: Type.Optional(EpochMs),
    to: Type.Optional(EpochMs),
    /** Alarm quality: a flood is more than this many alerts at one site in ten minutes (ISA-18.2: 10). */
    flood_per_10min: Type.Integer({ minimum: 1, maximum: 10_000, default: 10 }),
    /** Alarm quality: a chattering condition raised this many times or more within an hour. */
    chatter_per_hour: Type.Integer({ minimum: 2, maximum: 1000, default: 3 }),
  },
  { additionalProperties: false },
);
type ReportQuery = Static<typeof ReportQuery>;
const Stat = Type.Object({ n: Type.Number(), avg_s: Type.Union([Type.Number(), Type.Null()]), p50_s: Type.Union([Type.Number(), Type.Null()]), p90_s: Type.Union([Type.Number(), Type.Null()]) });
const TimesRow = Type.Object({ key: Type.String(), alerts: Type.Number(), acknowledge: Stat, arrive: Stat, resolve: Stat });

type TimesSql = { key: string; alerts: string } & Record<`${'ack' | 'arr' | 'res'}_${'n' | 'avg' | 'p50' | 'p90'}`, string | number | null>;

const STATS = (col: string, p: string) =>
  `count(${col}) AS ${p}_n, avg(${col}) AS ${p}_avg,
   percentile_cont(0.5) WITHIN GROUP (ORDER BY ${col}) AS ${p}_p50,
   percentile_cont(0.9) WITHIN GROUP (ORDER BY ${col}) AS ${p}_p90`;
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Math.round(Number(v) * 10) / 10);
const stat = (r: TimesSql, p: 'ack' | 'arr' | 'res') => ({ n: Number(r[`${p}_n`]), avg_s: num(r[`${p}_avg`]), p50_s: num(r[`${p}_p50`]), p90_s: num(r[`${p}_p90`]) });

/**
 * Reports over the alerts raised in a window, in the user's scope:
 * response times (to acknowledge, to arrive, to resolve, from the raise) per site and per
 * officer, and alarm quality after ISA-18.2 — alerts per operator per hour, floods,
 * chattering conditions, and the rules whose alerts are most often closed as false alarms.
 */
export const reportRoutes: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  const window = (q: ReportQuery): [Date, Date] => {
    const to = q.to ?? Date.now();
    return [new Date(q.from ?? to - 7 * 86_400_000), new Date(to)];
  };

  app.get<{ Querystring: ReportQuery }>(
    '/api/reports/response-times',
    {
      config: { permission: 'reports.read' },
      schema: { tags: ['reports'], querystring: ReportQuery, response: { 200: Type.Object({ by_site: Type.Array(TimesRow), by_officer: Type.Array(TimesRow) }) } },
    },
    async (req) => {
      const scope = await scopeOf(ctx, req);
      const [from, to] = window(req.query);
      const base = `WITH a AS (
          SELECT site_id, officer_id,
                 extract(epoch FROM acked_at - raised_at)::float8 AS ack_s,
                 extract(epoch FROM arrived_at - raised_at)::float8 AS arr_s,
                 extract(epoch FROM resolved_at - raised_at)::float8 AS res_s
            FROM alerts WHERE site_id = ANY($1) AND raised_at >= $2 AND raised_at < $3)`;
      const q = (key: string, where = 'true') =>
        ctx.pool.query<TimesSql>(
          `${base} SELECT ${key} AS key, count(*) AS alerts, ${STATS('ack_s', 'ack')}, ${STATS('arr_s', 'arr')}, ${STATS('res_s', 'res')}
             FROM a WHERE ${where} GROUP BY 1 ORDER BY 1`,
          [scope.sites, from, to],
        );
      const [bySite, byOfficer] = [await q('site_id'), await q('officer_id', 'officer_id IS NOT NULL')];
      const shape = (r: TimesSql) => ({ key: r.key, alerts: Number(r.alerts), acknowledge: stat(r, 'ack'), arrive: stat(r, 'arr'), resolve: stat(r, 'res') });
      await ctx.audit(req, { action: 'reports.response_times', resource: 'alerts', detail: { from: from.getTime(), to: to.getTime() } });
      return { by_site: bySite.rows.map(shape), by_officer: byOfficer.rows.map(shape) };
    },
  );

  app.get<{ Querystring: ReportQuery }>(
    '/api/reports/alarm-quality',
    {
      config: { permission: 'reports.read' },
      schema: {
        tags: ['reports'],
        querystring: ReportQuery,
        response: {
          200: Type.Object({
            hours: Type.Number(),
            sites: Type.Array(
              Type.Object({ site: Type.String(), alerts: Type.Number(), operators: Type.Number(), per_hour: Type.Number(), per_operator_per_hour: Type.Number(), peak_10min: Type.Number(), flood_windows: Type.Number() }),
            ),
            chattering: Type.Array(Type.Object({ key: Type.String(), rule: Type.String(), site: Type.String(), raised: Type.Number(), repeats: Type.Number() })),
            false_alarm_rules: Type.Array(Type.Object({ rule: Type.String(), resolved: Type.Number(), false_alarms: Type.Number(), ratio: Type.Number() })),
          }),
        },
      },
    },
    async (req) => {
      const scope = await scopeOf(ctx, req);
      const [from, to] = window(req.query);
      const hours = Math.max((to.getTime() - from.getTime()) / 3_600_000, 1 / 60);
      const args = [scope.sites, from, to];
      // Operators who watch a site: operator accounts whose unit is the site's unit or above it.
      const { rows: sites } = await ctx.pool.query<{ site_id: string; alerts: string; peak: string; floods: string; operators: string }>(
        `WITH a AS (SELECT site_id, raised_at FROM alerts WHERE site_id = ANY($1) AND raised_at >= $2 AND raised_at < $3),
              w AS (SELECT site_id, date_bin('10 minutes', raised_at, $2) AS win, count(*) AS n FROM a GROUP BY 1, 2)
         SELECT s.site_id, s.alerts, coalesce(max(w.n), 0) AS peak, count(w.win) FILTER (WHERE w.n > $4) AS floods,
                (WITH RECURSIVE anc AS (
                   SELECT o.id, o.parent_id FROM org_units o JOIN sites st ON st.org_unit_id = o.id WHERE st.id = s.site_id
                   UNION ALL SELECT o.id, o.parent_id FROM org_units o JOIN anc ON o.id = anc.parent_id)
                 SELECT count(*) FROM users u WHERE u.role = 'operator' AND u.disabled_at IS NULL AND u.org_unit_id IN (SELECT id FROM anc)) AS operators
           FROM (SELECT site_id, count(*) AS alerts FROM a GROUP BY 1) s LEFT JOIN w ON w.site_id = s.site_id
          GROUP BY s.site_id, s.alerts ORDER BY s.site_id`,
        [...args, req.query.flood_per_10min],
      );
      const { rows: chatter } = await ctx.pool.query<{ key: string; rule: string; site_id: string; raised: string; repeats: string }>(
        `SELECT key, min(rule) AS rule, min(site_id) AS site_id, count(*) AS raised, sum(count - 1) AS repeats FROM (
           SELECT key, rule, site_id, count, raised_at,
                  count(*) OVER (PARTITION BY key ORDER BY raised_at RANGE BETWEEN interval '1 hour' PRECEDING AND CURRENT ROW) AS in_hour
             FROM alerts WHERE site_id = ANY($1) AND raised_at >= $2 AND raised_at < $3) x
          GROUP BY key HAVING max(in_hour) >= $4 OR sum(count) >= $4 * 10 ORDER BY count(*) DESC, key LIMIT 50`,
        [...args, req.query.chatter_per_hour],
      );
      const { rows: falseRules } = await ctx.pool.query<{ rule: string; resolved: string; false_alarms: string }>(
        `SELECT rule, count(*) AS resolved, count(*) FILTER (WHERE disposition = 'false_alarm') AS false_alarms
           FROM alerts WHERE site_id = ANY($1) AND raised_at >= $2 AND raised_at < $3 AND state = 'resolved'
          GROUP BY rule HAVING count(*) FILTER (WHERE disposition = 'false_alarm') > 0
          ORDER BY count(*) FILTER (WHERE disposition = 'false_alarm')::float8 / count(*) DESC, rule LIMIT 50`,
        args,
      );
      await ctx.audit(req, { action: 'reports.alarm_quality', resource: 'alerts', detail: { from: from.getTime(), to: to.getTime() } });
      const round = (x: number) => Math.round(x * 100) / 100;
      return {
        hours: round(hours),
        sites: sites.map((s) => {
          const alerts = Number(s.alerts);
          const operators = Number(s.operators);
          return {
            site: s.site_id,
            alerts,
            operators,
            per_hour: round(alerts / hours),
            per_operator_per_hour: round(alerts / hours / Math.max(operators, 1)),
            peak_10min: Number(s.peak),
            flood_windows: Number(s.floods),
          };
        }),
        chattering: chatter.map((c) => ({ key: c.key, rule: c.rule, site: c.site_id, raised: Number(c.raised), repeats: Number(c.repeats) })),
        false_alarm_rules: falseRules.map((r) => ({ rule: r.rule, resolved: Number(r.resolved), false_alarms: Number(r.false_alarms), ratio: round(Number(r.false_alarms) / Number(r.resolved)) })),
      };
    },
  );
};
