import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Id, Lat, Lon } from '@vigil/schemas';
import { principalOf, scopeOf, type AppContext } from '../context.js';

const Position = Type.Object(
  { lat: Lat, lon: Lon, acc_m: Type.Optional(Type.Number({ minimum: 0, maximum: 100_000 })), available: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
type Position = Static<typeof Position>;

/** Query of `GET /api/officers/positions`: one unit of the caller's subtree (with the units under it), or all of it. */
const PositionsQuery = Type.Object({ unit: Type.Optional(Id) }, { additionalProperties: false });
type PositionsQuery = Static<typeof PositionsQuery>;

const OfficerPosition = Type.Object({
  id: Type.String(),
  display_name: Type.String(),
  org_unit: Type.String(),
  /** False when the officer said so, or has never reported a position. */
  available: Type.Boolean(),
  lat: Type.Union([Type.Number(), Type.Null()]),
  lon: Type.Union([Type.Number(), Type.Null()]),
  acc_m: Type.Union([Type.Number(), Type.Null()]),
  /** When the phone last reported (ms since epoch), and how long ago that was when the server answered (s). */
  position_ts: Type.Union([Type.Number(), Type.Null()]),
  age_s: Type.Union([Type.Integer(), Type.Null()]),
});

type OfficerRow = { id: string; display_name: string; org_unit_id: string; lat: number | null; lon: number | null; acc_m: number | null; at: Date | null; available: boolean | null };

/**
 * Officers' positions:
 * - `PUT /api/officers/me/position`: the officer's phone reports where they are and whether they can take a dispatch;
 * - `GET /api/officers/positions?unit=`: those who dispatch (supervisors, operators: `officers.read`) see the last
 *   position, availability and its age of every active officer of their subtree. Officers do not hold the permission:
 *   a colleague's whereabouts are not theirs to see, and their own is on their phone.
 */
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

  app.get<{ Querystring: PositionsQuery }>(
    '/api/officers/positions',
    {
      config: { permission: 'officers.read' },
      schema: { tags: ['officers'], querystring: PositionsQuery, response: { 200: Type.Object({ officers: Type.Array(OfficerPosition) }) } },
    },
    async (req) => {
      const scope = await scopeOf(ctx, req);
      const unit = req.query.unit ?? null;
      // A unit outside the subtree gives nothing, the same as a unit without officers.
      const { rows } = await ctx.pool.query<OfficerRow>(
        `WITH RECURSIVE sub AS (
           SELECT id FROM org_units WHERE id = $2 AND id = ANY($1)
           UNION ALL
           SELECT o.id FROM org_units o JOIN sub ON o.parent_id = sub.id
         )
         SELECT u.id, u.display_name, u.org_unit_id, p.lat, p.lon, p.acc_m, p.at, p.available
           FROM users u LEFT JOIN officer_positions p ON p.user_id = u.id
          WHERE u.role = 'officer' AND u.disabled_at IS NULL AND u.org_unit_id = ANY($1)
            AND ($2::text IS NULL OR u.org_unit_id IN (SELECT id FROM sub))
          ORDER BY u.org_unit_id, u.id`,
        [scope.units, unit],
      );
      const now = Date.now();
      const officers = rows.map((r) => ({
        id: r.id,
        display_name: r.display_name,
        org_unit: r.org_unit_id,
        available: r.available ?? false,
        lat: r.lat,
        lon: r.lon,
        acc_m: r.acc_m,
        position_ts: r.at?.getTime() ?? null,
        age_s: r.at ? Math.max(0, Math.round((now - r.at.getTime()) / 1000)) : null,
      }));
      await ctx.audit(req, { action: 'officers.positions', resource: 'officer_positions', detail: { unit, returned: officers.length } });
      return { officers };
    },
  );
};
