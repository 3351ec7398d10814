/** Runs the `twinlock` command as an admin would, for the CLI tests. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../..', import.meta.url));
export const bin = join(root, 'bin', 'twinlock.js');

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
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: merged, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
