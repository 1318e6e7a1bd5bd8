import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { scopeOf, type AppContext } from '../context.js';
import { notFound } from '../errors.js';
import { dateOrNull, IdParams, windowQuery } from './common.js';
import { scopedSubject } from './subjects.js';

const TrackQuery = Type.Object(windowQuery(10_000, 2_000), { additionalProperties: false });
type TrackQuery = Static<typeof TrackQuery>;
const Track = Type.Object({
  fixes: Type.Array(Type.Object({ ts: Type.Number(), device: Type.String(), lat: Type.Number(), lon: Type.Number(), acc_m: Type.Number(), speed_mps: Type.Union([Type.Number(), Type.Null()]) })),
});
type FixRow = { time: Date; device_id: string; lat: number; lon: number; acc_m: number; speed_mps: number | null };
const fix = (r: FixRow) => ({ ts: r.time.getTime(), device: r.device_id, lat: r.lat, lon: r.lon, acc_m: r.acc_m, speed_mps: r.speed_mps });

/** Track history for replay, from the tag_fixes hypertable: a subject's (all their tags) or one device's, oldest first. */
export const trackRoutes: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  const window = (q: TrackQuery) => [dateOrNull(q.from ?? Date.now() - 86_400_000), dateOrNull(q.to ?? Date.now() + 60_000), q.limit];

  app.get<{ Params: IdParams; Querystring: TrackQuery }>(
    '/api/subjects/:id/track',
    { config: { permission: 'tracks.read' }, schema: { tags: ['tracks'], params: IdParams, querystring: TrackQuery, response: { 200: Track } } },
    async (req) => {
      const scope = await scopeOf(ctx, req);
      const s = await scopedSubject(ctx, scope, req.params.id);
      if (!s) {
        await ctx.audit(req, { action: 'tracks.read', resource: `subjects/${req.params.id}`, outcome: 'denied', detail: { reason: 'not_in_scope' } });
        throw notFound('subject');
      }
      const { rows } = await ctx.pool.query<FixRow>(
        `SELECT f.time, f.device_id, f.lat, f.lon, f.acc_m, f.speed_mps FROM tag_fixes f
          WHERE f.device_id = ANY($1) AND f.site_id = ANY($2) AND f.time >= $3 AND f.time < $4 ORDER BY f.time LIMIT $5`,
        [s.devices, scope.sites, ...window(req.query)],
      );
      await ctx.audit(req, { action: 'tracks.read', resource: `subjects/${s.id}`, detail: { from: req.query.from ?? null, to: req.query.to ?? null, returned: rows.length } });
      return { fixes: rows.map(fix) };
    },
  );

  app.get<{ Params: IdParams; Querystring: TrackQuery }>(
    '/api/devices/:id/track',
    { config: { permission: 'devices.read' }, schema: { tags: ['tracks'], params: IdParams, querystring: TrackQuery, response: { 200: Track } } },
    async (req) => {
      const scope = await scopeOf(ctx, req);
      const { rows: dev } = await ctx.pool.query('SELECT 1 FROM devices WHERE id = $1 AND site_id = ANY($2)', [req.params.id, scope.sites]);
      if (dev.length === 0) {
        await ctx.audit(req, { action: 'tracks.read', resource: `devices/${req.params.id}`, outcome: 'denied', detail: { reason: 'not_in_scope' } });
        throw notFound('device');
      }
      const { rows } = await ctx.pool.query<FixRow>(
        `SELECT time, device_id, lat, lon, acc_m, speed_mps FROM tag_fixes
          WHERE device_id = $1 AND site_id = ANY($2) AND time >= $3 AND time < $4 ORDER BY time LIMIT $5`,
        [req.params.id, scope.sites, ...window(req.query)],
      );
      await ctx.audit(req, { action: 'tracks.read', resource: `devices/${req.params.id}`, detail: { from: req.query.from ?? null, to: req.query.to ?? null, returned: rows.length } });
      return { fixes: rows.map(fix) };
    },
  );
};
