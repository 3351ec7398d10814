/**
 * Builds the `twinlock` bundle (dist-cli/) before the integration tests spawn it, so that a test
 * never runs a bundle older than the code it checks (`npm test` builds it too).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const built = spawnSync(process.execPath, [join(root, 'scripts', 'build-cli.mjs'), '--quiet'], { cwd: root, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`scripts/build-cli.mjs failed: ${built.stderr || built.stdout}`);
}
