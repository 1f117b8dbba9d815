import { resolve } from 'node:path';
import { defineConfig } from 'vite';

/** `vite build apps/web` writes dist/web, which the gateway serves at `/`. */
export default defineConfig({
  resolve: {
    alias: { '@app/sdk': resolve(import.meta.dirname, '../../libs/sdk/src/index.ts') },
  },
  build: { outDir: resolve(import.meta.dirname, '../../dist/web'), emptyOutDir: true },
  // `npx vite apps/web` for development, next to a gateway on :3000.
  server: {
    proxy: {
      '/auth': 'http://localhost:3000',
      '/socket.io': { target: 'http://localhost:3000', ws: true },
    },
  },
});
