import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { createCameraRelay, type CameraRelayOptions } from '../cameras/relay.js';
import { scopeOf, type AppContext } from '../context.js';
import { CommandCenterError, notFound } from '../errors.js';
import { IdParams } from './common.js';

const Camera = Type.Object({ id: Type.String(), site: Type.String(), online: Type.Union([Type.Boolean(), Type.Null()]), live: Type.String() });

/**
 * Live cameras: `GET /api/cameras` lists the user's cameras that have a stream;
 * `GET /api/cameras/:id/live` upgrades to a WebSocket carrying MPEG-TS (MPEG-1 video) for a
 * JSMpeg player, after the same session, permission and scope checks as every other route.
 */
export const cameraRoutes: FastifyPluginAsync<{ ctx: AppContext; relay?: CameraRelayOptions }> = async (app, { ctx, relay: relayOpts }) => {
  const relay = relayOpts ? createCameraRelay(relayOpts) : undefined;
  app.addHook('onClose', async () => relay?.close());

  const scopedCamera = async (req: FastifyRequest, id: string): Promise<{ id: string; site_id: string; stream_url: string }> => {
    const scope = await scopeOf(ctx, req);
    const { rows } = await ctx.pool.query<{ id: string; site_id: string; stream_url: string }>(
      "SELECT id, site_id, stream_url FROM devices WHERE id = $1 AND site_id = ANY($2) AND kind = 'camera' AND stream_url IS NOT NULL AND revoked_at IS NULL",
      [id, scope.sites],
    );
    if (!rows[0]) {
      await ctx.audit(req, { action: 'cameras.view', resource: `devices/${id}`, outcome: 'denied', detail: { reason: 'not_in_scope' } });
      throw notFound('camera');
    }
    return rows[0];
  };

  app.get('/api/cameras', { config: { permission: 'cameras.view' }, schema: { tags: ['cameras'], response: { 200: Type.Object({ cameras: Type.Array(Camera) }) } } }, async (req) => {
    const scope = await scopeOf(ctx, req);
    const { rows } = await ctx.pool.query<{ id: string; site_id: string; online: boolean | null }>(
      `SELECT d.id, d.site_id, p.online FROM devices d LEFT JOIN device_presence p ON p.device_id = d.id
        WHERE d.kind = 'camera' AND d.stream_url IS NOT NULL AND d.revoked_at IS NULL AND d.site_id = ANY($1) ORDER BY d.site_id, d.id`,
      [scope.sites],
    );
    await ctx.audit(req, { action: 'cameras.list', resource: 'devices', detail: { returned: rows.length } });
    return { cameras: rows.map((r) => ({ id: r.id, site: r.site_id, online: r.online, live: `/api/cameras/${r.id}/live` })) };
  });

  app.get<{ Params: IdParams }>(
    '/api/cameras/:id/live',
    {
      websocket: true,
      config: { permission: 'cameras.view' },
      schema: { params: IdParams },
      // Before the upgrade: a refusal is a plain HTTP 404 / 503, never an open socket.
      preValidation: async (req) => {
        const cam = await scopedCamera(req as FastifyRequest<{ Params: IdParams }>, (req.params as IdParams).id);
        if (!relay) throw new CommandCenterError('VIGIL_CC_UNAVAILABLE', 'live video is not configured / 未配置实时视频');
        // Audited before a single frame leaves.
        await ctx.audit(req, { action: 'cameras.view', resource: `devices/${cam.id}`, detail: { site: cam.site_id } });
        (req as unknown as { camera: typeof cam }).camera = cam;
      },
    },
    (socket, req) => {
      const cam = (req as unknown as { camera: { id: string; site_id: string; stream_url: string } }).camera;
      relay!.watch(cam.id, cam.stream_url, socket);
    },
  );
};
