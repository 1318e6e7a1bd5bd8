import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { applyAlertAction, type AlertActionInput } from '@vigil/analytics';
import { Alert, AlertState, Disposition, EpochMs, Id, Severity, Uuid, type AlertAction } from '@vigil/schemas';
import type { Permission } from '../access/roles.js';
import type { AlertHub } from '../alert-feed.js';
import { getAlert, listAlerts } from '../alert-store.js';
import { principalOf, scopeOf, type AppContext } from '../context.js';
import { CommandCenterError, notFound } from '../errors.js';
import { distanceM } from '../geo.js';

/** Default and largest page of `GET /api/alerts`; largest export. */
export const DEFAULT_ALERT_LIMIT = 100;
export const MAX_ALERT_LIMIT = 500;
export const MAX_EXPORT_ROWS = 10_000;

/** A union of literals as one enum, so a bad value gets "must be one of ..." rather than the first failing branch. */
const enumOf = <T extends string>(u: { anyOf: { const: T }[] }) => Type.Unsafe<T>({ type: 'string', enum: u.anyOf.map((s) => s.const) });
const StateParam = enumOf<AlertState>(AlertState);
const SeverityParam = enumOf<Severity>(Severity);
const DispositionParam = enumOf<Disposition>(Disposition);

const filters = {
  site: Type.Optional(Id),
  state: Type.Optional(StateParam),
  severity: Type.Optional(SeverityParam),
  type: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9_.-]+$', description: 'the rule that raised it, e.g. zone.exclusion' })),
  subject: Type.Optional(Id),
  from: Type.Optional(EpochMs),
  to: Type.Optional(EpochMs),
};

/** Query of `GET /api/alerts`; field schemas come from `@vigil/schemas`. */
export const AlertListQuery = Type.Object(
  { ...filters, limit: Type.Integer({ minimum: 1, maximum: MAX_ALERT_LIMIT, default: DEFAULT_ALERT_LIMIT }) },
  { additionalProperties: false },
);
export type AlertListQuery = Static<typeof AlertListQuery>;
const ExportQuery = Type.Object(
  { ...filters, limit: Type.Integer({ minimum: 1, maximum: MAX_EXPORT_ROWS, default: MAX_EXPORT_ROWS }) },
  { additionalProperties: false },
);
type ExportQuery = Static<typeof ExportQuery>;
const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });
type IdParams = Static<typeof IdParams>;

const Reason = Type.String({ minLength: 1, maxLength: 512 });
const ACTION_BODIES = {
  acknowledge: Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false }),
  shelve: Type.Object({ until: Type.Optional(EpochMs), reason: Type.Optional(Reason) }, { additionalProperties: false }),
  unshelve: Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false }),
  dispatch: Type.Object({ officer: Type.Optional(Id), reason: Type.Optional(Reason) }, { additionalProperties: false }),
  arrive: Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false }),
  out_of_service: Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false }),
  return_to_service: Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false }),
  resolve: Type.Object(
    { disposition: Type.Optional(DispositionParam), note: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })) },
    { additionalProperties: false },
  ),
} as const;
type ActionBody = { reason?: string; until?: number; officer?: string; disposition?: Disposition; note?: string };
const ACTION_PERMISSION: Record<keyof typeof ACTION_BODIES, Permission> = {
  acknowledge: 'alerts.acknowledge',
  shelve: 'alerts.shelve',
  unshelve: 'alerts.shelve',
  dispatch: 'alerts.dispatch',
  arrive: 'alerts.arrive',
  out_of_service: 'alerts.shelve',
  return_to_service: 'alerts.shelve',
  resolve: 'alerts.resolve',
};

const Transition = Type.Object({
  at: Type.Number(),
  from: Type.Union([Type.String(), Type.Null()]),
  to: Type.String(),
  action: Type.Union([Type.String(), Type.Null()]),
  actor: Type.String(),
  reason: Type.Union([Type.String(), Type.Null()]),
  detail: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
});
const Fix = Type.Object({ ts: Type.Number(), lat: Type.Number(), lon: Type.Number(), acc_m: Type.Number() });
const AlertDetail = Type.Object({
  alert: Alert,
  transitions: Type.Array(Transition),
  fixes: Type.Array(Fix),
  events: Type.Array(Type.Object({ ts: Type.Number(), type: Type.String(), body: Type.Unknown() })),
  snapshots: Type.Array(Type.Object({ ts: Type.Number(), device: Type.String(), label: Type.String(), score: Type.Number(), ref: Type.String() })),
});
const OfficerSuggestion = Type.Object({
  id: Type.String(),
  display_name: Type.String(),
  available: Type.Boolean(),
  distance_m: Type.Union([Type.Number(), Type.Null()]),
  position_ts: Type.Union([Type.Number(), Type.Null()]),
});

