import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { Scope } from '../access/scope.js';
import { verifyAuditChain } from '../audit.js';
import { scopeOf, type AppContext } from '../context.js';
import { dateOrNull, windowQuery } from './common.js';

const AuditQuery = Type.Object(
  {
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    action: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'exact action, or a prefix ending in ".", e.g. "auth."' })),
    resource: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    outcome: Type.Optional(Type.Unsafe<string>({ type: 'string', enum: ['ok', 'denied', 'failed', 'error'] })),
    ...windowQuery(1000, 200),
  },
  { additionalProperties: false },
);
type AuditQuery = Static<typeof AuditQuery>;
const Entry = Type.Object({
  seq: Type.Number(),
  at: Type.Number(),
  actor: Type.String(),
  action: Type.String(),
  resource: Type.String(),
  detail: Type.Unknown(),
  ip: Type.Union([Type.String(), Type.Null()]),
  outcome: Type.String(),
  hash: Type.String(),
});
type Row = { seq: string; at: Date; actor: string; action: string; resource: string; detail: unknown; ip: string | null; outcome: string; hash: string };

/**
 * The auditor's view of the trail: read, filter, export and verify the hash chain. There is
 * no route that changes or removes an entry (for anyone), and the database refuses it too.
 * An auditor below the top of the tree sees the entries of the users of their subtree.
 */
export const auditRoutes: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  const query = async (scope: Scope, q: AuditQuery): Promise<Row[]> => {
    const root = await isRoot(scope);
    const action = q.action ?? null;
    const { rows } = await ctx.pool.query<Row>(
      `SELECT seq, at, actor, action, resource, detail, ip, outcome, hash FROM audit_log
        WHERE ($1 OR actor IN (SELECT id FROM users WHERE org_unit_id = ANY($2)))
          AND ($3::text IS NULL OR actor = $3)
          AND ($4::text IS NULL OR (CASE WHEN right($4, 1) = '.' THEN left(action, length($4)) = $4 ELSE action = $4 END))
          AND ($5::text IS NULL OR resource = $5) AND ($6::text IS NULL OR outcome = $6)
          AND ($7::timestamptz IS NULL OR at >= $7) AND ($8::timestamptz IS NULL OR at < $8)
        ORDER BY seq DESC LIMIT $9`,
      [root, scope.units, q.actor ?? null, action, q.resource ?? null, q.outcome ?? null, dateOrNull(q.from), dateOrNull(q.to), q.limit],
    );
    return rows;
  };
  const isRoot = async (scope: Scope): Promise<boolean> => {
    const { rows } = await ctx.pool.query('SELECT 1 FROM org_units WHERE parent_id IS NULL AND id = ANY($1)', [scope.units]);
    return rows.length > 0;
  };
  const entry = (r: Row) => ({ seq: Number(r.seq), at: r.at.getTime(), actor: r.actor, action: r.action, resource: r.resource, detail: r.detail, ip: r.ip, outcome: r.outcome, hash: r.hash });

  app.get<{ Querystring: AuditQuery }>(
    '/api/audit',
    { config: { permission: 'audit.read' }, schema: { tags: ['audit'], querystring: AuditQuery, response: { 200: Type.Object({ entries: Type.Array(Entry) }) } } },
    async (req) => {
      const rows = await query(await scopeOf(ctx, req), req.query);
      await ctx.audit(req, { action: 'audit.list', resource: 'audit_log', detail: { ...req.query, returned: rows.length } });
      return { entries: rows.map(entry) };
    },
  );

  app.get<{ Querystring: AuditQuery }>('/api/audit/export.csv', { config: { permission: 'audit.read' }, schema: { tags: ['audit'], querystring: AuditQuery } }, async (req, reply) => {
    const rows = await query(await scopeOf(ctx, req), req.query);
    await ctx.audit(req, { action: 'audit.export', resource: 'audit_log', detail: { ...req.query, returned: rows.length } });
    const cell = (v: unknown) => {
      const s = typeof v === 'string' ? v : JSON.stringify(v);
      const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
      return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
    };
    const lines = rows.map((r) => [r.seq, r.at.toISOString(), r.actor, r.action, r.resource, r.detail, r.ip ?? '', r.outcome, r.hash].map(cell).join(','));
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="audit.csv"')
      .send(`seq,at,actor,action,resource,detail,ip,outcome,hash\r\n${lines.join('\r\n')}\r\n`);
  });

  app.get(
    '/api/audit/verify',
    {
      config: { permission: 'audit.read' },
      schema: {
        tags: ['audit'],
        response: {
          200: Type.Object({
            ok: Type.Boolean(),
            checked: Type.Number(),
            first_bad: Type.Union([Type.Object({ seq: Type.Number(), reason: Type.String() }), Type.Null()]),
            last_seq: Type.Number(),
            last_hash: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (req) => {
      const v = await verifyAuditChain(ctx.pool);
      await ctx.audit(req, { action: 'audit.verify', resource: 'audit_log', outcome: v.ok ? 'ok' : 'failed', detail: { checked: v.checked, first_bad: v.firstBad } });
      return { ok: v.ok, checked: v.checked, first_bad: v.firstBad, last_seq: v.lastSeq, last_hash: v.lastHash };
    },
  );
};
