/**
 * `twinlock pair`'s choices against the lab: the witness must be chosen (or refused explicitly,
 * with the split-brain warning), VMs are named verbatim and checked against the primary, the link
 * range and the level are the admin's to change, and a level verification failed is refused.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../../lab/index';
import { startLab } from '../../../lab/index';
import { runTwinlock } from './twinlock';

let home: string;
let lab: Lab;
let stepping: Lab;

const run = (l: Lab, args: string[]) =>
  runTwinlock(args, { TWINLOCK_HOME: home, TWINLOCK_PASSWORD: l.hosts[0]!.password });
const targets = (l: Lab) => l.hosts.slice(0, 2).map((h) => `${h.address}:${h.port}`);
const errorOf = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!).error;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'twinlock-cli-pair-choices-'));
  [lab, stepping] = await Promise.all([
    startLab({ profile: 'matched-pair' }),
    startLab({ profile: 'stepping-mismatch' }),
  ]);
});

afterAll(async () => {
  await Promise.all([lab?.close(), stepping?.close()]);
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('twinlock pair: choices', () => {
  it('refuses without --witness or --no-witness, with the fix, before reaching any server', async () => {
    const r = await run(lab, ['pair', ...targets(lab), '--json']);
    expect(r.code).toBe(1);
    const error = errorOf(r.stdout);
    expect(error.code).toBe('invalid-input');
    expect(error.message).toContain('Choose the quorum witness: --witness host:NAME[:PORT]');
    expect(error.message).toContain('--no-witness');
    expect(error.detail.field).toBe('witness');
    // Nothing was reached: no host key pinned.
    expect(existsSync(join(home, 'known_hosts.json'))).toBe(false);
  });

  it('refuses a malformed --witness naming the flag', async () => {
    const r = await run(lab, ['pair', ...targets(lab), '--witness', 'witness01', '--json']);
    expect(r.code).toBe(1);
    expect(errorOf(r.stdout).message).toContain(
      '--witness “witness01” is not valid: it takes host:NAME[:PORT]',
    );
  });

  it('--no-witness prints the split-brain warning in plain words', async () => {
    // The agent is not installed: the pairing is refused afterwards, but the warning came first.
    const r = await run(lab, ['pair', ...targets(lab), '--no-witness', '--trust-new']);
    expect(r.stderr).toContain('Warning: no witness.');
    expect(r.stderr).toContain('both may keep running the VMs');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('The Twinlock agent is not installed');
  });

  it('refuses a --vm the primary does not have, listing the VMs it has', async () => {
    const r = await run(lab, [
      'pair',
      ...targets(lab),
      '--witness',
      'share:\\\\TL-WITNESS\\twinlock-witness',
      '--vm',
      'SQL01',
      '--vm',
      'sql02',
      '--trust-new',
      '--json',
    ]);
    expect(r.code).toBe(1);
    const error = errorOf(r.stdout);
    expect(error.detail.field).toBe('vm');
    expect(error.message).toContain('--vm "sql02": the primary has no VM of that name');
    expect(error.message).toContain('its VMs are "SQL01", "APP01", "FILE01"');
  });

  it('refuses a bad --link-range: its form on the command line, a public range in the engine', async () => {
    const form = await run(lab, [
      'pair',
      ...targets(lab),
      '--no-witness',
      '--link-range',
      '172.30.0.0',
      '--json',
    ]);
    expect(errorOf(form.stdout).message).toContain('--link-range “172.30.0.0” is not valid');
    const open = await run(lab, [
      'pair',
      ...targets(lab),
      '--no-witness',
      '--link-range',
      '8.8.8.0/24',
      '--trust-new',
      '--json',
    ]);
    expect(open.code).toBe(1);
    expect(errorOf(open.stdout).message).toMatch(/^linkRange: 8\.8\.8\.0\/24 is not a private range/);
  });

  it('refuses --level 3 on servers that fail Level 3, saying why and what they pass', async () => {
    const r = await run(stepping, [
      'pair',
      ...targets(stepping),
      '--no-witness',
      '--level',
      '3',
      '--trust-new',
      '--json',
    ]);
    expect(r.code).toBe(1);
    const error = errorOf(r.stdout);
    expect(error.detail.field).toBe('level');
    expect(error.message).toMatch(
      /^--level 3: the servers did not pass verification at Level 3: .*stepping/i,
    );
    expect(error.hint).toContain('--level 2');
  });
});