/** Options of the alert routes. */
export interface AlertRoutesOptions {
  ctx: AppContext;
  /** Changes made here go to the live stream of this process. */
  hub?: AlertHub;
}

/**
 * Alerts: the list (filters by site, severity, state, type, subject and time), the detail
 * with its evidence, the CSV export, the officers nearest to an alert, the lifecycle
 * actions, which `@vigil/analytics`' `applyAlertAction` checks against the transition table,
 * and an officer's accepting an alert (a dispatch to themselves, from the phone view).
 * Every read is audited before the data leaves; anything outside the caller's scope is a 404.
 */
export const alertRoutes: FastifyPluginAsync<AlertRoutesOptions> = async (app, { ctx, hub }) => {
  app.get<{ Querystring: AlertListQuery }>(
    '/api/alerts',
    {
      config: { permission: 'alerts.read' },
      schema: { tags: ['alerts'], querystring: AlertListQuery, response: { 200: Type.Object({ alerts: Type.Array(Alert) }) } },
    },
    async (req) => {
      const scope = await scopeOf(ctx, req);
      // Read and audited in one statement: if the trail cannot be written nothing is served (500).
      const alerts = await listAlerts(ctx.pool, scope, req.query, { actor: principalOf(req).userId, action: 'alerts.list', ip: req.ip, detail: queryDetail(req.query) });
      return { alerts };
    },
  );

  app.get<{ Querystring: ExportQuery }>(
    '/api/alerts/export.csv',
    { config: { permission: 'alerts.export' }, schema: { tags: ['alerts'], querystring: ExportQuery } },
    async (req, reply) => {
      const scope = await scopeOf(ctx, req);
      const alerts = await listAlerts(ctx.pool, scope, req.query);
      await ctx.audit(req, { action: 'alerts.export', resource: 'alerts', detail: { ...queryDetail(req.query), returned: alerts.length } });
      const head = ['id', 'raised', 'last', 'site', 'device', 'subject', 'rule', 'severity', 'state', 'count', 'officer', 'disposition', 'title_en', 'title_zh'];
      const lines = alerts.map((a) =>
        [a.id, iso(a.raised_ts), iso(a.last_ts), a.site, a.dev, a.subject ?? '', a.rule, a.severity, a.state, a.count, a.officer ?? '', a.disposition ?? '', a.title.en, a.title['zh-CN']]
          .map(csvCell)
          .join(','),
      );
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="alerts.csv"')
        .send(`\ufeff${[head.join(','), ...lines].join('\r\n')}\r\n`);
    },
  );

  app.get<{ Params: IdParams }>(
    '/api/alerts/:id',
    { config: { permission: 'alerts.read' }, schema: { tags: ['alerts'], params: IdParams, response: { 200: AlertDetail } } },
    async (req) => {
      const alert = await scopedAlert(req, req.params.id, 'alerts.read');
      const [transitions, fixes, events, snapshots] = await Promise.all([
        ctx.pool.query<{ at: Date; from_state: string | null; to_state: string; action: string | null; actor: string; reason: string | null; detail: Record<string, unknown> | null }>(
          'SELECT at, from_state, to_state, action, actor, reason, detail FROM alert_transitions WHERE alert_id = $1 ORDER BY at, id',
          [alert.id],
        ),
        // The device's track around the alert: ten minutes before it was raised to a minute after it was last seen.
        ctx.pool.query<{ time: Date; lat: number; lon: number; acc_m: number }>(
          `SELECT time, lat, lon, acc_m FROM tag_fixes
            WHERE device_id = $1 AND time BETWEEN to_timestamp($2 / 1000.0) - interval '10 minutes' AND to_timestamp($3 / 1000.0) + interval '1 minute'
            ORDER BY time LIMIT 500`,
          [alert.dev, alert.raised_ts, alert.last_ts],
        ),
        ctx.pool.query<{ time: Date; type: string; body: unknown }>(
          `SELECT time, type, body FROM device_events
            WHERE device_id = $1 AND time BETWEEN to_timestamp($2 / 1000.0) - interval '10 minutes' AND to_timestamp($3 / 1000.0) + interval '1 minute'
            ORDER BY time LIMIT 200`,
          [alert.dev, alert.raised_ts, alert.last_ts],
        ),
        ctx.pool.query<{ time: Date; device_id: string; label: string; score: number; snapshot_ref: string }>(
          `SELECT time, device_id, label, score, snapshot_ref FROM detections
            WHERE site_id = $1 AND snapshot_ref IS NOT NULL
              AND time BETWEEN to_timestamp($2 / 1000.0) - interval '2 minutes' AND to_timestamp($3 / 1000.0) + interval '2 minutes'
            ORDER BY time LIMIT 50`,
          [alert.site, alert.raised_ts, alert.last_ts],
        ),
      ]);
      await ctx.audit(req, { action: 'alerts.read', resource: `alerts/${alert.id}`, detail: { site: alert.site, subject: alert.subject ?? null } });
      return {
        alert,
        transitions: transitions.rows.map((t) => ({ at: t.at.getTime(), from: t.from_state, to: t.to_state, action: t.action, actor: t.actor, reason: t.reason, detail: t.detail })),
        fixes: fixes.rows.map((f) => ({ ts: f.time.getTime(), lat: f.lat, lon: f.lon, acc_m: f.acc_m })),
        events: events.rows.map((e) => ({ ts: e.time.getTime(), type: e.type, body: e.body })),
        snapshots: snapshots.rows.map((s) => ({ ts: s.time.getTime(), device: s.device_id, label: s.label, score: s.score, ref: s.snapshot_ref })),
      };
    },
  );

  app.get<{ Params: IdParams }>(
    '/api/alerts/:id/officers',
    {
      config: { permission: 'alerts.dispatch' },
      schema: { tags: ['alerts'], params: IdParams, response: { 200: Type.Object({ suggested: Type.Union([Type.String(), Type.Null()]), officers: Type.Array(OfficerSuggestion) }) } },
    },
    async (req) => {
      const alert = await scopedAlert(req, req.params.id, 'alerts.dispatch');
      const scope = await scopeOf(ctx, req);
      const where = await alertPosition(alert);
      const { rows } = await ctx.pool.query<{ id: string; display_name: string; lat: number | null; lon: number | null; at: Date | null; available: boolean | null }>(
        `WITH RECURSIVE anc AS (
           SELECT o.id, o.parent_id FROM org_units o JOIN sites s ON s.org_unit_id = o.id WHERE s.id = $1
           UNION ALL
           SELECT o.id, o.parent_id FROM org_units o JOIN anc ON o.id = anc.parent_id
         )
         SELECT u.id, u.display_name, p.lat, p.lon, p.at, p.available
           FROM users u LEFT JOIN officer_positions p ON p.user_id = u.id
          WHERE u.role = 'officer' AND u.disabled_at IS NULL
            AND u.org_unit_id IN (SELECT id FROM anc) AND u.org_unit_id = ANY($2)`,
        [alert.site, scope.units],
      );
      const officers = rows
        .map((r) => ({
          id: r.id,
          display_name: r.display_name,
          available: r.available ?? false,
          distance_m: where && r.lat !== null && r.lon !== null ? Math.round(distanceM(where, { lat: r.lat, lon: r.lon })) : null,
          position_ts: r.at?.getTime() ?? null,
        }))
        .sort((a, b) => Number(b.available) - Number(a.available) || (a.distance_m ?? Infinity) - (b.distance_m ?? Infinity) || a.id.localeCompare(b.id));
      const best = officers.find((o) => o.available && o.distance_m !== null) ?? null;
      await ctx.audit(req, { action: 'alerts.officers', resource: `alerts/${alert.id}`, detail: { suggested: best?.id ?? null, candidates: officers.length } });
      return { suggested: best?.id ?? null, officers };
    },
  );

  for (const action of Object.keys(ACTION_BODIES) as (keyof typeof ACTION_BODIES)[]) {
    const permission = ACTION_PERMISSION[action];
    app.post<{ Params: IdParams; Body: ActionBody }>(
      `/api/alerts/:id/${action}`,
      { config: { permission }, schema: { tags: ['alerts'], params: IdParams, body: ACTION_BODIES[action], response: { 200: Type.Object({ alert: Alert }) } } },
      async (req, reply) => act(req, reply, action),
    );
  }

  app.post<{ Params: IdParams; Body: { reason?: string } }>(
    '/api/alerts/:id/accept',
    {
      config: { permission: 'alerts.accept' },
      schema: {
        tags: ['alerts'],
        summary: 'An officer takes an open alert of their scope: a dispatch to themselves',
        params: IdParams,
        body: ACTION_BODIES.acknowledge,
        response: { 200: Type.Object({ alert: Alert }) },
      },
    },
    async (req, reply) => {
      const me = principalOf(req).userId;
      const alert = await scopedAlert(req, req.params.id, 'alerts.accept');
      // Taking over a colleague's dispatch is the dispatcher's call (alerts.dispatch), not the officer's. Checked before
      // the lifecycle's transaction: a dispatch landing in between is taken over, and both stay in the transitions.
      if (alert.state === 'dispatched' && alert.officer) {
        const text = alert.officer === me ? 'already dispatched to you / 已派给您' : 'already dispatched to another officer / 已派给其他民警';
        await ctx.audit(req, { action: 'alerts.accept', resource: `alerts/${alert.id}`, outcome: 'failed', detail: { code: 'already_dispatched', officer: alert.officer } });
        throw new CommandCenterError('VIGIL_CC_CONFLICT', text);
      }
      const reason = req.body?.reason ?? 'accepted by the officer / 民警接受派警';
      return commit(req, reply, 'alerts.accept', { alertId: alert.id, action: 'dispatch', actor: me, officerId: me, reason }, { officer: me, reason });
    },
  );

  async function act(req: FastifyRequest<{ Params: IdParams; Body: ActionBody }>, reply: FastifyReply, action: AlertAction) {
    const p = principalOf(req);
    const body = req.body ?? {};
    await scopedAlert(req, req.params.id, `alerts.${action}`);
    if (action === 'dispatch' && body.officer !== undefined) await checkOfficer(req.params.id, body.officer);
    const input: AlertActionInput = {
      alertId: req.params.id,
      action,
      actor: p.userId,
      ...(body.reason !== undefined ? { reason: body.reason } : {}),
      ...(body.until !== undefined ? { until: body.until } : {}),
      ...(body.officer !== undefined ? { officerId: body.officer } : {}),
      ...(body.disposition !== undefined ? { disposition: body.disposition } : {}),
      ...(body.note !== undefined ? { note: body.note } : {}),
    };
    return commit(req, reply, `alerts.${action}`, input, body);
  }

  /**
   * Apply a lifecycle action and audit it under `auditAction`: a refusal is audited as failed and answered
   * 404, 400 (naming the field) or 409 in both languages; a change goes to the live stream.
   */
  async function commit(req: FastifyRequest<{ Params: IdParams }>, reply: FastifyReply, auditAction: string, input: AlertActionInput, detail: Record<string, unknown>) {
    const result = await applyAlertAction(ctx.pool, input);
    if (!result.ok) {
      await ctx.audit(req, { action: auditAction, resource: `alerts/${req.params.id}`, outcome: 'failed', detail: { code: result.code, field: result.field ?? null } });
      const field = result.field === 'officerId' ? 'officer' : result.field;
      const message = `${field ? `${field}: ` : ''}${result.text.en} / ${result.text['zh-CN']}`;
      if (result.code === 'not_found') throw notFound('alert');
      if (result.code === 'missing_field') throw new CommandCenterError('VIGIL_CC_VALIDATION', message, field);
      throw new CommandCenterError('VIGIL_CC_CONFLICT', message, field);
    }
    await ctx.audit(req, { action: auditAction, resource: `alerts/${result.alert.id}`, detail: { from: result.from, to: result.alert.state, ...detail } });
    hub?.emit(result.alert);
    return reply.send({ alert: result.alert });
  }

  /** The alert if it is in the caller's scope; otherwise a 404 (audited as denied), whether or not it exists. */
  async function scopedAlert(req: FastifyRequest, id: string, action: string): Promise<Alert> {
    const alert = await getAlert(ctx.pool, await scopeOf(ctx, req), id);
    if (!alert) {
      await ctx.audit(req, { action, resource: `alerts/${id}`, outcome: 'denied', detail: { reason: 'not_in_scope' } });
      throw notFound('alert');
    }
    return alert;
  }

  /** A dispatch goes to an officer whose subtree holds the alert's site. */
  async function checkOfficer(alertId: string, officer: string): Promise<void> {
    const { rows } = await ctx.pool.query(
      `WITH RECURSIVE anc AS (
         SELECT o.id, o.parent_id FROM org_units o JOIN sites s ON s.org_unit_id = o.id JOIN alerts a ON a.site_id = s.id WHERE a.id = $1
         UNION ALL
         SELECT o.id, o.parent_id FROM org_units o JOIN anc ON o.id = anc.parent_id
       )
       SELECT 1 FROM users WHERE id = $2 AND role = 'officer' AND disabled_at IS NULL AND org_unit_id IN (SELECT id FROM anc)`,
      [alertId, officer],
    );
    if (rows.length === 0) throw new CommandCenterError('VIGIL_CC_VALIDATION', 'officer: no such officer for this site / 该场所无此民警', 'officer');
  }

  /** Where the alert is: its last evidence fix, else the device's last fix. */
  async function alertPosition(alert: Alert): Promise<{ lat: number; lon: number } | null> {
    const last = alert.evidence.fixes?.at(-1);
    if (last) return { lat: last.lat, lon: last.lon };
    const { rows } = await ctx.pool.query<{ lat: number; lon: number }>('SELECT lat, lon FROM tag_fixes WHERE device_id = $1 ORDER BY time DESC LIMIT 1', [alert.dev]);
    return rows[0] ?? null;
  }
};

function queryDetail(q: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['site', 'state', 'severity', 'type', 'subject', 'from', 'to', 'limit']) out[k] = q[k] ?? null;
  return out;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** RFC 4180 cell; a leading = + - @ is prefixed with ' so a spreadsheet does not run it as a formula. */
function csvCell(v: unknown): string {
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
