import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Lat, Lon } from '@vigil/schemas';
import { principalOf, type AppContext } from '../context.js';

const Position = Type.Object(
  { lat: Lat, lon: Lon, acc_m: Type.Optional(Type.Number({ minimum: 0, maximum: 100_000 })), available: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
type Position = Static<typeof Position>;

/** The officer's phone reports where they are and whether they can take a dispatch (for "nearest available"). */
export const officerRoutes: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.put<{ Body: Position }>('/api/officers/me/position', { config: { permission: 'officers.position' }, schema: { tags: ['officers'], body: Position } }, async (req, reply) => {
    const p = principalOf(req);
    const b = req.body;
    await ctx.pool.query(
      `INSERT INTO officer_positions (user_id, lat, lon, acc_m, at, available) VALUES ($1, $2, $3, $4, now(), COALESCE($5, true))
       ON CONFLICT (user_id) DO UPDATE SET lat = EXCLUDED.lat, lon = EXCLUDED.lon, acc_m = EXCLUDED.acc_m, at = EXCLUDED.at,
         available = COALESCE($5, officer_positions.available)`,
      [p.userId, b.lat, b.lon, b.acc_m ?? null, b.available ?? null],
    );
    await ctx.audit(req, { action: 'officers.position', resource: `users/${p.userId}`, detail: { available: b.available ?? null } });
    return reply.code(204).send();
  });
};
