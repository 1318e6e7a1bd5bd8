import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Id } from '@vigil/schemas';
import { scopeOf, type AppContext } from '../context.js';

/** Default and largest number of devices `GET /api/devices/presence` returns. */
export const DEFAULT_PRESENCE_LIMIT = 1_000;
export const MAX_PRESENCE_LIMIT = 10_000;

/** Query of `GET /api/devices/presence`. */
export const PresenceQuery = Type.Object(
  {
    site: Type.Optional(Id),
    limit: Type.Integer({ minimum: 1, maximum: MAX_PRESENCE_LIMIT, default: DEFAULT_PRESENCE_LIMIT }),
  },
  { additionalProperties: false },
);
export type PresenceQuery = Static<typeof PresenceQuery>;

/** One device's presence, from the `device_presence` table ingest keeps (migration 007_presence.sql). */
export const DevicePresence = Type.Object(
  {
    id: Id,
    site: Id,
    online: Type.Boolean(),
    /** When the device came online or went offline: ISO 8601, from the status message's ts. */
    since: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type DevicePresence = Static<typeof DevicePresence>;

/** `GET /api/devices/presence?site=&limit=`: who is connected and since when, by site then device, within the user's scope; every read is audited. */
export const presenceRoutes: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get<{ Querystring: PresenceQuery }>(
    '/api/devices/presence',
    {
      config: { permission: 'devices.read' },
      schema: { tags: ['devices'], querystring: PresenceQuery, response: { 200: Type.Object({ devices: Type.Array(DevicePresence) }) } },
    },
    async (req) => {
      const { site, limit } = req.query;
      const scope = await scopeOf(ctx, req);
      const { rows } = await ctx.pool.query<{ device_id: string; site_id: string; online: boolean; since: Date }>(
        `SELECT device_id, site_id, online, since FROM device_presence
         WHERE site_id = ANY($1) AND ($2::text IS NULL OR site_id = $2) ORDER BY site_id, device_id LIMIT $3`,
        [scope.sites, site ?? null, limit],
      );
      const devices = rows.map((r) => ({ id: r.device_id, site: r.site_id, online: r.online, since: r.since.toISOString() }));
      // Audited before the data leaves: if the trail cannot be written the request fails (500).
      await ctx.audit(req, { action: 'presence.list', resource: 'device_presence', detail: { site: site ?? null, limit, returned: devices.length } });
      return { devices };
    },
  );
};
