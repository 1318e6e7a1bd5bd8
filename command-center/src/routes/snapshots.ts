import { readFile } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Id } from '@vigil/schemas';
import { scopeOf, type AppContext } from '../context.js';
import { notFound } from '../errors.js';

// A snapshot reference as vision writes it (analytics/src/vision/snapshot.ts): `<camera>/<ts>-<seq>.jpg`.
const Params = Type.Object({ camera: Id, file: Type.String({ pattern: '^[0-9]{1,16}-[0-9]{1,10}\\.jpg$', maxLength: 32 }) }, { additionalProperties: false });

/**
 * `GET /api/snapshots/:camera/:file` — the evidence frame of a detection (the
 * `ref` of an alert's `snapshots`), only to users who may view cameras and
 * whose sites hold that camera's detection; every view audited, refusals too.
 * Files are read from `snapshotDir` (the vision process's VIGIL_VISION_SNAPSHOT_DIR).
 */
export const snapshotRoutes: FastifyPluginAsync<{ ctx: AppContext; snapshotDir: string }> = async (app, { ctx, snapshotDir }) => {
  const root = resolve(snapshotDir);
  app.get<{ Params: { camera: string; file: string } }>(
    '/api/snapshots/:camera/:file',
    { config: { permission: 'cameras.view' }, schema: { tags: ['cameras'], params: Params } },
    async (req, reply) => {
      const ref = `${req.params.camera}/${req.params.file}`;
      const { sites } = await scopeOf(ctx, req);
      const { rows } = await ctx.pool.query<{ site_id: string }>('SELECT site_id FROM detections WHERE snapshot_ref = $1 AND site_id = ANY($2::text[]) LIMIT 1', [ref, sites]);
      if (!rows[0]) {
        await ctx.audit(req, { action: 'snapshots.read', resource: `snapshots/${ref}`, outcome: 'denied', detail: { reason: 'not_in_scope' } });
        throw notFound('snapshot');
      }
      const path = resolve(root, req.params.camera, req.params.file);
      if (!path.startsWith(root + sep)) throw notFound('snapshot');
      const jpeg = await readFile(path).catch(() => null);
      if (jpeg === null) throw notFound('snapshot');
      await ctx.audit(req, { action: 'snapshots.read', resource: `snapshots/${ref}`, detail: { site: rows[0].site_id } });
      return reply.header('content-type', 'image/jpeg').header('cache-control', 'private, no-store').send(jpeg);
    },
  );
};
