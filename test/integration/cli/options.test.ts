/**
 * Option values are checked as the command line is read: a bad one is refused with
 * `invalid-input`, naming the flag and what it takes, exit 1 — before any server is reached, so
 * nothing is pinned, journalled or changed.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../../lab/index';
import { startLab } from '../../../lab/index';
import { runTwinlock } from './twinlock';

let home: string;
let lab: Lab;

const twinlock = (args: string[]) =>
  runTwinlock(args, { TWINLOCK_HOME: home, TWINLOCK_PASSWORD: lab.hosts[0]!.password });

const target = (i: number) => `${lab.hosts[i]!.address}:${lab.hosts[i]!.port}`;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'twinlock-cli-options-'));
  lab = await startLab({ profile: 'matched-pair' });
});

afterAll(async () => {
  await lab?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

/** Each bad value, the verb it is given to, and what the message must say the flag takes. */
const refused: Array<{ args: () => string[]; flag: string; accepted: string }> = [
  { args: () => ['verify', target(0), target(1), '--level', '7'], flag: '--level', accepted: '1, 2 or 3' },
  { args: () => ['verify', target(0), target(1), '--level', 'x'], flag: '--level', accepted: '1, 2 or 3' },
  { args: () => ['pair', target(0), target(1), '--level', '0'], flag: '--level', accepted: '1, 2 or 3' },
  {
    args: () => ['verify', target(0), target(1), '--report', 'report.docx'],
    flag: '--report',
    accepted: '.json, .html or .pdf',
  },
  {
    args: () => ['inventory', target(0), '--timeout', '10'],
    flag: '--timeout',
    accepted: 'a whole number of milliseconds from 500 to 120000',
  },
  {
    args: () => ['inventory', target(0), '--fingerprint', 'SHA256:short'],
    flag: '--fingerprint',
    accepted: 'SHA256: followed by 43 base64 characters',
  },
  { args: () => ['scan', '10.0.0.1', '--ports', '70000'], flag: '--ports', accepted: '1 to 65535' },
  {
    args: () => ['scan', '10.0.0.1', '--concurrency', '0'],
    flag: '--concurrency',
    accepted: 'a whole number from 1 to 4096',
  },
  { args: () => ['scan', '10.0.0.1', '--timeout', '1.5'], flag: '--timeout', accepted: 'whole number' },
  {
    args: () => ['scan', '10.0.0.1', '--timeout', '10'],
    flag: '--timeout',
    accepted: 'a whole number of milliseconds from 50 to 60000',
  },
];

describe('option values checked up front', () => {
  it.each(refused)(
    'refuses a bad $flag with invalid-input, in JSON with --json',
    async ({ args, flag, accepted }) => {
      const run = await twinlock([...args(), '--trust-new', '--json']);
      expect(run.code, run.stderr).toBe(1);
      const { error } = JSON.parse(run.stdout.trim());
      expect(error.code).toBe('invalid-input');
      expect(error.message).toContain(flag);
      expect(error.message).toContain(accepted);
      expect(error.message).not.toContain('unexpected problem');
      expect(error.hint).toContain(flag);
      expect(error.detail.field).toBe(flag.replace(/^--/, ''));
      expect(run.stderr).toBe('');
    },
  );

  it('says it in words without --json, with the hint and no stack trace', async () => {
    const run = await twinlock(['verify', target(0), target(1), '--level', '7', '--trust-new']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'error: --level “7” is not valid: it takes a protection level: 1, 2 or 3.\nhint: For example --level 3.\n',
    );
  });

  it('refuses a bad --port of twinlock serve before anything listens', async () => {
    const run = await twinlock(['serve', '--port', '70000']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--port “70000” is not valid: it takes a TCP port from 1 to 65535');
    expect(run.stdout).toBe('');
  });

  it.each([
    { args: ['--port', '2222'], says: '--port 2222 would give 2 servers on 127.0.0.1 the same port' },
    { args: ['--profile', 'nope'], says: '--profile “nope” is not a lab profile: it takes one of' },
    { args: ['--profile-file', join(tmpdir(), 'no-such-profile.json')], says: 'does not exist' },
    {
      args: ['--hosts', '16', '--address-base', '127.255.255.240'],
      says: 'leaves no room for 16 servers',
    },
  ])('refuses twinlock lab start $args with invalid-input, not an internal error', async ({ args, says }) => {
    const run = await twinlock(['lab', 'start', ...args, '--json']);
    expect(run.code).toBe(1);
    const { error } = JSON.parse(run.stdout.trim());
    expect(error.code).toBe('invalid-input');
    expect(error.message).toContain(says);
    expect(error.hint).toBeTruthy();
  });

  it('changed nothing: no server was reached, so no host key is pinned and no state was written', async () => {
    expect(readdirSync(home)).toEqual([]);
    const pinned = await twinlock(['hosts', 'list', '--json']);
    expect(pinned.code).toBe(0);
    expect(JSON.parse(pinned.stdout)).toEqual([]);
  });

  it('still takes the good values', async () => {
    const run = await twinlock([
      'verify',
      target(0),
      target(1),
      '--level',
      '2',
      '--timeout',
      '15000',
      '--trust-new',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).verdict).toBe('Ready for Level 2');
  });
});
