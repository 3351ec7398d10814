#!/usr/bin/env node
// Bundles the `twinlock` command into dist-cli/: twinlock.mjs (ES module) from cli/main.ts and
// everything it imports, with the parts loaded on demand (the lab, the browser shell, SSH, the
// installer…) split into chunks beside it, so that `twinlock --version` loads only what it needs.
// Packages from node_modules stay external: they are the package's own dependencies, and native
// ones (ssh2's optional crypto binding) cannot be bundled anyway.
//
// Run by `npm ci` / `npm install` (the `prepare` script), by `npm test` and by the test run's
// global setup, so the bundle a test spawns is never older than the code. Built into a fresh
// folder, then moved into place: a process starting meanwhile sees the old bundle or the new one.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildInto } from './swap-in.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'dist-cli');
const quiet = process.argv.includes('--quiet');
const EXTERNAL = ['ssh2', 'node-ssh', 'ws', 'cpu-features'];

// esbuild is a development dependency: an install without them (npm ci --omit=dev) cannot build,
// and `prepare` (--if-possible) then leaves it to bin/twinlock.js to say what to run.
let build;
try {
  ({ build } = await import('esbuild'));
} catch (err) {
  if (err.code !== 'ERR_MODULE_NOT_FOUND') throw err;
  process.stderr.write(
    'The twinlock command was not built: esbuild (a development dependency) is not installed. Run npm ci, then npm run build:cli.\n',
  );
  process.exit(process.argv.includes('--if-possible') ? 0 : 1);
}

/**
 * `import { z } from 'zod'` binds zod's namespace object, which a bundler cannot shake: every
 * schema kind, JSON Schema converter and locale would be parsed at each start. The same exports
 * imported as a namespace (`import * as z from 'zod'`, zod's own entry) are shaken to what the code
 * uses (about a fifth). Sources are left as they are; only the bundle's view of the import changes.
 */
const zodNamespace = {
  name: 'zod-namespace',
  setup(b) {
    b.onLoad({ filter: /[\\/](cli|engine|lab|server)[\\/].*\.ts$/ }, async (args) => ({
      contents: (await readFile(args.path, 'utf8')).replace(
        /^import \{ z \} from 'zod';$/gm,
        "import * as z from 'zod';",
      ),
      loader: 'ts',
    }));
  },
};

await buildInto(out, async (fresh) => {
  await build({
    absWorkingDir: root,
    entryPoints: { twinlock: 'cli/main.ts' },
    outdir: fresh,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Pure JavaScript packages are bundled in: one file loads faster than Node resolving the many
    // modules zod or commander are made of. ssh2 (native binding) and the packages that load it,
    // and ws (optional native helpers), stay in node_modules.
    external: EXTERNAL,
    // Bundled CommonJS packages call require(); give the ES module bundle one.
    banner: {
      js: "import { createRequire as __twinlockRequire } from 'node:module'; const require = __twinlockRequire(import.meta.url);",
    },
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    // Smaller to parse at every start; stack traces map back to cli/ and engine/ through the map.
    minify: true,
    sourcemap: true,
    plugins: [zodNamespace],
    logLevel: 'warning',
  });
});
if (!quiet) console.log(`Built ${join('dist-cli', 'twinlock.mjs')} (the twinlock command).`);
