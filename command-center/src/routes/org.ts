import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Id } from '@vigil/schemas';
import { scopeOf, type AppContext } from '../context.js';
import { CommandCenterError, notFound } from '../errors.js';
import { IdParams, isUniqueViolation, Names } from './common.js';

const LEVELS = ['ministry', 'province', 'city', 'county', 'township'] as const;

const OrgUnit = Type.Object({
  id: Type.String(),
  parent: Type.Union([Type.String(), Type.Null()]),
  level: Type.Integer(),
  level_name: Type.String(),
  name: Type.Object({ en: Type.String(), 'zh-CN': Type.String() }),
});
const Site = Type.Object({
  id: Type.String(),
  org_unit: Type.String(),
  kind: Type.String(),
  name: Type.Object({ en: Type.String(), 'zh-CN': Type.String() }),
});
const NewUnit = Type.Object({ id: Id, parent: Id, ...Names }, { additionalProperties: false });
type NewUnit = Static<typeof NewUnit>;
const SiteKind = Type.Unsafe<'prison' | 'rehab' | 'community'>({ type: 'string', enum: ['prison', 'rehab', 'community'] });
const NewSite = Type.Object({ id: Id, org_unit: Id, kind: SiteKind, ...Names }, { additionalProperties: false });
type NewSite = Static<typeof NewSite>;

type UnitRow = { id: string; parent_id: string | null; level: number; name_en: string; name_zh: string };
type SiteRow = { id: string; org_unit_id: string; kind: string; name_en: string; name_zh: string };
const unit = (r: UnitRow) => ({ id: r.id, parent: r.parent_id, level: r.level, level_name: LEVELS[r.level - 1] ?? String(r.level), name: { en: r.name_en, 'zh-CN': r.name_zh } });
const site = (r: SiteRow) => ({ id: r.id, org_unit: r.org_unit_id, kind: r.kind, name: { en: r.name_en, 'zh-CN': r.name_zh } });

/** The five-level organisation tree and its sites, as far down from the user's unit as it goes. */
export const orgRoutes: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get('/api/org/units', { config: { permission: 'org.read' }, schema: { tags: ['org'], response: { 200: Type.Object({ units: Type.Array(OrgUnit) }) } } }, async (req) => {
    const scope = await scopeOf(ctx, req);
    const { rows } = await ctx.pool.query<UnitRow>('SELECT id, parent_id, level, name_en, name_zh FROM org_units WHERE id = ANY($1) ORDER BY level, id', [scope.units]);
    await ctx.audit(req, { action: 'org.list', resource: 'org_units', detail: { returned: rows.length } });
    return { units: rows.map(unit) };
  });

  app.get<{ Params: IdParams }>('/api/org/units/:id', { config: { permission: 'org.read' }, schema: { tags: ['org'], params: IdParams, response: { 200: OrgUnit } } }, async (req) => {
    const scope = await scopeOf(ctx, req);
    const { rows } = await ctx.pool.query<UnitRow>('SELECT id, parent_id, level, name_en, name_zh FROM org_units WHERE id = $1 AND id = ANY($2)', [req.params.id, scope.units]);
    if (!rows[0]) throw notFound('organisation unit');
    await ctx.audit(req, { action: 'org.read', resource: `org_units/${req.params.id}` });
    return unit(rows[0]);
  });

  app.post<{ Body: NewUnit }>('/api/org/units', { config: { permission: 'org.write' }, schema: { tags: ['org'], body: NewUnit, response: { 201: OrgUnit } } }, async (req, reply) => {
    const scope = await scopeOf(ctx, req);
    const b = req.body;
    if (!scope.units.includes(b.parent)) throw new CommandCenterError('VIGIL_CC_VALIDATION', 'parent: not a unit you manage / 不是您管理的上级单位', 'parent');
    const { rows: parent } = await ctx.pool.query<{ level: number }>('SELECT level FROM org_units WHERE id = $1', [b.parent]);
    const level = (parent[0]?.level ?? 5) + 1;
    if (level > 5) throw new CommandCenterError('VIGIL_CC_VALIDATION', 'parent: a township has no units below it (five levels) / 乡镇以下不能再设单位', 'parent');
    try {
      const { rows } = await ctx.pool.query<UnitRow>(
        'INSERT INTO org_units (id, parent_id, level, name_en, name_zh) VALUES ($1, $2, $3, $4, $5) RETURNING id, parent_id, level, name_en, name_zh',
        [b.id, b.parent, level, b.name_en, b.name_zh],
      );
      ctx.scopes.clear();
      await ctx.audit(req, { action: 'org.create', resource: `org_units/${b.id}`, detail: { parent: b.parent, level } });
      return reply.code(201).send(unit(rows[0]!));
    } catch (err) {
      if (isUniqueViolation(err)) throw new CommandCenterError('VIGIL_CC_CONFLICT', 'id: taken / 编号已被使用', 'id');
      throw err;
    }
  });

  app.get('/api/sites', { config: { permission: 'org.read' }, schema: { tags: ['org'], response: { 200: Type.Object({ sites: Type.Array(Site) }) } } }, async (req) => {
    const scope = await scopeOf(ctx, req);
    const { rows } = await ctx.pool.query<SiteRow>('SELECT id, org_unit_id, kind, name_en, name_zh FROM sites WHERE id = ANY($1) ORDER BY id', [scope.sites]);
    await ctx.audit(req, { action: 'sites.list', resource: 'sites', detail: { returned: rows.length } });
    return { sites: rows.map(site) };
  });

  app.get<{ Params: IdParams }>('/api/sites/:id', { config: { permission: 'org.read' }, schema: { tags: ['org'], params: IdParams, response: { 200: Site } } }, async (req) => {
    const scope = await scopeOf(ctx, req);
    if (!scope.siteSet.has(req.params.id)) throw notFound('site');
    const { rows } = await ctx.pool.query<SiteRow>('SELECT id, org_unit_id, kind, name_en, name_zh FROM sites WHERE id = $1', [req.params.id]);
    if (!rows[0]) throw notFound('site');
    await ctx.audit(req, { action: 'sites.read', resource: `sites/${req.params.id}` });
    return site(rows[0]);
  });

  app.post<{ Body: NewSite }>('/api/sites', { config: { permission: 'org.write' }, schema: { tags: ['org'], body: NewSite, response: { 201: Site } } }, async (req, reply) => {
    const scope = await scopeOf(ctx, req);
    const b = req.body;
    if (!scope.units.includes(b.org_unit)) throw new CommandCenterError('VIGIL_CC_VALIDATION', 'org_unit: not a unit you manage / 不是您管理的单位', 'org_unit');
    try {
      const { rows } = await ctx.pool.query<SiteRow>(
        'INSERT INTO sites (id, org_unit_id, kind, name_en, name_zh) VALUES ($1, $2, $3, $4, $5) RETURNING id, org_unit_id, kind, name_en, name_zh',
        [b.id, b.org_unit, b.kind, b.name_en, b.name_zh],
      );
      ctx.scopes.clear();
      await ctx.audit(req, { action: 'sites.create', resource: `sites/${b.id}`, detail: { org_unit: b.org_unit, kind: b.kind } });
      return reply.code(201).send(site(rows[0]!));
    } catch (err) {
      if (isUniqueViolation(err)) throw new CommandCenterError('VIGIL_CC_CONFLICT', 'id: taken / 编号已被使用', 'id');
      throw err;
    }
  });
};
