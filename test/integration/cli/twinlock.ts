/** Runs the `twinlock` command as an admin would, for the CLI tests. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../..', import.meta.url));
export const bin = join(root, 'bin', 'twinlock.js');

/** The shipped agent package's manifest: what an admin compares before `--trust-publisher`. */
export const shippedManifest = JSON.parse(
  readFileSync(join(root, 'resources', 'agent', 'agent-manifest.json'), 'utf8'),
) as {
  version: string;
  sha256: string;
  file: string;
  signer: { subject: string; thumbprint: string };
};

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `twinlock args…` to its end; `env` adds to this process's environment (undefined removes a variable). */
export function runTwinlock(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) merged[k] = v;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: root,
      env: merged,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
