import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Id } from '@vigil/schemas';
import type { Scope } from '../access/scope.js';
import { scopeOf, type AppContext } from '../context.js';
import { CommandCenterError, notFound } from '../errors.js';
import { IdParams, isUniqueViolation } from './common.js';

const Subject = Type.Object({
  id: Type.String(),
  site: Type.String(),
  ref: Type.String(),
  display_name: Type.String(),
  officer: Type.Union([Type.String(), Type.Null()]),
  devices: Type.Array(Type.String()),
  archived: Type.Boolean(),
});
const NewSubject = Type.Object(
  {
    id: Id,
    site: Id,
    /** The case or file reference: the only identifier kept (minimal personal data). */
    ref: Type.String({ minLength: 1, maxLength: 64 }),
    display_name: Type.String({ minLength: 1, maxLength: 128 }),
    officer: Type.Optional(Type.Union([Id, Type.Null()])),
  },
  { additionalProperties: false },
);
type NewSubject = Static<typeof NewSubject>;
const SubjectPatch = Type.Object(
  {
    ref: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    display_name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    officer: Type.Optional(Type.Union([Id, Type.Null()])),
    archived: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
type SubjectPatch = Static<typeof SubjectPatch>;
const ListQuery = Type.Object({ site: Type.Optional(Id) }, { additionalProperties: false });

type SubjectRow = { id: string; site_id: string; ref: string; display_name: string; officer_id: string | null; archived_at: Date | null; devices: string[] };
const SELECT = `SELECT s.id, s.site_id, s.ref, s.display_name, s.officer_id, s.archived_at,
                       ARRAY(SELECT d.id FROM devices d WHERE d.subject_id = s.id ORDER BY d.id) AS devices
                  FROM subjects s`;
const subject = (r: SubjectRow) => ({ id: r.id, site: r.site_id, ref: r.ref, display_name: r.display_name, officer: r.officer_id, devices: r.devices, archived: r.archived_at !== null });

/** SQL for "this subject is in scope": `$1` sites, `$2` the officer's subjects (null: any). */
const IN_SCOPE = '(s.site_id = ANY($1::text[]) AND ($2::text[] IS NULL OR s.id = ANY($2::text[])))';

/** A subject in scope, or null (whether or not it exists elsewhere). */
export async function scopedSubject(ctx: AppContext, scope: Scope, id: string): Promise<{ id: string; site: string; devices: string[] } | null> {
  const { rows } = await ctx.pool.query<SubjectRow>(`${SELECT} WHERE ${IN_SCOPE} AND s.id = $3`, [scope.sites, scope.subjects, id]);
  return rows[0] ? { id: rows[0].id, site: rows[0].site_id, devices: rows[0].devices } : null;
}

/**
 * Supervised people, with as little personal data as the job needs. An officer sees only
 * those assigned to them; every read of a subject is audited (who, when, from where).
 */
export const subjectRoutes: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  const checkOfficer = async (req: FastifyRequest, officer: string | null | undefined, site: string): Promise<void> => {
    if (officer == null) return;
    const scope = await scopeOf(ctx, req);
    const { rows } = await ctx.pool.query(
      `WITH RECURSIVE anc AS (
         SELECT o.id, o.parent_id FROM org_units o JOIN sites s ON s.org_unit_id = o.id WHERE s.id = $1
         UNION ALL SELECT o.id, o.parent_id FROM org_units o JOIN anc ON o.id = anc.parent_id
       )
       SELECT 1 FROM users WHERE id = $2 AND role = 'officer' AND disabled_at IS NULL AND org_unit_id IN (SELECT id FROM anc) AND org_unit_id = ANY($3)`,
      [site, officer, scope.units],
    );
    if (rows.length === 0) throw new CommandCenterError('VIGIL_CC_VALIDATION', 'officer: no such officer for this site / 该场所无此民警', 'officer');
  };

  app.get<{ Querystring: { site?: string } }>(
    '/api/subjects',
    { config: { permission: 'subjects.read' }, schema: { tags: ['subjects'], querystring: ListQuery, response: { 200: Type.Object({ subjects: Type.Array(Subject) }) } } },
    async (req) => {
      const scope = await scopeOf(ctx, req);
      const { rows } = await ctx.pool.query<SubjectRow>(`${SELECT} WHERE ${IN_SCOPE} AND ($3::text IS NULL OR s.site_id = $3) ORDER BY s.id`, [
        scope.sites,
        scope.subjects,
        req.query.site ?? null,
      ]);
      await ctx.audit(req, { action: 'subjects.list', resource: 'subjects', detail: { site: req.query.site ?? null, returned: rows.length, ids: rows.map((r) => r.id).slice(0, 100) } });
      return { subjects: rows.map(subject) };
    },
  );

  app.get<{ Params: IdParams }>('/api/subjects/:id', { config: { permission: 'subjects.read' }, schema: { tags: ['subjects'], params: IdParams, response: { 200: Subject } } }, async (req) => {
    const scope = await scopeOf(ctx, req);
    const { rows } = await ctx.pool.query<SubjectRow>(`${SELECT} WHERE ${IN_SCOPE} AND s.id = $3`, [scope.sites, scope.subjects, req.params.id]);
    if (!rows[0]) {
      await ctx.audit(req, { action: 'subjects.read', resource: `subjects/${req.params.id}`, outcome: 'denied', detail: { reason: 'not_in_scope' } });
      throw notFound('subject');
    }
    await ctx.audit(req, { action: 'subjects.read', resource: `subjects/${req.params.id}`, detail: { site: rows[0].site_id } });
    return subject(rows[0]);
  });

  app.post<{ Body: NewSubject }>('/api/subjects', { config: { permission: 'subjects.write' }, schema: { tags: ['subjects'], body: NewSubject, response: { 201: Subject } } }, async (req, reply) => {
    const scope = await scopeOf(ctx, req);
    const b = req.body;
    if (!scope.siteSet.has(b.site)) throw new CommandCenterError('VIGIL_CC_VALIDATION', 'site: not a site you manage / 不是您管理的场所', 'site');
    await checkOfficer(req, b.officer, b.site);
    try {
      await ctx.pool.query('INSERT INTO subjects (id, site_id, ref, display_name, officer_id) VALUES ($1, $2, $3, $4, $5)', [b.id, b.site, b.ref, b.display_name, b.officer ?? null]);
    } catch (err) {
      if (isUniqueViolation(err)) throw new CommandCenterError('VIGIL_CC_CONFLICT', 'id: taken / 编号已被使用', 'id');
      throw err;
    }
    ctx.scopes.clear();
    await ctx.audit(req, { action: 'subjects.create', resource: `subjects/${b.id}`, detail: { site: b.site, officer: b.officer ?? null } });
    const { rows } = await ctx.pool.query<SubjectRow>(`${SELECT} WHERE s.id = $1`, [b.id]);
    return reply.code(201).send(subject(rows[0]!));
  });

  app.patch<{ Params: IdParams; Body: SubjectPatch }>(
    '/api/subjects/:id',
    { config: { permission: 'subjects.write' }, schema: { tags: ['subjects'], params: IdParams, body: SubjectPatch, response: { 200: Subject } } },
    async (req) => {
      const scope = await scopeOf(ctx, req);
      const found = await scopedSubject(ctx, scope, req.params.id);
      if (!found) throw notFound('subject');
      const b = req.body;
      await checkOfficer(req, b.officer, found.site);
      await ctx.pool.query(
        `UPDATE subjects SET ref = COALESCE($2, ref), display_name = COALESCE($3, display_name),
                officer_id = CASE WHEN $4 THEN $5 ELSE officer_id END,
                archived_at = CASE WHEN $6::boolean IS NULL THEN archived_at WHEN $6 THEN COALESCE(archived_at, now()) ELSE NULL END
          WHERE id = $1`,
        [found.id, b.ref ?? null, b.display_name ?? null, 'officer' in b, b.officer ?? null, b.archived ?? null],
      );
      ctx.scopes.clear();
      await ctx.audit(req, { action: 'subjects.update', resource: `subjects/${found.id}`, detail: { ...b } });
      const { rows } = await ctx.pool.query<SubjectRow>(`${SELECT} WHERE s.id = $1`, [found.id]);
      return subject(rows[0]!);
    },
  );
};
