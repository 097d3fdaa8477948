import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The console builds to plain static files (dist/apps/console): any web server can serve them,
// with /config.json beside them saying where the issuer and the APIs are.
const here = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  plugins: [react()],
  // The typed client (libs/api-client) as the console's tsconfig names it: every call goes through it.
  // The rule of each connector's catalogue target, the same one the services apply (@kairos/contracts).
  resolve: {
    alias: {
      '@kairos/api-client': resolve(here, '../../libs/api-client/src/index.ts'),
      '@kairos/connector-targets': resolve(here, '../../libs/contracts/src/connector-targets.ts'),
    },
  },
  build: {
    outDir: process.env.KAIROS_CONSOLE_OUT_DIR ?? resolve(here, '../../dist/apps/console'),
    emptyOutDir: true,
    // No inline scripts anywhere, so the Content-Security-Policy can forbid them.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: { port: 5173, strictPort: true },
});
