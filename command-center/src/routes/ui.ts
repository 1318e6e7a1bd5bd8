import type { FastifyPluginAsync } from 'fastify';
import { fastifyStatic } from '@fastify/static';

/** Options of the UI route. */
export interface UiRoutesOptions {
  /** The built UI (`command-center/public`). */
  publicDir: string;
}

/** Serve the built Svelte UI, `index.html` at `/`; every asset is local (no CDN, PRODUCT.md). */
export const uiRoutes: FastifyPluginAsync<UiRoutesOptions> = async (app, opts) => {
  await app.register(fastifyStatic, { root: opts.publicDir, prefix: '/', index: ['index.html'] });
};
