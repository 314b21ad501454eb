import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const webRoot = fileURLToPath(new URL('.', import.meta.url));

/** The portal: built into dist/web, which the server serves at `/` (src/http/routes/portal.ts). */
export default defineConfig({
  root: webRoot,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    // No inline scripts or data: URLs, so the portal runs under a strict Content-Security-Policy.
    assetsInlineLimit: 0,
  },
  server: {
    // `vite --config web/vite.config.ts` during development, with the API on `npm run dev`.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});
