import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { generateSecret, registerDevice, revokeDevice, rotateDeviceSecret, DEVICE_KINDS, type DeviceKind } from '@vigil/broker';
import { Id, Uuid } from '@vigil/schemas';
import type { CommandBus } from '../command-bus.js';
import { COMMAND_COLUMNS, toCommand } from '../command-bus.js';
import { principalOf, scopeOf, type AppContext } from '../context.js';
import { CommandCenterError, notFound } from '../errors.js';
import { IdParams } from './common.js';

const Device = Type.Object({
  id: Type.String(),
  site: Type.String(),
  kind: Type.String(),
  subject: Type.Union([Type.String(), Type.Null()]),
  gateway: Type.Union([Type.String(), Type.Null()]),
  has_stream: Type.Boolean(),
  revoked: Type.Boolean(),
  created_ts: Type.Number(),
  credentials_changed_ts: Type.Number(),
  online: Type.Union([Type.Boolean(), Type.Null()]),
  since_ts: Type.Union([Type.Number(), Type.Null()]),
  /** In the list only: a tag's battery and cellular signal from its last `tag.health` (null if none; `GET /api/devices/:id/health` has the rest). */
  battery_pct: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
  signal_dbm: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
});
const KindParam = Type.Unsafe<DeviceKind>({ type: 'string', enum: [...DEVICE_KINDS] });
const NewDevice = Type.Object(
  {
    id: Id,
    site: Id,
    kind: KindParam,
    subject: Type.Optional(Type.Union([Id, Type.Null()])),
    /** A camera's RTSP address, re-served to the browser by the live route. */
    stream_url: Type.Optional(Type.String({ pattern: '^rtsps?://', maxLength: 512 })),
  },
  { additionalProperties: false },
);
type NewDevice = Static<typeof NewDevice>;
const Assign = Type.Object({ subject: Type.Union([Id, Type.Null()]) }, { additionalProperties: false });
type Assign = Static<typeof Assign>;
const Secret = Type.Object({ id: Type.String(), secret: Type.String() });
const CommandBody = Type.Object(
  {
    name: Id,
    args: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Type.Unknown(), { maxProperties: 32 })),
    /** The device refuses it after this long (CommandRequest.expires_at). */
    ttl_s: Type.Integer({ minimum: 1, maximum: 86_400, default: 60 }),
  },
  { additionalProperties: false },
);
type CommandBody = Static<typeof CommandBody>;
const Command = Type.Object({
  id: Type.String(),
  device: Type.String(),
  site: Type.String(),
  name: Type.String(),
  args: Type.Record(Type.String(), Type.Unknown()),
  requested_by: Type.String(),
  requested_ts: Type.Number(),
  expires_ts: Type.Union([Type.Number(), Type.Null()]),
  status: Type.String(),
  detail: Type.Union([Type.String(), Type.Null()]),
  result: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  replayed: Type.Union([Type.Boolean(), Type.Null()]),
  answered_ts: Type.Union([Type.Number(), Type.Null()]),
});
const CommandParams = Type.Object({ id: Id, cid: Uuid }, { additionalProperties: false });

export type DeviceRow = {
  id: string; site_id: string; kind: string; subject_id: string | null; gateway_id: string | null; stream_url: string | null;
  revoked_at: Date | null; created_at: Date; credentials_changed_at: Date; online: boolean | null; since: Date | null;
};
const SELECT = `SELECT d.id, d.site_id, d.kind, d.subject_id, d.gateway_id, d.stream_url, d.revoked_at, d.created_at, d.credentials_changed_at, p.online, p.since
                  FROM devices d LEFT JOIN device_presence p ON p.device_id = d.id`;
const device = (r: DeviceRow) => ({
  id: r.id,
  site: r.site_id,
  kind: r.kind,
  subject: r.subject_id,
  gateway: r.gateway_id,
  has_stream: r.stream_url !== null,
  revoked: r.revoked_at !== null,
  created_ts: r.created_at.getTime(),
  credentials_changed_ts: r.credentials_changed_at.getTime(),
  online: r.online,
  since_ts: r.since?.getTime() ?? null,
});

/** The device if it is at one of the caller's sites; otherwise a 404 (audited as denied as `action`), whether or not it exists. */
export async function deviceInScope(ctx: AppContext, req: FastifyRequest, id: string, action: string): Promise<DeviceRow> {
  const scope = await scopeOf(ctx, req);
  const { rows } = await ctx.pool.query<DeviceRow>(`${SELECT} WHERE d.id = $1 AND d.site_id = ANY($2)`, [id, scope.sites]);
  if (!rows[0]) {
    await ctx.audit(req, { action, resource: `devices/${id}`, outcome: 'denied', detail: { reason: 'not_in_scope' } });
    throw notFound('device');
  }
  return rows[0];
}

