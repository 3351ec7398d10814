/**
 * `twinlock install` killed mid-upload, then `twinlock install --resume`: the second run finds the
 * journal, asks for nothing but the password, and finishes without starting the upload over.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../../lab/index';
import { makePackage, startLab } from '../../../lab/index';
import { waitFor } from '../../helpers/wait-for';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const bin = join(root, 'bin', 'twinlock.js');
const SIZE = 32 * 1024 * 1024;

let lab: Lab;
let home: string;
let pkgDir: string;
let thumbprint: string;

beforeAll(async () => {
  lab = await startLab({ profile: 'matched-pair', timeScale: 600, latencyMs: 2 });
  home = mkdtempSync(join(tmpdir(), 'twinlock-cli-resume-'));
  pkgDir = mkdtempSync(join(tmpdir(), 'twinlock-cli-pkg-'));
  thumbprint = makePackage({ outDir: pkgDir, sizeBytes: SIZE }).manifest.signer.thumbprint;
});

afterAll(async () => {
  await lab?.close();
  rmSync(home, { recursive: true, force: true });
  rmSync(pkgDir, { recursive: true, force: true });
});

function twinlock(args: string[]) {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: root,
    env: { ...process.env, TWINLOCK_HOME: home, TWINLOCK_PASSWORD: lab.hosts[0]!.password },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

describe('twinlock install --resume', () => {
  it('finishes an installation whose process was killed mid-upload', async () => {
    const [a, b] = lab.hosts.map((h) => `${h.address}:${h.port}`) as [string, string];
    const first = twinlock([
      'install',
      a,
      b,
      '--package',
      pkgDir,
      '--trust-new',
      '--trust-publisher',
      thumbprint,
      '--json',
    ]);
    const node = lab.host('TL-NODE-A');
    // Killed as soon as 4 MiB of the 32 have reached the first server (the lab counts each write).
    await waitFor(
      [
        { emitter: node, events: ['sftp-write'] },
        { emitter: first.child, events: ['exit'] },
      ],
      () => node.sftpBytesWritten >= 4 * 1024 * 1024,
      () =>
        first.child.exitCode !== null ? 'twinlock install exited before the upload was under way' : null,
    );
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(node.installedProducts()).toEqual([]);

    const second = await twinlock(['install', '--resume', '--json']).done;
    expect(second.code, second.stderr + second.stdout).toBe(0);
    const lines = second.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const progress = lines.filter((l) => l.event === 'progress');
    expect(progress.length).toBeGreaterThan(0);
    expect(lines.at(-1).result.map((o: { action: string }) => o.action)).toEqual(['installed', 'installed']);
    for (const name of ['TL-NODE-A', 'TL-NODE-B']) {
      expect(
        lab
          .host(name)
          .installedProducts()
          .map((p) => p.version),
      ).toEqual(['3.2.1']);
      expect(lab.host(name).sftpBytesWritten).toBeLessThan(SIZE + 2 * 1024 * 1024);
    }

    const nothing = await twinlock(['install', '--resume', '--json']).done;
    expect(nothing.code).toBe(1);
    expect(JSON.parse(nothing.stdout.trim()).error.code).toBe('not-found');
  });
});
