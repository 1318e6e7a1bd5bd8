import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Id } from '@vigil/schemas';
import { saveCheckinPlan, type StoredPlan } from '../checkin/plan.js';
import type { CheckinScheduler } from '../checkin/scheduler.js';
import { principalOf, scopeOf, type AppContext } from '../context.js';
import { isTimeZone } from '../notifications/schedule.js';
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
const HhMm = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });
const Plan = Type.Object(
  {
    /** Local "HH:MM" times, every day. */
    times: Type.Optional(Type.Array(HhMm, { maxItems: 12, uniqueItems: true })),
    /** `perDay` requests at random times between `start` and `end` (local), on ISO weekdays `days` (default all). */
    random: Type.Optional(
      Type.Object(
        { perDay: Type.Integer({ minimum: 1, maximum: 12 }), start: HhMm, end: HhMm, days: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { minItems: 1, maxItems: 7, uniqueItems: true })) },
        { additionalProperties: false },
      ),
    ),
    /** IANA time zone; default the scheduler's (Asia/Shanghai). */
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);
const PlanReply = Type.Object({ subject: Type.String(), plan: Type.Union([Plan, Type.Null()]) });
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
 * - `POST /api/subjects/:id/checkin-requests` — ask the subject now (the link goes by the scheduler's sender);
 * - `GET`/`PUT`/`DELETE /api/subjects/:id/checkin-plan` — when the subject is asked (`checkin_plans`, migration 037),
 *   read by the scheduler through `loadCheckinPlans` on its next tick.
 */
export const checkinRequestRoutes: FastifyPluginAsync<CheckinRequestRoutesOptions> = async (app, { ctx, scheduler }) => {
  /** The subject if it is in the caller's scope and not archived; 404 otherwise. */
  async function ownSubject(req: FastifyRequest, id: string): Promise<void> {
    const scope = await scopeOf(ctx, req);
    const { rows } = await ctx.pool.query(
      `SELECT 1 FROM subjects WHERE id = $3 AND archived_at IS NULL AND site_id = ANY($1::text[]) AND ($2::text[] IS NULL OR id = ANY($2::text[]))`,
      [scope.sites, scope.subjects, id],
    );
    if (!rows[0]) throw notFound('subject');
  }

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
      await ownSubject(req, req.params.id);
      if (!scheduler) throw new CommandCenterError('VIGIL_CC_UNAVAILABLE', 'check-in requests are not configured / 未配置签到请求');
      const issued = await scheduler.issueNow(req.params.id, Date.now());
      if (!issued) throw notFound('subject');
      await ctx.audit(req, { action: 'checkins.request', resource: `subjects/${req.params.id}`, detail: { request: issued.link.requestId, sent: issued.sent } });
      return reply.code(201).send({ id: issued.link.requestId, subject: issued.link.subject, due_ts: issued.link.dueTs, expires_ts: issued.link.expiresTs, sent: issued.sent });
    },
  );

  app.get<{ Params: IdParams }>(
    '/api/subjects/:id/checkin-plan',
    { config: { permission: 'checkins.read' }, schema: { tags: ['checkins'], params: IdParams, response: { 200: PlanReply } } },
    async (req) => {
      await ownSubject(req, req.params.id);
      const { rows } = await ctx.pool.query<{ plan: StoredPlan }>('SELECT plan FROM checkin_plans WHERE subject_id = $1', [req.params.id]);
      return { subject: req.params.id, plan: rows[0]?.plan ?? null };
    },
  );

  app.put<{ Params: IdParams; Body: Static<typeof Plan> }>(
    '/api/subjects/:id/checkin-plan',
    { config: { permission: 'checkins.review' }, schema: { tags: ['checkins'], params: IdParams, body: Plan, response: { 200: PlanReply } } },
    async (req) => {
      await ownSubject(req, req.params.id);
      const plan = req.body;
      if (plan.timezone !== undefined && !isTimeZone(plan.timezone)) throw new CommandCenterError('VIGIL_CC_VALIDATION', `timezone: unknown time zone ${plan.timezone} / 未知时区`, 'timezone');
      if (plan.random && plan.random.start === plan.random.end) throw new CommandCenterError('VIGIL_CC_VALIDATION', 'random: start and end must differ / 开始与结束时间不能相同', 'random.end');
      await saveCheckinPlan(ctx.pool, req.params.id, plan, principalOf(req).userId);
      await ctx.audit(req, { action: 'checkins.plan', resource: `subjects/${req.params.id}`, detail: { plan } });
      return { subject: req.params.id, plan };
    },
  );

  app.delete<{ Params: IdParams }>(
    '/api/subjects/:id/checkin-plan',
    { config: { permission: 'checkins.review' }, schema: { tags: ['checkins'], params: IdParams } },
    async (req, reply) => {
      await ownSubject(req, req.params.id);
      await saveCheckinPlan(ctx.pool, req.params.id, null, principalOf(req).userId);
      await ctx.audit(req, { action: 'checkins.plan', resource: `subjects/${req.params.id}`, detail: { plan: null } });
      return reply.code(204).send();
    },
  );
};
