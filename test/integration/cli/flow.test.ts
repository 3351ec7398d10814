/**
 * The CLI does the wizard's whole flow against a lab started with `twinlock lab start --json`,
 * then replays the exported bundle on a second pair.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, root, runTwinlock } from './twinlock';

interface LabLine {
  hosts: Array<{
    name: string;
    address: string;
    port: number;
    username: string;
    password: string;
    fingerprint: string;
  }>;
}

let home: string;
const labs: ChildProcess[] = [];

const twinlock = (args: string[], env: Record<string, string> = {}) =>
  runTwinlock(args, { TWINLOCK_HOME: home, ...env });

function startLabProcess(): Promise<LabLine> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'lab', 'start', '--json'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    labs.push(child);
    let buffer = '';
    child.stdout.on('data', (d) => {
      buffer += d;
      const newline = buffer.indexOf('\n');
      if (newline >= 0) resolve(JSON.parse(buffer.slice(0, newline)) as LabLine);
    });
    child.on('exit', (code) => reject(new Error(`the lab exited early (${code})`)));
  });
}

const ndjson = (text: string): any[] =>
  text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));

let lab: LabLine;
let a: string;
let b: string;
let env: Record<string, string>;
let thumbprint: string;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'twinlock-cli-'));
  lab = await startLabProcess();
  [a, b] = lab.hosts.map((h) => `${h.address}:${h.port}`) as [string, string];
  env = { TWINLOCK_PASSWORD: lab.hosts[0]!.password };
});

afterAll(() => {
  for (const child of labs) child.kill('SIGINT');
  rmSync(home, { recursive: true, force: true });
});

describe('twinlock CLI against `twinlock lab start --json`', () => {
  it('prints the lab hosts as its first JSON line', () => {
    expect(lab.hosts).toHaveLength(2);
    for (const host of lab.hosts) {
      expect(host.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
      expect(host.username).toBe('Administrator');
    }
  });

  it('refuses an unknown host key and prints the fingerprint to compare', async () => {
    const run = await twinlock(['inventory', a, '--user', 'Administrator', '--json'], env);
    expect(run.code).toBe(1);
    const { error } = JSON.parse(run.stdout);
    expect(error.code).toBe('unknown-host-key');
    expect(error.detail.fingerprint).toBe(lab.hosts[0]!.fingerprint);
  });

  it('asks for a password from the environment or stdin, never a flag', async () => {
    const run = await twinlock(['inventory', a, '--trust-new', '--json'], { TWINLOCK_PASSWORD: '' });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).error.hint).toMatch(/TWINLOCK_PASSWORD/);
  });

  it('fails as unreachable, naming the server, when one of the two servers does not answer', async () => {
    const run = await twinlock(
      ['verify', a, '127.0.0.1:1', '--trust-new', '--timeout', '2000', '--json'],
      env,
    );
    expect(run.code).toBe(1);
    const { error } = JSON.parse(run.stdout);
    expect(error.code).toBe('unreachable');
    expect(error.message).toContain('127.0.0.1 on port 1');
  });

  it('calls a malformed --fingerprint malformed and shows the expected form', async () => {
    const good = lab.hosts[0]!.fingerprint;
    for (const bad of [
      'SHA256:short',
      `${good}=`,
      good.replace('SHA256:', 'sha256:'),
      `MD5:${good.slice(7)}`,
      ` ${good}`,
      '',
    ]) {
      const run = await twinlock(['inventory', a, '--fingerprint', bad, '--json'], env);
      expect(run.code, bad).toBe(1);
      const { error } = JSON.parse(run.stdout);
      expect(error.code, bad).toBe('invalid-input');
      expect(error.message, bad).toContain('--fingerprint');
      expect(error.message, bad).toContain(
        'is malformed: a host-key fingerprint is SHA256: followed by 43 base64 characters',
      );
      expect(error.detail.field).toBe('fingerprint');
    }
  });

  it('reads an inventory once the key is accepted by fingerprint', async () => {
    const run = await twinlock(['inventory', a, '--fingerprint', lab.hosts[0]!.fingerprint, '--json'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const inventory = JSON.parse(run.stdout);
    expect(inventory.computerName).toBe(lab.hosts[0]!.name);
    expect(inventory.os.build).toBe(20348);
  });

  it('verifies the pair (exit 0 when ready)', async () => {
    const run = await twinlock(['verify', a, b, '--trust-new', '--level', '3', '--json'], env);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).verdict).toBe('Ready for Level 3');
  });

  it('shows the package’s publisher on first use and installs only once it is trusted', async () => {
    const asked = await twinlock(['install', a, b, '--json'], env);
    expect(asked.code).toBe(1);
    const { error } = JSON.parse(asked.stdout.trim().split('\n').at(-1)!);
    expect(error.code).toBe('publisher-untrusted');
    expect(error.detail.subject).toBe('CN=Twinlock Software, O=Twinlock, C=US');
    thumbprint = error.detail.thumbprint;
    expect(error.hint).toContain(`--trust-publisher ${thumbprint}`);
  });

  it('installs the agent on both with NDJSON progress', async () => {
    const run = await twinlock(['install', a, b, '--trust-publisher', thumbprint, '--json'], env);
    expect(run.code).toBe(0);
    const lines = ndjson(run.stdout);
    expect(
      lines.some(
        (l) => l.event === 'progress' && Object.values(l.hosts).some((h: any) => h.step === 'upload'),
      ),
    ).toBe(true);
    const result = lines.at(-1);
    expect(result.result.map((o: any) => o.action)).toEqual(['installed', 'installed']);
  });

  it('pairs them to protected, exports the bundle, and status agrees', async () => {
    const bundle = join(home, 'pair-01.twinlock.json');
    const run = await twinlock(
      [
        'pair',
        a,
        b,
        '--name',
        'PAIR-01',
        '--witness',
        'share:\\\\TL-WITNESS\\twinlock-witness',
        '--bundle',
        bundle,
        '--json',
      ],
      env,
    );
    expect(run.code).toBe(0);
    const result = ndjson(run.stdout).at(-1);
    expect(result.result.state).toBe('protected');
    expect(result.bundle).toBe(bundle);
    expect(existsSync(bundle)).toBe(true);

    const status = await twinlock(['status', b, '--json'], env);
    expect(status.code).toBe(0);
    const parsed = JSON.parse(status.stdout);
    expect(parsed.role).toBe('secondary');
    expect(parsed.pair.state).toBe('protected');
  });

  it('applies the same pair again without harm', async () => {
    const run = await twinlock(
      ['pair', a, b, '--name', 'PAIR-01', '--witness', 'share:\\\\TL-WITNESS\\twinlock-witness', '--json'],
      env,
    );
    expect(run.code).toBe(0);
    expect(ndjson(run.stdout).at(-1).result.state).toBe('protected');
  });

  it('replays the bundle on a second pair, unattended', async () => {
    const second = await startLabProcess();
    const [c, d] = second.hosts.map((h) => `${h.address}:${h.port}`) as [string, string];
    const run = await twinlock(
      ['apply', join(home, 'pair-01.twinlock.json'), c, d, '--name', 'PAIR-02', '--trust-new', '--json'],
      { TWINLOCK_PASSWORD: second.hosts[0]!.password },
    );
    expect(run.code).toBe(0);
    const result = ndjson(run.stdout).at(-1);
    expect(result.result.state).toBe('protected');
    expect(existsSync(result.bundle)).toBe(true);
  });

  it('lists the publisher the admin trusted', async () => {
    const run = await twinlock(['keys', 'publishers', 'list', '--json']);
    expect(JSON.parse(run.stdout).map((p: { thumbprint: string }) => p.thumbprint)).toEqual([thumbprint]);
  });

  it('lists pinned keys and forgets one', async () => {
    const list = await twinlock(['hosts', 'list', '--json']);
    expect(JSON.parse(list.stdout).map((k: any) => k.host)).toEqual(expect.arrayContaining([a, b]));
    const forget = await twinlock(['hosts', 'forget', a, '--json']);
    expect(JSON.parse(forget.stdout)).toEqual({ forgotten: true });
    const again = await twinlock(['inventory', a, '--json'], env);
    expect(JSON.parse(again.stdout).error.code).toBe('unknown-host-key');
  });

  it('refuses a tampered bundle', async () => {
    const { readFileSync, writeFileSync } = await import('node:fs');
    const path = join(home, 'pair-01.twinlock.json');
    const tampered = join(home, 'tampered.twinlock.json');
    const original = readFileSync(path, 'utf8');
    const changed = original.replace(/"level":\s*3/, '"level": 1');
    expect(changed).not.toBe(original);
    writeFileSync(tampered, changed);
    const run = await twinlock(['apply', tampered, a, b, '--json'], env);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).error.code).toBe('bundle-invalid');
  });
});
