import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { fastify, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { decodeJpeg, enrolFace, loadRuntime, saveTemplate, type VisionRuntime } from '@vigil/analytics';
import { checkinPublicRoutes, type CheckinPublicRoutesOptions } from '../src/routes/checkin-public.js';
import { seedBasicTree } from './auth-helpers.js';
import { testLogger } from './helpers.js';

/** The shared fixture photos (never copied into the project). */
export const IMAGES = fileURLToPath(new URL('../../../shared/fixtures/images/', import.meta.url));

export const photoBytes = (file: string): Promise<Buffer> => readFile(`${IMAGES}${file}`);

/** The real WASM face models, loaded on the first call only; `loads` counts the loads. */
export function lazyRuntime(): { load: () => Promise<VisionRuntime>; loads: () => number } {
  let n = 0;
  let rt: Promise<VisionRuntime> | undefined;
  return {
    load: () => {
      n++;
      rt ??= loadRuntime({ body: false, backend: 'wasm', logger: testLogger });
      return rt;
    },
    loads: () => n,
  };
}

/** The community office of `seedBasicTree` with subjects in it. */
export async function seedSubjects(pool: Pool, ids: string[]): Promise<void> {
  await seedBasicTree(pool);
  for (const id of ids) {
    await pool.query(`INSERT INTO subjects (id, site_id, ref, display_name) VALUES ($1, 'office-b', $1, $1) ON CONFLICT DO NOTHING`, [id]);
  }
}

/** Enrol a subject from fixture photos, as the registry would. */
export async function enrol(pool: Pool, rt: VisionRuntime, subject: string, files: string[]): Promise<void> {
  const photos = await Promise.all(files.map(async (f) => decodeJpeg(await photoBytes(f), f)));
  const { template } = await enrolFace(rt, photos);
  await saveTemplate(pool, subject, template, 'test');
}

/** A multipart/form-data body as a browser's FormData makes it. */
export async function formBody(fields: Record<string, string | Buffer | Buffer[]>): Promise<{ payload: Buffer; headers: Record<string, string> }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (typeof v === 'string') form.append(name, v);
      else form.append(name, new Blob([new Uint8Array(v)], { type: 'image/jpeg' }), `${name}.jpg`);
    }
  }
  const res = new Response(form);
  return { payload: Buffer.from(await res.arrayBuffer()), headers: { 'content-type': res.headers.get('content-type')! } };
}

/** A bare Fastify app with only the check-in routes (the lead registers them in `buildApp`). */
export async function checkinApp(opts: CheckinPublicRoutesOptions): Promise<FastifyInstance> {
  const logger: FastifyBaseLogger = testLogger;
  const app = fastify({ loggerInstance: logger, bodyLimit: 256 * 1024 });
  await app.register(checkinPublicRoutes, opts);
  return app;
}
