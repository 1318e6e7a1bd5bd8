import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The UI is built into command-center/public and served by the API server (src/routes/ui.ts).
// Everything is bundled: classified networks are offline, so no CDN and no web fonts (PRODUCT.md).
export default defineConfig({
  root: fileURLToPath(new URL('./ui', import.meta.url)),
  base: '/',
  plugins: [svelte({ configFile: false })],
  build: {
    outDir: fileURLToPath(new URL('./public', import.meta.url)),
    emptyOutDir: true,
    // Two pages: the command centre, and the subjects' check-in page (served at /checkin/<token>).
    rolldownOptions: {
      input: {
        index: fileURLToPath(new URL('./ui/index.html', import.meta.url)),
        checkin: fileURLToPath(new URL('./ui/checkin.html', import.meta.url)),
      },
    },
  },
  server: {
    // `npx vite` for UI work against a running command centre.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});
