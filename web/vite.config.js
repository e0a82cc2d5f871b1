// Vite bundles the dashboard into dist/ with hashed file names; no inline scripts (the server's
// Content-Security-Policy is default-src 'self'), no module-preload polyfill, nothing from a CDN.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 400,
    reportCompressedSize: false,
  },
  test: {
    include: ['test/**/*.test.js'],
    environment: 'node',
  },
});
