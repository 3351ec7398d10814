#!/usr/bin/env node
// The `twinlock` command: the bundled CLI in dist-cli/ (scripts/build-cli.mjs), plain JavaScript.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = new URL('../dist-cli/twinlock.mjs', import.meta.url);
if (!existsSync(bundle)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  process.stderr.write(
    `Twinlock's command line has not been built yet (${fileURLToPath(bundle)} is missing).\n` +
      `Build it with:  npm run build:cli   (in ${root}; npm ci and npm install build it too)\n`,
  );
  process.exit(1);
}
await import(bundle.href);
