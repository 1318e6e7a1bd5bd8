import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type TObject, type TSchema } from '@sinclair/typebox';
import { DEFAULTS, parseRuleSet, RuleSetSchema } from '@vigil/analytics';
import { Id } from '@vigil/schemas';
import { scopeOf, type AppContext } from '../context.js';
import { CommandCenterError, notFound } from '../errors.js';

/** The rule set analytics reads (`analytics_rule_sets`, row `default`). */
const RULE_SET_ID = 'default';
const KINDS = ['doors', 'areas', 'victims'] as const;
type Kind = (typeof KINDS)[number];
type Item = { id: string; site: string } & Record<string, unknown>;
type Stored = { defaults?: Record<string, number>; timezone?: string } & Partial<Record<Kind, Item[]>> & Record<string, unknown>;

const props = RuleSetSchema.properties as unknown as Record<string, TSchema & { items?: TObject }>;
/** The thresholds (every one optional: what is left out keeps its default), from the rules' own schema. */
const DefaultsBody = props.defaults as TSchema;
const ITEM_SCHEMA: Record<Kind, TSchema> = { doors: props.doors!.items!, areas: props.areas!.items!, victims: props.victims!.items! };
const KindParams = (kind: Kind) => Type.Object({ id: Id }, { additionalProperties: false, $id: undefined, description: kind });

/**
 * Rules and thresholds, stored where analytics reads them: the thresholds (`defaults`) are one set
 * for the whole system, so only an administrator at the top of the tree changes them; doors, areas
 * (headcount) and victim-protection pairs belong to a site and follow the site's scope.
 */
export const ruleRoutes: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  const load = async (): Promise<Stored> => {
    const { rows } = await ctx.pool.query<{ config: Stored }>('SELECT config FROM analytics_rule_sets WHERE id = $1', [RULE_SET_ID]);
    return rows[0]?.config ?? {};
  };
  /** Read, change and store the rule set in one transaction; the result must pass the rules' own parser. */
  const change = async (fn: (cfg: Stored) => Stored): Promise<Stored> => {
    const client = await ctx.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('INSERT INTO analytics_rule_sets (id, config) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [RULE_SET_ID, '{}']);
      const { rows } = await client.query<{ config: Stored }>('SELECT config FROM analytics_rule_sets WHERE id = $1 FOR UPDATE', [RULE_SET_ID]);
      const next = fn(rows[0]!.config);
      const parsed = parseRuleSet(next);
      if (!parsed.ok) {
        const field = parsed.field.replace(/^\/(defaults|doors|areas|victims)\/(\d+\/)?/, '').replace(/\//g, '.') || 'rules';
        throw new CommandCenterError('VIGIL_CC_VALIDATION', `${field}: ${parsed.message}`, field);
      }
      await client.query('UPDATE analytics_rule_sets SET config = $2, updated_at = now() WHERE id = $1', [RULE_SET_ID, JSON.stringify(next)]);
      await client.query('COMMIT');
      return next;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  };
  const isTop = async (req: FastifyRequest): Promise<boolean> => {
    const scope = await scopeOf(ctx, req);
    const { rows } = await ctx.pool.query('SELECT 1 FROM org_units WHERE parent_id IS NULL AND id = ANY($1)', [scope.units]);
    return rows.length > 0;
  };

  app.get('/api/rules', { config: { permission: 'rules.read' }, schema: { tags: ['rules'] } }, async (req) => {
    const scope = await scopeOf(ctx, req);
    const cfg = await load();
    const mine = (k: Kind) => (cfg[k] ?? []).filter((x) => scope.siteSet.has(x.site));
    await ctx.audit(req, { action: 'rules.read', resource: 'analytics_rule_sets' });
    return { timezone: cfg.timezone ?? 'Asia/Shanghai', defaults: { ...DEFAULTS, ...cfg.defaults }, doors: mine('doors'), areas: mine('areas'), victims: mine('victims') };
  });

  app.put<{ Body: Record<string, number> }>('/api/rules/defaults', { config: { permission: 'rules.write' }, schema: { tags: ['rules'], body: DefaultsBody } }, async (req) => {
    if (!(await isTop(req))) throw new CommandCenterError('VIGIL_CC_FORBIDDEN', 'thresholds apply to every site: only an administrator at the top of the tree sets them / 阈值适用于全部场所，仅最高级管理员可修改');
    const cfg = await change((c) => ({ ...c, defaults: { ...c.defaults, ...req.body } }));
    await ctx.audit(req, { action: 'rules.defaults', resource: 'analytics_rule_sets/default', detail: { ...req.body } });
    return { defaults: { ...DEFAULTS, ...cfg.defaults } };
  });

  for (const kind of KINDS) {
    app.put<{ Params: { id: string }; Body: Item }>(
      `/api/rules/${kind}/:id`,
      { config: { permission: 'rules.write' }, schema: { tags: ['rules'], params: KindParams(kind), body: ITEM_SCHEMA[kind] } },
      async (req) => {
        const scope = await scopeOf(ctx, req);
        const item = req.body;
        if (item.id !== req.params.id) throw new CommandCenterError('VIGIL_CC_VALIDATION', 'id: must be the id in the path / 编号须与路径一致', 'id');
        const existing = ((await load())[kind] ?? []).find((x) => x.id === item.id);
        if (existing && !scope.siteSet.has(existing.site)) throw notFound(kind.slice(0, -1));
        if (!scope.siteSet.has(item.site)) throw new CommandCenterError('VIGIL_CC_VALIDATION', 'site: not a site you manage / 不是您管理的场所', 'site');
        await change((c) => ({ ...c, [kind]: [...(c[kind] ?? []).filter((x) => x.id !== item.id), item] }));
        await ctx.audit(req, { action: `rules.${kind}.put`, resource: `rules/${kind}/${item.id}`, detail: { site: item.site, created: !existing } });
        return item;
      },
    );
    app.delete<{ Params: { id: string } }>(
      `/api/rules/${kind}/:id`,
      { config: { permission: 'rules.write' }, schema: { tags: ['rules'], params: KindParams(kind) } },
      async (req, reply) => {
        const scope = await scopeOf(ctx, req);
        const existing = ((await load())[kind] ?? []).find((x) => x.id === req.params.id);
        if (!existing || !scope.siteSet.has(existing.site)) throw notFound(kind.slice(0, -1));
        await change((c) => ({ ...c, [kind]: (c[kind] ?? []).filter((x) => x.id !== req.params.id) }));
        await ctx.audit(req, { action: `rules.${kind}.delete`, resource: `rules/${kind}/${req.params.id}`, detail: { site: existing.site } });
        return reply.code(204).send();
      },
    );
  }
};
