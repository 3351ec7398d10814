/**
 * `twinlock verify` against the lab: exit 0 when ready, 2 on a blocker, 1 on an error; `--report`
 * writes JSON, HTML (and PDF where a Chromium-family browser exists); a lab started with
 * `twinlock lab start --profile-file` serves any profile pair.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../../lab/index';
import { startLab } from '../../../lab/index';
import { browserCandidates } from '../../../engine/verify/report';
import { bin, root, runTwinlock } from './twinlock';

let home: string;
let lab: Lab;
const children: ChildProcess[] = [];

const twinlock = (args: string[], password: string) =>
  runTwinlock(args, { TWINLOCK_HOME: home, TWINLOCK_PASSWORD: password });

const target = (i: number) => `${lab.hosts[i]!.address}:${lab.hosts[i]!.port}`;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'twinlock-cli-verify-'));
  lab = await startLab({ profile: 'matched-pair' });
});

afterAll(async () => {
  for (const c of children) c.kill('SIGINT');
  await lab?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('twinlock verify', () => {
  it('exits 0 on a ready pair and writes the report the extension names', async () => {
    const json = join(home, 'report.json');
    const html = join(home, 'report.html');
    const first = await twinlock(
      ['verify', target(0), target(1), '--level', '3', '--trust-new', '--json', '--report', json],
      lab.hosts[0]!.password,
    );
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout.trim()).verdict).toBe('Ready for Level 3');
    expect(JSON.parse(readFileSync(json, 'utf8')).outcome).toBe('ready');
    const second = await twinlock(['verify', target(0), target(1), '--report', html], lab.hosts[0]!.password);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('Ready for Level 3');
    expect(readFileSync(html, 'utf8')).toContain('<h2>Side by side</h2>');
  });

  it('exits 2 on a blocker', async () => {
    lab.host('TL-NODE-B').faults.clockSkewSeconds = 600;
    try {
      const run = await twinlock(['verify', target(0), target(1), '--level', '2'], lab.hosts[0]!.password);
      expect(run.code).toBe(2);
      expect(run.stdout).toMatch(/^Not ready: 1 blocker/);
      expect(run.stdout).toContain('Clock difference');
    } finally {
      lab.host('TL-NODE-B').faults.clockSkewSeconds = 0;
    }
  });

  it('exits 1 on an error, and on a report name it cannot write', async () => {
    const bad = await twinlock(['verify', target(0), target(1)], '');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('No password');
    const ext = await twinlock(
      ['verify', target(0), target(1), '--report', join(home, 'report.docx')],
      lab.hosts[0]!.password,
    );
    expect(ext.code).toBe(1);
    expect(ext.stderr).toContain('.json, .html or .pdf');
  });

  it.skipIf(!browserCandidates().some((p) => existsSync(p)))('writes a PDF', async () => {
    const pdf = join(home, 'report.pdf');
    const run = await twinlock(['verify', target(0), target(1), '--report', pdf], lab.hosts[0]!.password);
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(pdf).subarray(0, 5).toString()).toBe('%PDF-');
  });
});

describe('twinlock lab start --profile-file', () => {
  it('serves the pair of any profile file', async () => {
    const file = join(root, 'lab', 'profiles', 'single-nic.json');
    const child = spawn(process.execPath, [bin, 'lab', 'start', '--json', '--profile-file', file], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const line = await new Promise<{ hosts: Array<{ address: string; port: number; password: string }> }>(
      (resolve, reject) => {
        let buffer = '';
        child.stdout.on('data', (d) => {
          buffer += d;
          const nl = buffer.indexOf('\n');
          if (nl >= 0) resolve(JSON.parse(buffer.slice(0, nl)));
        });
        child.on('exit', (code) => reject(new Error(`the lab exited early (${code})`)));
      },
    );
    const [a, b] = line.hosts;
    const run = await twinlock(
      ['verify', `${a!.address}:${a!.port}`, `${b!.address}:${b!.port}`, '--trust-new', '--json'],
      a!.password,
    );
    expect(run.code).toBe(2);
    const report = JSON.parse(run.stdout.trim());
    expect(
      report.findings
        .filter((f: { severity: string }) => f.severity === 'blocker')
        .map((f: { ruleId: string }) => f.ruleId),
    ).toEqual(['network.sync-nics']);
  });
});
