import { readFile } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Id } from '@vigil/schemas';
import { scopeOf, type AppContext } from '../context.js';
import { notFound } from '../errors.js';

// A snapshot reference as vision writes it (analytics/src/vision/snapshot.ts): `<camera>/<ts>-<seq>.jpg`,
// and for a card read checked at a gate camera (analytics/src/vision/gate-watch.ts) `<camera>/gate/<ts>-<seq>.jpg`.
const Params = Type.Object({ camera: Id, file: Type.String({ pattern: '^[0-9]{1,16}-[0-9]{1,10}\\.jpg$', maxLength: 32 }) }, { additionalProperties: false });
type Params = { camera: string; file: string };

/** Where each kind of snapshot is recorded, with the site that holds it. */
const HOLDERS = {
  detection: 'SELECT site_id FROM detections WHERE snapshot_ref = $1 AND site_id = ANY($2::text[]) LIMIT 1',
  gate: 'SELECT site_id FROM gate_face_checks WHERE snapshot_ref = $1 AND site_id = ANY($2::text[]) LIMIT 1',
} as const;

/**
 * `GET /api/snapshots/:camera/:file` — the evidence frame of a detection — and
 * `GET /api/snapshots/:camera/gate/:file` — of a card read checked against the
 * holder's face (the `ref` of an alert's `snapshots` or `evidence.snapshot_ref`),
 * only to users who may view cameras and whose sites hold that record; every view
 * audited, refusals too. Files are read from `snapshotDir` (the vision process's
 * VIGIL_VISION_SNAPSHOT_DIR).
 */
export const snapshotRoutes: FastifyPluginAsync<{ ctx: AppContext; snapshotDir: string }> = async (app, { ctx, snapshotDir }) => {
  const root = resolve(snapshotDir);
  async function serve(req: FastifyRequest<{ Params: Params }>, reply: FastifyReply, kind: keyof typeof HOLDERS) {
    const folder = kind === 'gate' ? `${req.params.camera}/gate` : req.params.camera;
    const ref = `${folder}/${req.params.file}`;
    const { sites } = await scopeOf(ctx, req);
    const { rows } = await ctx.pool.query<{ site_id: string }>(HOLDERS[kind], [ref, sites]);
    if (!rows[0]) {
      await ctx.audit(req, { action: 'snapshots.read', resource: `snapshots/${ref}`, outcome: 'denied', detail: { reason: 'not_in_scope' } });
      throw notFound('snapshot');
    }
    const path = resolve(root, folder, req.params.file);
    if (!path.startsWith(root + sep)) throw notFound('snapshot');
    const jpeg = await readFile(path).catch(() => null);
    if (jpeg === null) throw notFound('snapshot');
    await ctx.audit(req, { action: 'snapshots.read', resource: `snapshots/${ref}`, detail: { site: rows[0].site_id } });
    return reply.header('content-type', 'image/jpeg').header('cache-control', 'private, no-store').send(jpeg);
  }
  const opts = { config: { permission: 'cameras.view' }, schema: { tags: ['cameras'], params: Params } } as const;
  app.get<{ Params: Params }>('/api/snapshots/:camera/:file', opts, (req, reply) => serve(req, reply, 'detection'));
  app.get<{ Params: Params }>('/api/snapshots/:camera/gate/:file', opts, (req, reply) => serve(req, reply, 'gate'));
};
