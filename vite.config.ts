import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';
import { compression, defineAlgorithm } from 'vite-plugin-compression2';
import { CSP_NONCE_PLACEHOLDER } from './web/csp.ts';

/** The wizard: built once into dist/renderer, served by the desktop shell and the browser shell alike. */
export default defineConfig({
  root: fileURLToPath(new URL('./renderer', import.meta.url)),
  // Relative asset URLs: the same build loads from app://twinlock/ and from http://127.0.0.1:<port>/.
  base: './',
  plugins: [
    vue(),
    // Precompressed copies beside each script and style sheet (gzip and Brotli, at their best
    // levels): the browser shell sends the smallest the browser accepts, with nothing compressed per request.
    // The page itself is not compressed ahead: each response carries its own CSP nonce.
    compression({
      include: /\.(js|mjs|css|svg|json)$/,
      threshold: 1024,
      algorithms: [defineAlgorithm('gzip', { level: 9 }), defineAlgorithm('brotliCompress')],
    }),
  ],
  // Puts <meta property="csp-nonce" nonce="…"> in the page; each shell swaps in a fresh nonce per load.
  html: { cspNonce: CSP_NONCE_PLACEHOLDER },
  build: {
    outDir: fileURLToPath(new URL('./dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1500,
  },
});
