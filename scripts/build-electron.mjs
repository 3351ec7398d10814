// Bundles the desktop shell into dist-electron/: main.js (ES module, the package is "type": "module")
// and preload.cjs (CommonJS: a sandboxed preload cannot be an ES module). Electron itself and every
// package from node_modules stay external; electron-builder ships the production dependencies, and
// native ones (ssh2's optional crypto binding, tree-sitter) cannot be bundled anyway.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node22',
  sourcemap: true,
  logLevel: 'info',
  external: ['electron'],
};

await build({
  ...common,
  entryPoints: { main: 'electron/main.ts' },
  outdir: 'dist-electron',
  format: 'esm',
  packages: 'external',
  outExtension: { '.js': '.js' },
});

await build({
  ...common,
  entryPoints: { preload: 'electron/preload.ts' },
  outdir: 'dist-electron',
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
});
