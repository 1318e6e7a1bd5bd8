import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { TagHealth } from '@vigil/schemas';
import type { AppContext } from '../context.js';
import { IdParams } from './common.js';
import { deviceInScope } from './devices.js';

const num = () => Type.Union([Type.Number(), Type.Null()]);

/** `GET /api/devices/:id/health`: what a tag last said of itself, and when anything was last heard from the device. */
export const DeviceHealth = Type.Object({
  id: Type.String(),
  site: Type.String(),
  kind: Type.String(),
  /** Connected now, and since when (ms), from `device_presence`; null if no status was ever received. */
  online: Type.Union([Type.Boolean(), Type.Null()]),
  since_ts: num(),
  /** From the last `tag.health` message (schemas/src/kinds/tag-health.ts); all null if none was received. */
  battery_pct: num(),
  charging: Type.Union([Type.Boolean(), Type.Null()]),
  /** Cellular signal strength (dBm). */
  rssi_dbm: num(),
  temp_c: num(),
  fw: Type.Union([Type.String(), Type.Null()]),
  health_ts: num(),
  /** The last position fix, and the last message of any kind (fix, health, status, event). */
  last_fix_ts: num(),
  last_seen_ts: num(),
});
export type DeviceHealth = Static<typeof DeviceHealth>;

type HealthRow = { health_at: Date | null; body: Partial<TagHealth['body']> | null; last_fix: Date | null; last_event: Date | null };

/** Battery, signal and last contact of one device of the caller's sites; the read is audited, a device elsewhere is a 404. */
export const deviceHealthRoutes: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get<{ Params: IdParams }>(
    '/api/devices/:id/health',
    { config: { permission: 'devices.read' }, schema: { tags: ['devices'], params: IdParams, response: { 200: DeviceHealth } } },
    async (req) => {
      const d = await deviceInScope(ctx, req, req.params.id, 'devices.health');
      // Each part is the newest row of its (device_id, time DESC) index.
      const { rows } = await ctx.pool.query<HealthRow>(
        `SELECT h.time AS health_at, h.body,
                (SELECT max(time) FROM tag_fixes WHERE device_id = $1) AS last_fix,
                (SELECT max(time) FROM device_events WHERE device_id = $1) AS last_event
           FROM (SELECT 1) one
           LEFT JOIN LATERAL (SELECT time, body FROM device_events WHERE device_id = $1 AND type = 'tag.health' ORDER BY time DESC LIMIT 1) h ON true`,
        [d.id],
      );
      const r = rows[0]!;
      const b = r.body ?? {};
      const lastFix = r.last_fix?.getTime() ?? null;
      const lastEvent = r.last_event?.getTime() ?? null;
      const health: DeviceHealth = {
        id: d.id,
        site: d.site_id,
        kind: d.kind,
        online: d.online,
        since_ts: d.since?.getTime() ?? null,
        battery_pct: b.battery_pct ?? null,
        charging: b.charging ?? null,
        rssi_dbm: b.rssi_dbm ?? null,
        temp_c: b.temp_c ?? null,
        fw: b.fw ?? null,
        health_ts: r.health_at?.getTime() ?? null,
        last_fix_ts: lastFix,
        last_seen_ts: lastFix === null ? lastEvent : lastEvent === null ? lastFix : Math.max(lastFix, lastEvent),
      };
      await ctx.audit(req, { action: 'devices.health', resource: `devices/${d.id}`, detail: { site: d.site_id } });
      return health;
    },
  );
};
