// Bundles the desktop shell into dist-electron/: main.js (ES module, the package is "type": "module")
// with the parts it loads on request (the lab) split into chunks next to it, and preload.cjs (CommonJS: a sandboxed preload cannot be an ES module). Electron itself and every
// package from node_modules stay external; electron-builder ships the production dependencies, and
// native ones (ssh2's optional crypto binding, tree-sitter) cannot be bundled anyway.
import { build } from 'esbuild';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildInto } from './swap-in.mjs';

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

// Built into a fresh folder and swapped in (scripts/swap-in.mjs): a test laying out the app
// meanwhile sees the old bundle or the new one.
const out = join(root, 'dist-electron');
await buildInto(out, async (fresh) => {
  await build({
    ...common,
    entryPoints: { main: 'electron/main.ts' },
    outdir: fresh,
    format: 'esm',
    packages: 'external',
    splitting: true,
    chunkNames: '[name]-[hash]',
    outExtension: { '.js': '.js' },
  });

  await build({
    ...common,
    entryPoints: { preload: 'electron/preload.ts' },
    outdir: fresh,
    format: 'cjs',
    outExtension: { '.js': '.cjs' },
  });
});
