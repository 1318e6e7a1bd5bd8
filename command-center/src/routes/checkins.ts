import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Id, Uuid } from '@vigil/schemas';
import { principalOf, scopeOf, type AppContext } from '../context.js';
import { CommandCenterError, notFound } from '../errors.js';
import { dateOrNull, windowQuery } from './common.js';

const ReviewState = Type.Unsafe<'none' | 'pending' | 'approved' | 'rejected'>({ type: 'string', enum: ['none', 'pending', 'approved', 'rejected'] });
const ListQuery = Type.Object({ subject: Type.Optional(Id), site: Type.Optional(Id), review: Type.Optional(ReviewState), ...windowQuery(1000, 200) }, { additionalProperties: false });
type ListQuery = Static<typeof ListQuery>;
const Checkin = Type.Object({
  id: Type.String(),
  ts: Type.Number(),
  subject: Type.String(),
  device: Type.String(),
  site: Type.String(),
  result: Type.String(),
  liveness_score: Type.Union([Type.Number(), Type.Null()]),
  face_match_score: Type.Union([Type.Number(), Type.Null()]),
  lat: Type.Union([Type.Number(), Type.Null()]),
  lon: Type.Union([Type.Number(), Type.Null()]),
  acc_m: Type.Union([Type.Number(), Type.Null()]),
  review: Type.String(),
  reviewed_by: Type.Union([Type.String(), Type.Null()]),
  reviewed_ts: Type.Union([Type.Number(), Type.Null()]),
});
const Review = Type.Object({ decision: Type.Unsafe<'approved' | 'rejected'>({ type: 'string', enum: ['approved', 'rejected'] }), note: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })) }, { additionalProperties: false });
type Review = Static<typeof Review>;
const Params = Type.Object({ id: Uuid }, { additionalProperties: false });

type Row = {
  msg_id: string; time: Date; subject_id: string; device_id: string; site_id: string; result: string; liveness_score: number | null; face_match_score: number | null;
  lat: number | null; lon: number | null; acc_m: number | null; review_state: string; reviewed_by: string | null; reviewed_at: Date | null;
};
const COLS = 'msg_id, time, subject_id, device_id, site_id, result, liveness_score, face_match_score, lat, lon, acc_m, review_state, reviewed_by, reviewed_at';
const checkin = (r: Row) => ({
  id: r.msg_id, ts: r.time.getTime(), subject: r.subject_id, device: r.device_id, site: r.site_id, result: r.result, liveness_score: r.liveness_score,
  face_match_score: r.face_match_score, lat: r.lat, lon: r.lon, acc_m: r.acc_m, review: r.review_state, reviewed_by: r.reviewed_by, reviewed_ts: r.reviewed_at?.getTime() ?? null,
});
const IN_SCOPE = '(site_id = ANY($1::text[]) AND ($2::text[] IS NULL OR subject_id = ANY($2::text[])))';

/** Remote check-ins (migration 010) and the review queue of the doubtful ones (`?review=pending`). */
export const checkinRoutes: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get<{ Querystring: ListQuery }>(
    '/api/checkins',
    { config: { permission: 'checkins.read' }, schema: { tags: ['checkins'], querystring: ListQuery, response: { 200: Type.Object({ checkins: Type.Array(Checkin) }) } } },
    async (req) => {
      const scope = await scopeOf(ctx, req);
      const q = req.query;
      const { rows } = await ctx.pool.query<Row>(
        `SELECT ${COLS} FROM checkins WHERE ${IN_SCOPE}
            AND ($3::text IS NULL OR subject_id = $3) AND ($4::text IS NULL OR site_id = $4) AND ($5::text IS NULL OR review_state = $5)
            AND ($6::timestamptz IS NULL OR time >= $6) AND ($7::timestamptz IS NULL OR time < $7)
          ORDER BY time DESC LIMIT $8`,
        [scope.sites, scope.subjects, q.subject ?? null, q.site ?? null, q.review ?? null, dateOrNull(q.from), dateOrNull(q.to), q.limit],
      );
      await ctx.audit(req, { action: 'checkins.list', resource: 'checkins', detail: { subject: q.subject ?? null, site: q.site ?? null, review: q.review ?? null, returned: rows.length } });
      return { checkins: rows.map(checkin) };
    },
  );

  app.post<{ Params: { id: string }; Body: Review }>(
    '/api/checkins/:id/review',
    { config: { permission: 'checkins.review' }, schema: { tags: ['checkins'], params: Params, body: Review, response: { 200: Checkin } } },
    async (req) => {
      const scope = await scopeOf(ctx, req);
      const p = principalOf(req);
      const { rows: found } = await ctx.pool.query<Row>(`SELECT ${COLS} FROM checkins WHERE ${IN_SCOPE} AND msg_id = $3`, [scope.sites, scope.subjects, req.params.id]);
      if (!found[0]) {
        await ctx.audit(req, { action: 'checkins.review', resource: `checkins/${req.params.id}`, outcome: 'denied', detail: { reason: 'not_in_scope' } });
        throw notFound('check-in');
      }
      if (found[0].review_state !== 'pending') throw new CommandCenterError('VIGIL_CC_CONFLICT', `check-in is not awaiting review (${found[0].review_state}) / 该签到无需审核`);
      const { rows } = await ctx.pool.query<Row>(
        `UPDATE checkins SET review_state = $2, reviewed_by = $3, reviewed_at = now() WHERE msg_id = $1 AND review_state = 'pending' RETURNING ${COLS}`,
        [req.params.id, req.body.decision, p.userId],
      );
      if (!rows[0]) throw new CommandCenterError('VIGIL_CC_CONFLICT', 'check-in was reviewed meanwhile / 该签到已被审核');
      await ctx.audit(req, { action: 'checkins.review', resource: `checkins/${req.params.id}`, detail: { subject: rows[0].subject_id, decision: req.body.decision, note: req.body.note ?? null } });
      return checkin(rows[0]);
    },
  );
};
