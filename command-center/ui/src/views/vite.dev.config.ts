import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

/**
 * Test-only build of the extra views without the shell (dev.html + dev-entry.ts), into the directory
 * given by VIGIL_VIEWS_OUT (the browser test serves it as the command centre's public directory).
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  logLevel: 'warn',
  plugins: [svelte({ configFile: false })],
  build: {
    outDir: process.env.VIGIL_VIEWS_OUT ?? '/tmp/vigil-views-dev',
    emptyOutDir: true,
    rollupOptions: { input: { index: fileURLToPath(new URL('./dev.html', import.meta.url)) } },
  },
});
