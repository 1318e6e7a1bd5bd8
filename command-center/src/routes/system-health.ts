import type { FastifyPluginAsync } from 'fastify';
import type { AlertFeed } from '../alert-feed.js';
import { scopeOf, type AppContext } from '../context.js';
import { probeServices, type ServiceEndpoint } from '../service-probe.js';

/** Options of the system health route. */
export interface SystemHealthOptions {
  ctx: AppContext;
  alertFeed: AlertFeed;
  /** Services whose `/healthz` and `/metrics` are read (VIGIL_SERVICE_ENDPOINTS). */
  endpoints: readonly ServiceEndpoint[];
}

/**
 * `GET /api/system/health` — the system's own health for the command centre's
 * health page: each configured service up or not with its key figures (broker
 * clients, ingest queue), the command centre's own links, ingest lag (device
 * time → stored, over the last 5 minutes), dead letters of the last 24 h by
 * code, notifications waiting or dead, and each edge agent: online, and its last
 * reported queue depth and drops. Edge agents, dead letters and notifications are
 * limited to the caller's sites.
 */
export const systemHealthRoutes: FastifyPluginAsync<SystemHealthOptions> = async (app, { ctx, alertFeed, endpoints }) => {
  app.get('/api/system/health', { config: { permission: 'dashboard.read' }, schema: { tags: ['health'] } }, async (req) => {
    const { sites } = await scopeOf(ctx, req);
    const [services, db, lag, dead, notify, agents] = await Promise.all([
      probeServices(endpoints),
      ctx.pool.query('SELECT 1').then(() => true, () => false),
      ctx.pool.query<{ rows: string; last: Date | null; p50_ms: number | null; p99_ms: number | null }>(
        `SELECT count(*)::text AS rows, max(received_at) AS last,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM received_at - time) * 1000) AS p50_ms,
                percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM received_at - time) * 1000) AS p99_ms
           FROM tag_fixes WHERE time > now() - interval '5 minutes' AND received_at > now() - interval '5 minutes' AND site_id = ANY($1::text[])`,
        [sites],
      ),
      ctx.pool.query<{ code: string; n: number }>(
        `SELECT code, count(*)::int AS n FROM dead_letters
          WHERE received_at > now() - interval '24 hours' AND split_part(topic, '/', 3) = ANY($1::text[]) GROUP BY code ORDER BY n DESC`,
        [sites],
      ),
      ctx.pool.query<{ state: string; n: number }>(
        `SELECT n.state, count(DISTINCT n.id)::int AS n FROM notifications n
           JOIN notification_alerts na ON na.notification_id = n.id JOIN alerts a ON a.id = na.alert_id
          WHERE n.state IN ('pending', 'retry', 'sending', 'dead') AND a.site_id = ANY($1::text[]) GROUP BY n.state`,
        [sites],
      ),
      // every registered edge agent: online from presence, queue from its last own report (the broker's
      // connect/disconnect statuses carry no queue)
      ctx.pool.query<{ id: string; site_id: string; online: boolean | null; since: Date | null; report_ts: Date | null; body: { queue_depth?: number; dropped?: number; version?: string } | null }>(
        `SELECT a.id, a.site_id, p.online, p.since, r.time AS report_ts, r.body FROM devices a
           LEFT JOIN device_presence p ON p.device_id = a.id
           LEFT JOIN LATERAL (SELECT time, body FROM device_events e
                               WHERE e.device_id = a.id AND e.type = 'agent.status' AND e.body ? 'queue_depth' AND e.time > now() - interval '7 days'
                               ORDER BY time DESC LIMIT 1) r ON true
          WHERE a.kind = 'agent' AND a.revoked_at IS NULL AND a.site_id = ANY($1::text[]) ORDER BY a.id`,
        [sites],
      ),
    ]);
    const l = lag.rows[0];
    return {
      ts: Date.now(),
      command_center: { up: true, db, mqtt: alertFeed.isConnected() },
      services,
      ingest_lag: { fixes_5m: Number(l?.rows ?? 0), last_stored_ts: l?.last?.getTime() ?? null, p50_ms: l?.p50_ms ?? null, p99_ms: l?.p99_ms ?? null },
      dead_letters_24h: { total: dead.rows.reduce((s, r) => s + r.n, 0), by_code: Object.fromEntries(dead.rows.map((r) => [r.code, r.n])) },
      notifications: Object.fromEntries(['pending', 'retry', 'sending', 'dead'].map((s) => [s, notify.rows.find((r) => r.state === s)?.n ?? 0])),
      edge_agents: agents.rows.map((r) => ({
        id: r.id,
        site: r.site_id,
        online: r.online,
        since_ts: r.since?.getTime() ?? null,
        report_ts: r.report_ts?.getTime() ?? null,
        queue_depth: r.body?.queue_depth ?? null,
        dropped: r.body?.dropped ?? null,
        version: r.body?.version ?? null,
      })),
    };
  });
};
