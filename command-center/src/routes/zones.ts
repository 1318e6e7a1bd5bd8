import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static, type TObject } from '@sinclair/typebox';
import { parseRuleSet, RuleSetSchema, type ZoneConfig } from '@vigil/analytics';
import { Id } from '@vigil/schemas';
import { scopeOf, type AppContext } from '../context.js';
import { CommandCenterError, notFound } from '../errors.js';
import { IdParams, isUniqueViolation } from './common.js';

/** A zone exactly as the rules read it (`@vigil/analytics` ZoneConfig): polygon or circle, schedule, curfew, confirmation. */
const ZoneBody = (RuleSetSchema.properties.zones as unknown as { items: TObject }).items;
const NewZone = Type.Object({ ...ZoneBody.properties, active: Type.Optional(Type.Boolean()) }, { additionalProperties: false });
const ZonePatch = Type.Object({ active: Type.Boolean() }, { additionalProperties: false });
type ZonePatch = Static<typeof ZonePatch>;
const Zone = Type.Object({
  id: Type.String(),
  site: Type.String(),
  kind: Type.String(),
  name: Type.Object({ en: Type.String(), 'zh-CN': Type.String() }),
  geometry: Type.Unknown(),
  radius_m: Type.Optional(Type.Number()),
  schedule: Type.Optional(Type.Unknown()),
  curfew: Type.Boolean(),
  devices: Type.Optional(Type.Array(Type.String())),
  min_fixes: Type.Optional(Type.Number()),
  min_duration_s: Type.Optional(Type.Number()),
  grace_s: Type.Optional(Type.Number()),
  active: Type.Boolean(),
});

type Row = {
  id: string; site_id: string; kind: string; name_en: string; name_zh: string; geometry: unknown; radius_m: number | null; schedule: unknown; curfew: boolean;
  device_ids: string[] | null; min_fixes: number | null; min_duration_s: number | null; grace_s: number | null; active: boolean;
};
const COLS = 'id, site_id, kind, name_en, name_zh, geometry, radius_m, schedule, curfew, device_ids, min_fixes, min_duration_s, grace_s, active';
const zone = (r: Row) => ({
  id: r.id,
  site: r.site_id,
  kind: r.kind,
  name: { en: r.name_en, 'zh-CN': r.name_zh },
  geometry: r.geometry,
  ...(r.radius_m !== null ? { radius_m: r.radius_m } : {}),
  ...(r.schedule ? { schedule: r.schedule } : {}),
  curfew: r.curfew,
  ...(r.device_ids ? { devices: r.device_ids } : {}),
  ...(r.min_fixes !== null ? { min_fixes: r.min_fixes } : {}),
  ...(r.min_duration_s !== null ? { min_duration_s: r.min_duration_s } : {}),
  ...(r.grace_s !== null ? { grace_s: r.grace_s } : {}),
  active: r.active,
});

/** The checks that span fields (a circle needs radius_m, a curfew is a scheduled inclusion zone, known time zone), by the rules' own parser. */
function checkZone(z: ZoneConfig): void {
  const r = parseRuleSet({ zones: [z] });
  if (!r.ok) {
    const field = r.field.replace(/^\/zones\/0\/?/, '').replace(/\//g, '.') || 'zone';
    throw new CommandCenterError('VIGIL_CC_VALIDATION', `${field}: ${r.message.replace(/^\/zones\/0\/[^:]*: /, '')}`, field);
  }
}

const values = (z: ZoneConfig & { active?: boolean }) => [
  z.id, z.site, z.kind, z.name.en, z.name['zh-CN'], JSON.stringify(z.geometry), z.radius_m ?? null, z.schedule ? JSON.stringify(z.schedule) : null, z.curfew ?? false,
  z.devices ?? null, z.min_fixes ?? null, z.min_duration_s ?? null, z.grace_s ?? null, z.active ?? true,
];

/**
 * Zones of the user's sites (GeoJSON polygon or circle, inclusion or exclusion, weekly schedule with
 * exceptions, curfew, devices, breach confirmation), validated by the rules' own schema; analytics
 * reloads them on its refresh interval.
 */
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
  const checkSite = async (req: FastifyRequest, z: ZoneConfig): Promise<void> => {
    const scope = await scopeOf(ctx, req);
    if (!scope.siteSet.has(z.site)) throw new CommandCenterError('VIGIL_CC_VALIDATION', 'site: not a site you manage / 不是您管理的场所', 'site');
    checkZone(z);
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

  app.post<{ Body: ZoneConfig & { active?: boolean } }>('/api/zones', { config: { permission: 'zones.write' }, schema: { tags: ['zones'], body: NewZone, response: { 201: Zone } } }, async (req, reply) => {
    const b = req.body;
    await checkSite(req, b);
    try {
      const { rows } = await ctx.pool.query<Row>(
        `INSERT INTO zones (id, site_id, kind, name_en, name_zh, geometry, radius_m, schedule, curfew, device_ids, min_fixes, min_duration_s, grace_s, active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING ${COLS}`,
        values(b),
      );
      await ctx.audit(req, { action: 'zones.create', resource: `zones/${b.id}`, detail: { site: b.site, kind: b.kind, curfew: b.curfew ?? false } });
      return reply.code(201).send(zone(rows[0]!));
    } catch (err) {
      if (isUniqueViolation(err)) throw new CommandCenterError('VIGIL_CC_CONFLICT', 'id: taken / 编号已被使用', 'id');
      throw err;
    }
  });

  app.put<{ Params: IdParams; Body: ZoneConfig & { active?: boolean } }>(
    '/api/zones/:id',
    { config: { permission: 'zones.write' }, schema: { tags: ['zones'], params: IdParams, body: NewZone, response: { 200: Zone } } },
    async (req) => {
      const old = await scopedZone(req, req.params.id, 'zones.update');
      const b = req.body;
      if (b.id !== old.id) throw new CommandCenterError('VIGIL_CC_VALIDATION', 'id: must be the id in the path / 编号须与路径一致', 'id');
      await checkSite(req, b);
      const { rows } = await ctx.pool.query<Row>(
        `UPDATE zones SET site_id = $2, kind = $3, name_en = $4, name_zh = $5, geometry = $6, radius_m = $7, schedule = $8, curfew = $9, device_ids = $10,
                min_fixes = $11, min_duration_s = $12, grace_s = $13, active = $14, updated_at = now() WHERE id = $1 RETURNING ${COLS}`,
        values(b),
      );
      await ctx.audit(req, { action: 'zones.update', resource: `zones/${old.id}`, detail: { site: b.site, kind: b.kind, curfew: b.curfew ?? false } });
      return zone(rows[0]!);
    },
  );

  app.patch<{ Params: IdParams; Body: ZonePatch }>(
    '/api/zones/:id',
    { config: { permission: 'zones.write' }, schema: { tags: ['zones'], params: IdParams, body: ZonePatch, response: { 200: Zone } } },
    async (req) => {
      const z = await scopedZone(req, req.params.id, 'zones.update');
      const { rows } = await ctx.pool.query<Row>(`UPDATE zones SET active = $2, updated_at = now() WHERE id = $1 RETURNING ${COLS}`, [z.id, req.body.active]);
      await ctx.audit(req, { action: 'zones.update', resource: `zones/${z.id}`, detail: { active: req.body.active } });
      return zone(rows[0]!);
    },
  );
};
