import type { FastifyPluginAsync } from 'fastify';
import { fastifyStatic } from '@fastify/static';

/** Options of the UI route. */
export interface UiRoutesOptions {
  /** The built UI (`command-center/public`). */
  publicDir: string;
}

/**
 * Serve the built Svelte UI, `index.html` at `/`; every asset is local (no CDN, PRODUCT.md).
 * `/checkin/<token>` is the subjects' check-in page (`checkin.html`), told by Permissions-Policy it may use the camera and location.
 */
export const uiRoutes: FastifyPluginAsync<UiRoutesOptions> = async (app, opts) => {
  await app.register(fastifyStatic, { root: opts.publicDir, prefix: '/', index: ['index.html'] });
  app.get('/checkin/:token', (_req, reply) =>
    reply.header('permissions-policy', 'camera=(self), geolocation=(self), microphone=()').header('cache-control', 'no-store').sendFile('checkin.html'),
  );
};