/**
 * Devices of the user's sites: register (the secret is shown once; the broker keeps its
 * scrypt hash), assign to a subject, rotate or revoke credentials (through `@vigil/broker`'s
 * registry, which disconnects old sessions), send commands and read their answers.
 */
export const deviceRoutes: FastifyPluginAsync<{ ctx: AppContext; commandBus?: CommandBus }> = async (app, { ctx, commandBus }) => {
  const scopedDevice = (req: FastifyRequest, id: string, action: string): Promise<DeviceRow> => deviceInScope(ctx, req, id, action);
  const checkSubject = async (req: FastifyRequest, subject: string | null | undefined, site: string): Promise<void> => {
    if (subject == null) return;
    const { rows } = await ctx.pool.query('SELECT 1 FROM subjects WHERE id = $1 AND site_id = $2', [subject, site]);
    if (rows.length === 0) throw new CommandCenterError('VIGIL_CC_VALIDATION', 'subject: no such subject at this site / 该场所无此人员', 'subject');
    void req;
  };

  app.get<{ Querystring: { site?: string } }>(
    '/api/devices',
    {
      config: { permission: 'devices.read' },
      schema: { tags: ['devices'], querystring: Type.Object({ site: Type.Optional(Id) }, { additionalProperties: false }), response: { 200: Type.Object({ devices: Type.Array(Device) }) } },
    },
    async (req) => {
      const scope = await scopeOf(ctx, req);
      // A tag's last health report: the newest tag.health row of its (device_id, time DESC) index.
      const { rows } = await ctx.pool.query<DeviceRow & { battery_pct: number | null; rssi_dbm: number | null }>(
        `SELECT l.*, (h.body->>'battery_pct')::float8 AS battery_pct, (h.body->>'rssi_dbm')::float8 AS rssi_dbm
           FROM (${SELECT} WHERE d.site_id = ANY($1) AND ($2::text IS NULL OR d.site_id = $2)) l
           LEFT JOIN LATERAL (SELECT body FROM device_events e WHERE e.device_id = l.id AND e.type = 'tag.health' AND l.kind = 'tag' ORDER BY e.time DESC LIMIT 1) h ON true
          ORDER BY l.site_id, l.id`,
        [scope.sites, req.query.site ?? null],
      );
      await ctx.audit(req, { action: 'devices.list', resource: 'devices', detail: { site: req.query.site ?? null, returned: rows.length } });
      return { devices: rows.map((r) => ({ ...device(r), battery_pct: r.battery_pct, signal_dbm: r.rssi_dbm })) };
    },
  );

  app.get<{ Params: IdParams }>('/api/devices/:id', { config: { permission: 'devices.read' }, schema: { tags: ['devices'], params: IdParams, response: { 200: Device } } }, async (req) => {
    const d = await scopedDevice(req, req.params.id, 'devices.read');
    await ctx.audit(req, { action: 'devices.read', resource: `devices/${d.id}` });
    return device(d);
  });

  app.post<{ Body: NewDevice }>('/api/devices', { config: { permission: 'devices.write' }, schema: { tags: ['devices'], body: NewDevice, response: { 201: Secret } } }, async (req, reply) => {
    const scope = await scopeOf(ctx, req);
    const b = req.body;
    if (!scope.siteSet.has(b.site)) throw new CommandCenterError('VIGIL_CC_VALIDATION', 'site: not a site you manage / 不是您管理的场所', 'site');
    // Registering an existing id would take it over (the registry upserts): refuse, whatever site it is at.
    const { rows: taken } = await ctx.pool.query('SELECT 1 FROM devices WHERE id = $1', [b.id]);
    if (taken.length > 0) throw new CommandCenterError('VIGIL_CC_CONFLICT', 'id: taken / 编号已被使用', 'id');
    await checkSubject(req, b.subject, b.site);
    const secret = generateSecret();
    await registerDevice(ctx.pool, { id: b.id, siteId: b.site, kind: b.kind, subjectId: b.subject ?? null, secret });
    if (b.stream_url !== undefined) await ctx.pool.query('UPDATE devices SET stream_url = $2 WHERE id = $1', [b.id, b.stream_url]);
    await ctx.audit(req, { action: 'devices.register', resource: `devices/${b.id}`, detail: { site: b.site, kind: b.kind, subject: b.subject ?? null, stream: b.stream_url !== undefined } });
    return reply.code(201).send({ id: b.id, secret });
  });

  app.post<{ Params: IdParams; Body: Assign }>(
    '/api/devices/:id/assign',
    { config: { permission: 'devices.write' }, schema: { tags: ['devices'], params: IdParams, body: Assign, response: { 200: Device } } },
    async (req) => {
      const d = await scopedDevice(req, req.params.id, 'devices.assign');
      await checkSubject(req, req.body.subject, d.site_id);
      await ctx.pool.query('UPDATE devices SET subject_id = $2 WHERE id = $1', [d.id, req.body.subject]);
      await ctx.audit(req, { action: 'devices.assign', resource: `devices/${d.id}`, detail: { from: d.subject_id, to: req.body.subject } });
      return device({ ...d, subject_id: req.body.subject });
    },
  );

  app.post<{ Params: IdParams }>('/api/devices/:id/rotate', { config: { permission: 'devices.write' }, schema: { tags: ['devices'], params: IdParams, response: { 200: Secret } } }, async (req) => {
    const d = await scopedDevice(req, req.params.id, 'devices.rotate');
    const secret = generateSecret();
    await rotateDeviceSecret(ctx.pool, d.id, secret);
    await ctx.audit(req, { action: 'devices.rotate', resource: `devices/${d.id}` });
    return { id: d.id, secret };
  });

  app.post<{ Params: IdParams }>('/api/devices/:id/revoke', { config: { permission: 'devices.write' }, schema: { tags: ['devices'], params: IdParams, response: { 200: Device } } }, async (req) => {
    const d = await scopedDevice(req, req.params.id, 'devices.revoke');
    await revokeDevice(ctx.pool, d.id);
    await ctx.audit(req, { action: 'devices.revoke', resource: `devices/${d.id}` });
    return device((await ctx.pool.query<DeviceRow>(`${SELECT} WHERE d.id = $1`, [d.id])).rows[0]!);
  });

  app.post<{ Params: IdParams; Body: CommandBody }>(
    '/api/devices/:id/commands',
    { config: { permission: 'devices.command' }, schema: { tags: ['devices'], params: IdParams, body: CommandBody, response: { 202: Command } } },
    async (req, reply) => {
      const d = await scopedDevice(req, req.params.id, 'devices.command');
      if (d.revoked_at) throw new CommandCenterError('VIGIL_CC_CONFLICT', 'device is revoked / 设备已被吊销');
      if (!commandBus?.isConnected()) throw new CommandCenterError('VIGIL_CC_UNAVAILABLE', 'not connected to the broker / 未连接消息代理');
      const sent = await commandBus.send({ device: d.id, site: d.site_id, name: req.body.name, ...(req.body.args ? { args: req.body.args } : {}), by: principalOf(req).userId, ttlMs: req.body.ttl_s * 1000 });
      await ctx.audit(req, { action: 'devices.command', resource: `devices/${d.id}`, detail: { command: sent.id, name: sent.name, args: sent.args } });
      return reply.code(202).send(sent);
    },
  );

  app.get<{ Params: IdParams }>(
    '/api/devices/:id/commands',
    { config: { permission: 'devices.read' }, schema: { tags: ['devices'], params: IdParams, response: { 200: Type.Object({ commands: Type.Array(Command) }) } } },
    async (req) => {
      const d = await scopedDevice(req, req.params.id, 'devices.commands');
      const { rows } = await ctx.pool.query(`SELECT ${COMMAND_COLUMNS} FROM device_commands WHERE device_id = $1 ORDER BY requested_at DESC LIMIT 100`, [d.id]);
      await ctx.audit(req, { action: 'devices.commands', resource: `devices/${d.id}`, detail: { returned: rows.length } });
      return { commands: rows.map(toCommand) };
    },
  );

  app.get<{ Params: { id: string; cid: string } }>(
    '/api/devices/:id/commands/:cid',
    { config: { permission: 'devices.read' }, schema: { tags: ['devices'], params: CommandParams, response: { 200: Command } } },
    async (req) => {
      const d = await scopedDevice(req, req.params.id, 'devices.commands');
      const { rows } = await ctx.pool.query(`SELECT ${COMMAND_COLUMNS} FROM device_commands WHERE device_id = $1 AND id = $2`, [d.id, req.params.cid]);
      if (!rows[0]) throw notFound('command');
      await ctx.audit(req, { action: 'devices.commands', resource: `devices/${d.id}/commands/${req.params.cid}` });
      return toCommand(rows[0]);
    },
  );
};
