// Bundles the desktop shell into dist-electron/: main.js (ES module, the package is "type": "module")
// with the engine's lazily loaded parts (SSH, verification, installer…) split into chunks next to
// it, and preload.cjs (CommonJS: a sandboxed preload cannot be an ES module). Electron itself and every
// package from node_modules stay external; electron-builder ships the production dependencies, and
// native ones (ssh2's optional crypto binding, tree-sitter) cannot be bundled anyway.
import { build } from 'esbuild';
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
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

// Chunks are named by content hash: built into a fresh folder so that old ones do not pile up,
// then moved into place, so that a process reading dist-electron/ meanwhile (a test laying out
// the app) sees the old bundle or the new one, never half of one.
const out = join(root, 'dist-electron');
const fresh = `${out}.new-${process.pid}`;
const old = `${out}.old-${process.pid}`;
rmSync(fresh, { recursive: true, force: true });

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

try {
  renameSync(out, old);
} catch (err) {
  if (err.code !== 'ENOENT') throw err;
}
try {
  renameSync(fresh, out);
} catch (err) {
  // Another build of the same sources landed first: keep that one.
  if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
}
rmSync(fresh, { recursive: true, force: true });
rmSync(old, { recursive: true, force: true });
