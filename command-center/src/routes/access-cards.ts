import { readFile } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { issueCard, revokeCard, type GateFaceCheckRow } from '@vigil/analytics';
import { Id, Uuid } from '@vigil/schemas';
import type { Scope } from '../access/scope.js';
import { scopeOf, type AppContext } from '../context.js';
import { CommandCenterError, notFound } from '../errors.js';
import { dateOrNull, isUniqueViolation, windowQuery } from './common.js';

/** A card number as a `gate.access` carries it (schemas `gate-access.ts`, migration 039). */
const CardNo = Type.String({ minLength: 1, maxLength: 64 });
const Card = Type.Object({
  card: Type.String(),
  site: Type.String(),
  person: Type.String(),
  issued_ts: Type.Number(),
  revoked_ts: Type.Union([Type.Number(), Type.Null()]),
  /** The holder has a face template, so their reads can be judged (else `no_template`). */
  has_template: Type.Boolean(),
});
const CardQuery = Type.Object(
  { site: Type.Optional(Id), person: Type.Optional(Id), live: Type.Optional(Type.Boolean()), limit: Type.Integer({ minimum: 1, maximum: 5000, default: 1000 }) },
  { additionalProperties: false },
);
type CardQuery = Static<typeof CardQuery>;
const NewCard = Type.Object({ card: CardNo, site: Id, person: Id }, { additionalProperties: false });
type NewCard = Static<typeof NewCard>;
const RevokeBody = Type.Object({ site: Id }, { additionalProperties: false });
const CardParams = Type.Object({ card: CardNo }, { additionalProperties: false });

const OUTCOMES: GateFaceCheckRow['outcome'][] = ['matched', 'not_matched', 'uncertain', 'no_face', 'no_template', 'unknown_card', 'no_frame'];
const CheckQuery = Type.Object(
  { site: Type.Optional(Id), door: Type.Optional(Id), outcome: Type.Optional(Type.Unsafe<GateFaceCheckRow['outcome']>({ type: 'string', enum: OUTCOMES })), ...windowQuery(1000, 100) },
  { additionalProperties: false },
);
type CheckQuery = Static<typeof CheckQuery>;
const num = Type.Union([Type.Number(), Type.Null()]);
const str = Type.Union([Type.String(), Type.Null()]);
const GateCheck = Type.Object({
  /** The `gate.access` message id. */
  id: Type.String(),
  ts: Type.Number(),
  site: Type.String(),
  door: Type.String(),
  device: Type.String(),
  camera: Type.String(),
  granted: Type.Boolean(),
  holder: str,
  outcome: Type.String(),
  /** 1:1 against the holder's template; matched at or above `threshold`. */
  score: num,
  threshold: num,
  faces: Type.Number(),
  /** 1:N among the people expected at the site: who the face was identified as (null: nobody at or above the threshold), and the best score. */
  seen: str,
  seen_score: num,
  snapshot: str,
  /** Where the snapshot is served (`cameras.view`), or null if none was kept (a match keeps none). */
  snapshot_url: str,
  alert: str,
});

type CardRow = { card: string; site_id: string; person_id: string; issued_at: Date; revoked_at: Date | null; has_template: boolean };
const CARD_SELECT = `SELECT c.card, c.site_id, c.person_id, c.issued_at, c.revoked_at, EXISTS (SELECT 1 FROM face_templates t WHERE t.person_id = c.person_id) AS has_template FROM access_cards c`;
const card = (r: CardRow) => ({ card: r.card, site: r.site_id, person: r.person_id, issued_ts: r.issued_at.getTime(), revoked_ts: r.revoked_at?.getTime() ?? null, has_template: r.has_template });
type CheckRow = {
  time: Date; msg_id: string; site_id: string; door_id: string; device_id: string; camera_id: string; granted: boolean; holder_id: string | null; outcome: string;
  score: number | null; threshold: number | null; faces: number; seen_id: string | null; seen_score: number | null; snapshot_ref: string | null; alert_id: string | null;
};
const check = (r: CheckRow) => ({
  id: r.msg_id, ts: r.time.getTime(), site: r.site_id, door: r.door_id, device: r.device_id, camera: r.camera_id, granted: r.granted, holder: r.holder_id, outcome: r.outcome,
  score: r.score, threshold: r.threshold, faces: r.faces, seen: r.seen_id, seen_score: r.seen_score,
  snapshot: r.snapshot_ref, snapshot_url: r.snapshot_ref === null ? null : `/api/gate-checks/${r.msg_id}/snapshot`, alert: r.alert_id,
});

