/**
 * `--identity`: every verb that reaches a server can log on with a private key instead of a
 * password; `twinlock lab start --authorized-key` lets the lab's administrator in with its public key.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newHostKey } from '../../../lab/host-key';
import { bin, root, runTwinlock } from './twinlock';

const home = mkdtempSync(join(tmpdir(), 'twinlock-cli-identity-'));
const key = newHostKey();
const keyFile = join(home, 'id_ed25519');
let lab: ChildProcess;
let hosts: Array<{ name: string; address: string; port: number; fingerprint: string }>;

const twinlock = (args: string[]) => runTwinlock(args, { TWINLOCK_HOME: home, TWINLOCK_PASSWORD: undefined });

beforeAll(async () => {
  writeFileSync(keyFile, key.private, { mode: 0o600 });
  writeFileSync(`${keyFile}.pub`, `${key.public.trim()} admin@workstation\n`);
  lab = spawn(process.execPath, [bin, 'lab', 'start', '--json', '--authorized-key', `${keyFile}.pub`], {
    cwd: root,
    env: { ...process.env, TWINLOCK_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const first = await new Promise<string>((resolve) =>
    createInterface({ input: lab.stdout! }).once('line', resolve),
  );
  hosts = (JSON.parse(first) as { hosts: typeof hosts }).hosts;
});

afterAll(() => {
  lab?.kill('SIGINT');
  rmSync(home, { recursive: true, force: true });
});

describe('twinlock --identity', () => {
  it('reads a server’s inventory with the key, no password anywhere', async () => {
    const h = hosts[0]!;
    const run = await twinlock([
      'inventory',
      `${h.address}:${h.port}`,
      '--identity',
      keyFile,
      '--fingerprint',
      h.fingerprint,
      '--json',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ computerName: h.name });
  });

  it('says which option is wrong when the key file is missing or is the public half', async () => {
    const h = hosts[1]!;
    const missing = await twinlock([
      'inventory',
      `${h.address}:${h.port}`,
      '--identity',
      join(home, 'nope'),
      '--fingerprint',
      h.fingerprint,
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`--identity: ${join(home, 'nope')} does not exist.`);
    expect(missing.stderr).not.toContain('ENOENT');
    const pub = await twinlock([
      'inventory',
      `${h.address}:${h.port}`,
      '--identity',
      `${keyFile}.pub`,
      '--fingerprint',
      h.fingerprint,
    ]);
    expect(pub.code).toBe(1);
    expect(pub.stderr).toContain('this is a public key');
  });
});
