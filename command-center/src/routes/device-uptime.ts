import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { scopeOf, type AppContext } from '../context.js';
import { CommandCenterError } from '../errors.js';
import { IdParams, windowQuery } from './common.js';
import { deviceInScope } from './devices.js';

/** Window when none is given, and the longest one asked for. */
export const DEFAULT_UPTIME_WINDOW_MS = 86_400_000;
export const MAX_UPTIME_WINDOW_MS = 92 * 86_400_000;

const UptimeQuery = Type.Object(windowQuery(10_000, 1_000), { additionalProperties: false });
type UptimeQuery = Static<typeof UptimeQuery>;

/** `GET /api/devices/:id/presence/history`: the device's online/offline changes in a window and how much of it it was online. */
export const DeviceUptime = Type.Object({
  id: Type.String(),
  site: Type.String(),
  /** The window (ms); `to` is never later than the time of the answer. */
  from: Type.Number(),
  to: Type.Number(),
  /** Online or not when the window opened (the last change before it); null if no status was known then. */
  state_at_from: Type.Union([Type.Boolean(), Type.Null()]),
  /** Each change in the window, oldest first, at most `limit`; `truncated` if there were more (the totals count them all). */
  changes: Type.Array(Type.Object({ ts: Type.Number(), online: Type.Boolean(), reason: Type.Union([Type.String(), Type.Null()]) })),
  truncated: Type.Boolean(),
  /** Time online, offline, and with no known status (before the first status ever received). */
  online_ms: Type.Number(),
  offline_ms: Type.Number(),
  unknown_ms: Type.Number(),
  /** online_ms over the whole window (0..1). */
  online_fraction: Type.Number(),
});
export type DeviceUptime = Static<typeof DeviceUptime>;

/**
 * Uptime history of one device of the caller's sites, from `device_status_changes`
 * (ingest/migrations/010: one row per change of a device's `agent.status`). The read is audited;
 * a device elsewhere is a 404; a window that is empty, reversed or too long is a 400 naming `from`.
 */
export const deviceUptimeRoutes: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get<{ Params: IdParams; Querystring: UptimeQuery }>(
    '/api/devices/:id/presence/history',
    { config: { permission: 'devices.read' }, schema: { tags: ['devices'], params: IdParams, querystring: UptimeQuery, response: { 200: DeviceUptime } } },
    async (req) => {
      const now = Date.now();
      const to = Math.min(req.query.to ?? now, now);
      const from = req.query.from ?? to - DEFAULT_UPTIME_WINDOW_MS;
      if (from >= to) throw new CommandCenterError('VIGIL_CC_VALIDATION', 'from: must be before to (and before now) / 起始时间必须早于结束时间（且早于当前时间）', 'from');
      if (to - from > MAX_UPTIME_WINDOW_MS) throw new CommandCenterError('VIGIL_CC_VALIDATION', 'from: the window may be at most 92 days / 时间范围最长 92 天', 'from');
      const d = await deviceInScope(ctx, req, req.params.id, 'devices.uptime');
      const sites = (await scopeOf(ctx, req)).sites;
      const args = [d.id, new Date(from), new Date(to), sites];
      // Only history recorded at the caller's sites: a device moved from elsewhere does not bring its past along.
      const [totals, changes] = await Promise.all([
        ctx.pool.query<{ state_at_from: boolean | null; online_ms: number; offline_ms: number }>(
          `WITH prior AS (
             SELECT online FROM device_status_changes WHERE device_id = $1 AND site_id = ANY($4) AND time < $2 ORDER BY time DESC LIMIT 1
           ), seg AS (
             SELECT online, lead(time, 1, $3::timestamptz) OVER (ORDER BY time) - time AS span
               FROM (SELECT $2::timestamptz AS time, online FROM prior
                     UNION ALL
                     SELECT time, online FROM device_status_changes WHERE device_id = $1 AND site_id = ANY($4) AND time >= $2 AND time < $3) s
           )
           SELECT (SELECT online FROM prior) AS state_at_from,
                  coalesce(sum(extract(epoch FROM span)) FILTER (WHERE online), 0)::float8 * 1000 AS online_ms,
                  coalesce(sum(extract(epoch FROM span)) FILTER (WHERE NOT online), 0)::float8 * 1000 AS offline_ms
             FROM seg`,
          args,
        ),
        ctx.pool.query<{ time: Date; online: boolean; reason: string | null }>(
          `SELECT time, online, reason FROM device_status_changes
            WHERE device_id = $1 AND site_id = ANY($4) AND time >= $2 AND time < $3 ORDER BY time LIMIT $5`,
          [...args, req.query.limit + 1],
        ),
      ]);
      const t = totals.rows[0]!;
      const onlineMs = Math.round(t.online_ms);
      const offlineMs = Math.round(t.offline_ms);
      const body: DeviceUptime = {
        id: d.id,
        site: d.site_id,
        from,
        to,
        state_at_from: t.state_at_from,
        changes: changes.rows.slice(0, req.query.limit).map((r) => ({ ts: r.time.getTime(), online: r.online, reason: r.reason })),
        truncated: changes.rows.length > req.query.limit,
        online_ms: onlineMs,
        offline_ms: offlineMs,
        unknown_ms: Math.max(0, to - from - onlineMs - offlineMs),
        online_fraction: onlineMs / (to - from),
      };
      await ctx.audit(req, { action: 'devices.uptime', resource: `devices/${d.id}`, detail: { from, to, returned: body.changes.length } });
      return body;
    },
  );
};
