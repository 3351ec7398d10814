/**
 * Builds the bundles the integration tests run, before any of them starts: the `twinlock`
 * command (dist-cli/, spawned by the CLI tests) and the desktop bundle (dist-electron/, laid out
 * as the installed app by the packaging test), so that a test never runs a bundle older than the
 * code it checks. `npm test` builds the CLI first too. The agent package the bundles ship is made
 * before this runs (test/agent-package-setup.ts).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  for (const script of ['build-cli.mjs', 'build-electron.mjs']) {
    const built = spawnSync(process.execPath, [join(root, 'scripts', script), '--quiet'], {
      cwd: root,
      encoding: 'utf8',
    });
    if (built.status !== 0) throw new Error(`scripts/${script} failed: ${built.stderr || built.stdout}`);
  }
}
