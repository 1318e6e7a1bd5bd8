import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Uuid } from '@vigil/schemas';
import { scopeOf, type AppContext } from '../context.js';
import { notFound } from '../errors.js';

const Params = Type.Object({ id: Uuid }, { additionalProperties: false });
const Stored = Type.Object({ table: Type.String(), ts: Type.Number(), received_ts: Type.Union([Type.Number(), Type.Null()]), device: Type.String(), site: Type.String(), kind: Type.String() });
const DeadLetter = Type.Object({ id: Type.String(), received_ts: Type.Number(), source: Type.String(), topic: Type.String(), code: Type.String(), field: Type.String(), reason: Type.String() });
const CitedBy = Type.Object({ id: Type.String(), rule: Type.String(), state: Type.String(), site: Type.String(), raised_ts: Type.Number() });
const Trace = Type.Object({ id: Type.String(), stored: Type.Array(Stored), dead_letters: Type.Array(DeadLetter), alerts: Type.Array(CitedBy) });

// Every table that keeps a device message by its envelope id (ingest migrations 003 and 010).
const STORED_SQL = `
  SELECT 'tag_fixes' AS tbl, time, NULL::timestamptz AS received_at, device_id, site_id, 'tag.fix' AS kind FROM tag_fixes WHERE msg_id = $1
  UNION ALL SELECT 'device_events', time, NULL, device_id, site_id, type FROM device_events WHERE msg_id = $1
  UNION ALL SELECT 'detections', time, received_at, device_id, site_id, label FROM detections WHERE msg_id = $1
  UNION ALL SELECT 'checkins', time, NULL, device_id, site_id, result FROM checkins WHERE msg_id = $1`;

/**
 * `GET /api/trace/:id` — follow one device message by its envelope id: where
 * ingest stored it (or the dead-letter store with the reason it was refused)
 * and which alerts cite it as evidence. The same id is in the analytics log
 * line of the alert (`cause`) and in the alert's `evidence.msg_ids` / `fixes`.
 * Only what lies in the caller's sites; audited like every read.
 */
export const traceRoutes: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get<{ Params: { id: string } }>(
    '/api/trace/:id',
    { config: { permission: 'devices.read' }, schema: { tags: ['devices'], params: Params, response: { 200: Trace } } },
    async (req) => {
      const { sites } = await scopeOf(ctx, req);
      const id = req.params.id;
      const stored = await ctx.pool.query<{ tbl: string; time: Date; received_at: Date | null; device_id: string; site_id: string; kind: string }>(
        `SELECT * FROM (${STORED_SQL}) s WHERE site_id = ANY($2::text[]) ORDER BY time`,
        [id, sites],
      );
      // the topic names the site: vigil/v1/<site>/<device>/...
      const dead = await ctx.pool.query<{ id: string; received_at: Date; source: string; topic: string; code: string; field: string; reason: string }>(
        `SELECT id::text, received_at, source, topic, code, field, reason FROM dead_letters
          WHERE position(convert_to($1, 'UTF8') IN payload) > 0 AND split_part(topic, '/', 3) = ANY($2::text[]) ORDER BY id LIMIT 100`,
        [id, sites],
      );
      const alerts = await ctx.pool.query<{ id: string; rule: string; state: string; site_id: string; raised_at: Date }>(
        `SELECT id::text, rule, state, site_id, raised_at FROM alerts
          WHERE site_id = ANY($2::text[])
            AND (evidence->'msg_ids' ? $1 OR evidence->'fixes' @> jsonb_build_array(jsonb_build_object('msg_id', $1::text)))
          ORDER BY raised_at LIMIT 100`,
        [id, sites],
      );
      await ctx.audit(req, { action: 'trace.read', resource: `message:${id}`, detail: { stored: stored.rows.length, dead: dead.rows.length, alerts: alerts.rows.length } });
      if (stored.rows.length + dead.rows.length + alerts.rows.length === 0) throw notFound('message');
      return {
        id,
        stored: stored.rows.map((r) => ({ table: r.tbl, ts: r.time.getTime(), received_ts: r.received_at?.getTime() ?? null, device: r.device_id, site: r.site_id, kind: r.kind })),
        dead_letters: dead.rows.map((r) => ({ id: r.id, received_ts: r.received_at.getTime(), source: r.source, topic: r.topic, code: r.code, field: r.field, reason: r.reason })),
        alerts: alerts.rows.map((r) => ({ id: r.id, rule: r.rule, state: r.state, site: r.site_id, raised_ts: r.raised_at.getTime() })),
      };
    },
  );
};
