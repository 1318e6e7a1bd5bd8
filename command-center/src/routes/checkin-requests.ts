import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Id } from '@vigil/schemas';
import type { CheckinScheduler } from '../checkin/scheduler.js';
import { scopeOf, type AppContext } from '../context.js';
import { CommandCenterError, notFound } from '../errors.js';
import { IdParams } from './common.js';

/** Options of `checkinRequestRoutes`. */
export interface CheckinRequestRoutesOptions {
  ctx: AppContext;
  /** Issues on-demand requests; without it `POST` answers 503. */
  scheduler?: CheckinScheduler;
}

const ListQuery = Type.Object({ subject: Type.Optional(Id), limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }) }, { additionalProperties: false });
type ListQuery = Static<typeof ListQuery>;
const NumOrNull = Type.Union([Type.Number(), Type.Null()]);
const Request = Type.Object({
  id: Type.String(),
  subject: Type.String(),
  site: Type.String(),
  kind: Type.String(),
  challenge: Type.String(),
  issued_ts: Type.Number(),
  due_ts: Type.Number(),
  expires_ts: Type.Number(),
  sent_ts: NumOrNull,
  answered_ts: NumOrNull,
  missed_ts: NumOrNull,
  result: Type.Union([Type.String(), Type.Null()]),
  /** The check-in row (`GET /api/checkins`) it produced. */
  checkin: Type.Union([Type.String(), Type.Null()]),
  challenge_met: Type.Union([Type.Boolean(), Type.Null()]),
  challenge_turn_deg: NumOrNull,
  reason: Type.Union([Type.String(), Type.Null()]),
});
const Issued = Type.Object({ id: Type.String(), subject: Type.String(), due_ts: Type.Number(), expires_ts: Type.Number(), sent: Type.Boolean() });

type Row = {
  id: string; subject_id: string; site_id: string; kind: string; challenge: string; issued_at: Date; due_at: Date; expires_at: Date; sent_at: Date | null; used_at: Date | null;
  missed_at: Date | null; result: string | null; result_msg_id: string | null; challenge_met: boolean | null; challenge_turn_deg: number | null; reason: string | null;
};
const ms = (d: Date | null) => d?.getTime() ?? null;

/**
 * Officers' side of remote check-in (requests of `checkin_requests`, migration 036):
 * - `GET /api/checkin-requests?subject=` — requests in scope, newest first: sent, answered or missed,
 *   and the liveness challenge's outcome (the scores are on the check-in, `GET /api/checkins`);
 * - `POST /api/subjects/:id/checkin-requests` — ask the subject now (the link goes by the scheduler's sender).
 */
export const checkinRequestRoutes: FastifyPluginAsync<CheckinRequestRoutesOptions> = async (app, { ctx, scheduler }) => {
  app.get<{ Querystring: ListQuery }>(
    '/api/checkin-requests',
    { config: { permission: 'checkins.read' }, schema: { tags: ['checkins'], querystring: ListQuery, response: { 200: Type.Object({ requests: Type.Array(Request) }) } } },
    async (req) => {
      const scope = await scopeOf(ctx, req);
      const { rows } = await ctx.pool.query<Row>(
        `SELECT id, subject_id, site_id, kind, challenge, issued_at, due_at, expires_at, sent_at, used_at, missed_at, result, result_msg_id, challenge_met, challenge_turn_deg, reason
           FROM checkin_requests WHERE site_id = ANY($1::text[]) AND ($2::text[] IS NULL OR subject_id = ANY($2::text[])) AND ($3::text IS NULL OR subject_id = $3)
          ORDER BY issued_at DESC LIMIT $4`,
        [scope.sites, scope.subjects, req.query.subject ?? null, req.query.limit],
      );
      await ctx.audit(req, { action: 'checkins.list', resource: 'checkin-requests', detail: { subject: req.query.subject ?? null, returned: rows.length } });
      return {
        requests: rows.map((r) => ({
          id: r.id, subject: r.subject_id, site: r.site_id, kind: r.kind, challenge: r.challenge, issued_ts: r.issued_at.getTime(), due_ts: r.due_at.getTime(), expires_ts: r.expires_at.getTime(),
          sent_ts: ms(r.sent_at), answered_ts: r.result ? ms(r.used_at) : null, missed_ts: ms(r.missed_at), result: r.result, checkin: r.result_msg_id,
          challenge_met: r.challenge_met, challenge_turn_deg: r.challenge_turn_deg, reason: r.reason,
        })),
      };
    },
  );

  app.post<{ Params: IdParams }>(
    '/api/subjects/:id/checkin-requests',
    { config: { permission: 'checkins.review' }, schema: { tags: ['checkins'], params: IdParams, response: { 201: Issued } } },
    async (req, reply) => {
      const scope = await scopeOf(ctx, req);
      const { rows } = await ctx.pool.query<{ id: string }>(
        `SELECT id FROM subjects WHERE id = $3 AND archived_at IS NULL AND site_id = ANY($1::text[]) AND ($2::text[] IS NULL OR id = ANY($2::text[]))`,
        [scope.sites, scope.subjects, req.params.id],
      );
      if (!rows[0]) throw notFound('subject');
      if (!scheduler) throw new CommandCenterError('VIGIL_CC_UNAVAILABLE', 'check-in requests are not configured / 未配置签到请求');
      const issued = await scheduler.issueNow(req.params.id, Date.now());
      if (!issued) throw notFound('subject');
      await ctx.audit(req, { action: 'checkins.request', resource: `subjects/${req.params.id}`, detail: { request: issued.link.requestId, sent: issued.sent } });
      return reply.code(201).send({ id: issued.link.requestId, subject: issued.link.subject, due_ts: issued.link.dueTs, expires_ts: issued.link.expiresTs, sent: issued.sent });
    },
  );
};