/**
 * Access cards and the gate face checks of card reads (migration 039, judged by vigil-vision):
 * - `GET /api/access-cards` (`cards.read`) — cards of the caller's sites, newest first;
 * - `POST /api/access-cards` `{ card, site, person }` (`cards.write`) — issue (409 if the card is live there);
 * - `POST /api/access-cards/:card/revoke` `{ site }` (`cards.write`) — revoke the live card;
 * - `GET /api/gate-checks` (`cards.read`) — checks of the caller's sites, newest first, scores beside thresholds;
 * - `GET /api/gate-checks/:id/snapshot` (`cameras.view`) — the check's evidence frame, from `snapshotDir`
 *   (by the check's id; the same file is `GET /api/snapshots/<camera>/gate/<file>`, the ref an alert carries).
 * A site outside the caller's subtree is a 404, audited as denied; every read and change is audited.
 */
export const accessCardRoutes: FastifyPluginAsync<{ ctx: AppContext; snapshotDir?: string }> = async (app, { ctx, snapshotDir }) => {
  /** The caller's scope; a 404 (audited as denied as `action`) if `site` is given and not in it, whether or not it exists. */
  async function scopeFor(req: FastifyRequest, site: string | undefined, action: string, resource: string): Promise<Scope> {
    const scope = await scopeOf(ctx, req);
    if (site !== undefined && !scope.siteSet.has(site)) {
      await ctx.audit(req, { action, resource, outcome: 'denied', detail: { site, reason: 'not_in_scope' } });
      throw notFound('site');
    }
    return scope;
  }

  app.get<{ Querystring: CardQuery }>(
    '/api/access-cards',
    { config: { permission: 'cards.read' }, schema: { tags: ['access-cards'], querystring: CardQuery, response: { 200: Type.Object({ cards: Type.Array(Card) }) } } },
    async (req) => {
      const q = req.query;
      const scope = await scopeFor(req, q.site, 'cards.list', 'access_cards');
      const { rows } = await ctx.pool.query<CardRow>(
        `${CARD_SELECT} WHERE c.site_id = ANY($1) AND ($2::text IS NULL OR c.site_id = $2) AND ($3::text IS NULL OR c.person_id = $3)
            AND ($4::boolean IS NULL OR (c.revoked_at IS NULL) = $4)
          ORDER BY c.issued_at DESC, c.site_id, c.card LIMIT $5`,
        [scope.sites, q.site ?? null, q.person ?? null, q.live ?? null, q.limit],
      );
      await ctx.audit(req, { action: 'cards.list', resource: 'access_cards', detail: { site: q.site ?? null, person: q.person ?? null, live: q.live ?? null, returned: rows.length } });
      return { cards: rows.map(card) };
    },
  );

  app.post<{ Body: NewCard }>(
    '/api/access-cards',
    { config: { permission: 'cards.write' }, schema: { tags: ['access-cards'], body: NewCard, response: { 201: Card } } },
    async (req, reply) => {
      const b = req.body;
      const resource = `access-cards/${b.site}/${b.card}`;
      await scopeFor(req, b.site, 'cards.issue', resource);
      const conflict = () => new CommandCenterError('VIGIL_CC_CONFLICT', 'card: already issued at this site; revoke it first / 该卡已在此场所发放，请先注销', 'card');
      // issueCard would take the card from its live holder: refuse, so a typo does not silently reassign one.
      const { rows: live } = await ctx.pool.query('SELECT 1 FROM access_cards WHERE site_id = $1 AND card = $2 AND revoked_at IS NULL', [b.site, b.card]);
      if (live.length > 0) throw conflict();
      try {
        await issueCard(ctx.pool, b.site, b.card, b.person, Date.now());
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict();
        throw err;
      }
      const { rows } = await ctx.pool.query<CardRow>(`${CARD_SELECT} WHERE c.site_id = $1 AND c.card = $2 AND c.revoked_at IS NULL`, [b.site, b.card]);
      await ctx.audit(req, { action: 'cards.issue', resource, detail: { site: b.site, person: b.person } });
      return reply.code(201).send(card(rows[0]!));
    },
  );

  app.post<{ Params: { card: string }; Body: Static<typeof RevokeBody> }>(
    '/api/access-cards/:card/revoke',
    { config: { permission: 'cards.write' }, schema: { tags: ['access-cards'], params: CardParams, body: RevokeBody, response: { 200: Card } } },
    async (req) => {
      const { site } = req.body;
      const resource = `access-cards/${site}/${req.params.card}`;
      await scopeFor(req, site, 'cards.revoke', resource);
      const { rows } = await ctx.pool.query<CardRow>(`${CARD_SELECT} WHERE c.site_id = $1 AND c.card = $2 AND c.revoked_at IS NULL`, [site, req.params.card]);
      const at = Date.now();
      if (!rows[0] || !(await revokeCard(ctx.pool, site, req.params.card, at))) {
        await ctx.audit(req, { action: 'cards.revoke', resource, outcome: 'denied', detail: { site, reason: 'no_live_card' } });
        throw notFound('card');
      }
      await ctx.audit(req, { action: 'cards.revoke', resource, detail: { site, person: rows[0].person_id } });
      return card({ ...rows[0], revoked_at: new Date(at) });
    },
  );

  app.get<{ Querystring: CheckQuery }>(
    '/api/gate-checks',
    { config: { permission: 'cards.read' }, schema: { tags: ['access-cards'], querystring: CheckQuery, response: { 200: Type.Object({ checks: Type.Array(GateCheck) }) } } },
    async (req) => {
      const q = req.query;
      const scope = await scopeFor(req, q.site, 'gate_checks.list', 'gate_face_checks');
      const { rows } = await ctx.pool.query<CheckRow>(
        `SELECT time, msg_id, site_id, door_id, device_id, camera_id, granted, holder_id, outcome, score, threshold, faces, seen_id, seen_score, snapshot_ref, alert_id
           FROM gate_face_checks
          WHERE site_id = ANY($1) AND ($2::text IS NULL OR site_id = $2) AND ($3::text IS NULL OR door_id = $3) AND ($4::text IS NULL OR outcome = $4)
            AND ($5::timestamptz IS NULL OR time >= $5) AND ($6::timestamptz IS NULL OR time < $6)
          ORDER BY time DESC, msg_id LIMIT $7`,
        [scope.sites, q.site ?? null, q.door ?? null, q.outcome ?? null, dateOrNull(q.from), dateOrNull(q.to), q.limit],
      );
      const filters = { site: q.site ?? null, door: q.door ?? null, outcome: q.outcome ?? null, from: q.from ?? null, to: q.to ?? null };
      await ctx.audit(req, { action: 'gate_checks.list', resource: 'gate_face_checks', detail: { ...filters, returned: rows.length } });
      return { checks: rows.map(check) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/gate-checks/:id/snapshot',
    { config: { permission: 'cameras.view' }, schema: { tags: ['access-cards'], params: Type.Object({ id: Uuid }, { additionalProperties: false }) } },
    async (req, reply) => {
      const { sites } = await scopeOf(ctx, req);
      const { rows } = await ctx.pool.query<{ site_id: string; snapshot_ref: string | null }>('SELECT site_id, snapshot_ref FROM gate_face_checks WHERE msg_id = $1 AND site_id = ANY($2)', [req.params.id, sites]);
      const resource = `gate-checks/${req.params.id}/snapshot`;
      if (!rows[0]) {
        await ctx.audit(req, { action: 'snapshots.read', resource, outcome: 'denied', detail: { reason: 'not_in_scope' } });
        throw notFound('gate check');
      }
      const ref = rows[0].snapshot_ref;
      if (ref === null) throw notFound('snapshot');
      if (snapshotDir === undefined) throw new CommandCenterError('VIGIL_CC_UNAVAILABLE', 'snapshots are not configured / 未配置快照目录');
      const root = resolve(snapshotDir);
      const path = resolve(root, ref);
      if (!path.startsWith(root + sep)) throw notFound('snapshot');
      const jpeg = await readFile(path).catch(() => null);
      if (jpeg === null) throw notFound('snapshot');
      await ctx.audit(req, { action: 'snapshots.read', resource: `snapshots/${ref}`, detail: { site: rows[0].site_id, gate_check: req.params.id } });
      return reply.header('content-type', 'image/jpeg').header('cache-control', 'private, no-store').send(jpeg);
    },
  );
};
