import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Id } from '@vigil/schemas';
import { scopeOf, type AppContext } from '../context.js';
import { CommandCenterError, notFound } from '../errors.js';
import { IdParams, isUniqueViolation, Names } from './common.js';

const Position = Type.Array(Type.Number(), { minItems: 2, maxItems: 3 });
const Ring = Type.Array(Position, { minItems: 4, maxItems: 10_000 });
/** GeoJSON (RFC 7946) Polygon in WGS 84. */
const Geometry = Type.Object({ type: Type.Literal('Polygon'), coordinates: Type.Array(Ring, { minItems: 1, maxItems: 64 }) }, { additionalProperties: false });
const ZoneKind = Type.Unsafe<'inclusion' | 'exclusion'>({ type: 'string', enum: ['inclusion', 'exclusion'] });
const Zone = Type.Object({
  id: Type.String(),
  site: Type.String(),
  kind: Type.String(),
  name: Type.Object({ en: Type.String(), 'zh-CN': Type.String() }),
  geometry: Type.Unknown(),
  active: Type.Boolean(),
});
const NewZone = Type.Object({ id: Id, site: Id, kind: ZoneKind, ...Names, geometry: Geometry, active: Type.Optional(Type.Boolean()) }, { additionalProperties: false });
type NewZone = Static<typeof NewZone>;
const ZonePatch = Type.Object(
  { kind: Type.Optional(ZoneKind), name_en: Type.Optional(Names.name_en), name_zh: Type.Optional(Names.name_zh), geometry: Type.Optional(Geometry), active: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, minProperties: 1 },
);
type ZonePatch = Static<typeof ZonePatch>;

type Row = { id: string; site_id: string; kind: string; name_en: string; name_zh: string; geometry: unknown; active: boolean };
const COLS = 'id, site_id, kind, name_en, name_zh, geometry, active';
const zone = (r: Row) => ({ id: r.id, site: r.site_id, kind: r.kind, name: { en: r.name_en, 'zh-CN': r.name_zh }, geometry: r.geometry, active: r.active });

/** A ring is closed: its last position is its first (RFC 7946 3.1.6). */
function checkGeometry(g: { coordinates: number[][][] }): void {
  for (const [i, ring] of g.coordinates.entries()) {
    const a = ring[0]!;
    const b = ring.at(-1)!;
    if (a[0] !== b[0] || a[1] !== b[1]) throw new CommandCenterError('VIGIL_CC_VALIDATION', `geometry.coordinates.${i}: a ring must end where it starts / 多边形必须闭合`, `geometry.coordinates.${i}`);
    for (const [j, p] of ring.entries()) {
      if (Math.abs(p[0]!) > 180 || Math.abs(p[1]!) > 90) throw new CommandCenterError('VIGIL_CC_VALIDATION', `geometry.coordinates.${i}.${j}: not a WGS 84 position / 坐标超出范围`, `geometry.coordinates.${i}.${j}`);
    }
  }
}

/** Zones (GeoJSON polygons, inclusion or exclusion) of the user's sites; analytics reloads them on its refresh interval. */
export const zoneRoutes: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  const scopedZone = async (req: FastifyRequest, id: string, action: string): Promise<Row> => {
    const scope = await scopeOf(ctx, req);
    const { rows } = await ctx.pool.query<Row>(`SELECT ${COLS} FROM zones WHERE id = $1 AND site_id = ANY($2)`, [id, scope.sites]);
    if (!rows[0]) {
      await ctx.audit(req, { action, resource: `zones/${id}`, outcome: 'denied', detail: { reason: 'not_in_scope' } });
      throw notFound('zone');
    }
    return rows[0];
  };

  app.get<{ Querystring: { site?: string } }>(
    '/api/zones',
    { config: { permission: 'zones.read' }, schema: { tags: ['zones'], querystring: Type.Object({ site: Type.Optional(Id) }, { additionalProperties: false }), response: { 200: Type.Object({ zones: Type.Array(Zone) }) } } },
    async (req) => {
      const scope = await scopeOf(ctx, req);
      const { rows } = await ctx.pool.query<Row>(`SELECT ${COLS} FROM zones WHERE site_id = ANY($1) AND ($2::text IS NULL OR site_id = $2) ORDER BY site_id, id`, [scope.sites, req.query.site ?? null]);
      await ctx.audit(req, { action: 'zones.list', resource: 'zones', detail: { site: req.query.site ?? null, returned: rows.length } });
      return { zones: rows.map(zone) };
    },
  );

  app.get<{ Params: IdParams }>('/api/zones/:id', { config: { permission: 'zones.read' }, schema: { tags: ['zones'], params: IdParams, response: { 200: Zone } } }, async (req) => {
    const z = await scopedZone(req, req.params.id, 'zones.read');
    await ctx.audit(req, { action: 'zones.read', resource: `zones/${z.id}` });
    return zone(z);
  });

  app.post<{ Body: NewZone }>('/api/zones', { config: { permission: 'zones.write' }, schema: { tags: ['zones'], body: NewZone, response: { 201: Zone } } }, async (req, reply) => {
    const scope = await scopeOf(ctx, req);
    const b = req.body;
    if (!scope.siteSet.has(b.site)) throw new CommandCenterError('VIGIL_CC_VALIDATION', 'site: not a site you manage / 不是您管理的场所', 'site');
    checkGeometry(b.geometry);
    try {
      const { rows } = await ctx.pool.query<Row>(
        `INSERT INTO zones (id, site_id, kind, name_en, name_zh, geometry, active) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLS}`,
        [b.id, b.site, b.kind, b.name_en, b.name_zh, JSON.stringify(b.geometry), b.active ?? true],
      );
      await ctx.audit(req, { action: 'zones.create', resource: `zones/${b.id}`, detail: { site: b.site, kind: b.kind } });
      return reply.code(201).send(zone(rows[0]!));
    } catch (err) {
      if (isUniqueViolation(err)) throw new CommandCenterError('VIGIL_CC_CONFLICT', 'id: taken / 编号已被使用', 'id');
      throw err;
    }
  });

  app.patch<{ Params: IdParams; Body: ZonePatch }>(
    '/api/zones/:id',
    { config: { permission: 'zones.write' }, schema: { tags: ['zones'], params: IdParams, body: ZonePatch, response: { 200: Zone } } },
    async (req) => {
      const z = await scopedZone(req, req.params.id, 'zones.update');
      const b = req.body;
      if (b.geometry) checkGeometry(b.geometry);
      const { rows } = await ctx.pool.query<Row>(
        `UPDATE zones SET kind = COALESCE($2, kind), name_en = COALESCE($3, name_en), name_zh = COALESCE($4, name_zh),
                geometry = COALESCE($5::jsonb, geometry), active = COALESCE($6, active) WHERE id = $1 RETURNING ${COLS}`,
        [z.id, b.kind ?? null, b.name_en ?? null, b.name_zh ?? null, b.geometry ? JSON.stringify(b.geometry) : null, b.active ?? null],
      );
      await ctx.audit(req, { action: 'zones.update', resource: `zones/${z.id}`, detail: { fields: Object.keys(b) } });
      return zone(rows[0]!);
    },
  );
};
