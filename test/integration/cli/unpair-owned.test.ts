/**
 * `twinlock unpair` takes back only the link addresses Twinlock added. On `matched-pair` the
 * admin set the sync links' addresses (10.10.x) long before Twinlock: pairing and unpairing leave
 * them where they were. On `unaddressed-links` the pairing's proposal gives the links their
 * addresses: unpairing removes exactly those, and each server's record of them
 * (C:\ProgramData\Twinlock\link-addresses.json) ends empty. The lab's host state is the witness.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LINK_ADDRESS_RECORD, readLinkAddressRecord } from '../../../lab/handlers/link-address';
import type { Lab, LabHost } from '../../../lab/index';
import { startLab } from '../../../lab/index';
import { runTwinlock, shippedManifest } from './twinlock';

const pairOf = (h: LabHost) => (h.agentStatus()?.pair ?? null) as { name: string; state: string } | null;
const last = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, any>;
/** The addresses on the sync-link adapters, from the lab's host state. */
const linkAddresses = (h: LabHost) =>
  h.profile.nics
    .filter((n) => n.name.startsWith('SLOT 3'))
    .flatMap((n) => n.ipv4.map((ip) => `${n.name} ${ip.address}/${ip.prefixLength}`));
/** What the server's record says Twinlock added. */
const recorded = (h: LabHost) =>
  readLinkAddressRecord(h)
    .map((e) => `${e.adapter} ${e.address}/${e.prefixLength}`)
    .sort();

/** A lab with the agent installed by the command line, and a `twinlock` bound to its data folder. */
function labOf(profile: string) {
  const ctx = {} as {
    lab: Lab;
    home: string;
    hosts: [string, string];
    twinlock: (args: string[]) => ReturnType<typeof runTwinlock>;
    A: () => LabHost;
    B: () => LabHost;
  };
  beforeAll(async () => {
    ctx.lab = await startLab({ profile, timeScale: 60, latencyMs: 1 });
    ctx.home = mkdtempSync(join(tmpdir(), `twinlock-cli-unpair-${profile}-`));
    ctx.hosts = ctx.lab.hosts.map((h) => `${h.address}:${h.port}`) as [string, string];
    ctx.twinlock = (args) =>
      runTwinlock(args, { TWINLOCK_HOME: ctx.home, TWINLOCK_PASSWORD: ctx.lab.hosts[0]!.password });
    ctx.A = () => ctx.lab.host('TL-NODE-A');
    ctx.B = () => ctx.lab.host('TL-NODE-B');
    const install = await ctx.twinlock([
      'install',
      ...ctx.hosts,
      '--trust-new',
      '--trust-publisher',
      shippedManifest.signer.thumbprint,
      '--json',
    ]);
    expect(install.code, install.stdout).toBe(0);
  });
  afterAll(async () => {
    await ctx.lab?.close();
    if (ctx.home) rmSync(ctx.home, { recursive: true, force: true });
  });
  return ctx;
}

describe('matched-pair: link addresses the admin set', () => {
  const t = labOf('matched-pair');

  it('pairs over them without recording them, and unpairing leaves them in place', async () => {
    const before = { a: linkAddresses(t.A()), b: linkAddresses(t.B()) };
    expect(before.a).toEqual(['SLOT 3 Port 1 10.10.1.21/24', 'SLOT 3 Port 2 10.10.2.21/24']);
    const paired = await t.twinlock([...['pair', ...t.hosts], '--name', 'KEEP-01', '--no-witness', '--json']);
    expect(paired.code, paired.stderr + paired.stdout).toBe(0);
    expect(pairOf(t.A())).toMatchObject({ name: 'KEEP-01', state: 'protected' });
    // Nothing was added, so nothing is Twinlock's.
    expect(recorded(t.A())).toEqual([]);
    expect(recorded(t.B())).toEqual([]);

    const refused = await t.twinlock(['unpair', ...t.hosts]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Plan: unpair KEEP-01 from TL-NODE-A and TL-NODE-B');
    expect(refused.stderr).toContain(
      'SLOT 3 Port 1 on TL-NODE-A keeps 10.10.1.21: it was there before Twinlock',
    );
    expect(refused.stderr).toContain(
      'SLOT 3 Port 2 on TL-NODE-B keeps 10.10.2.22: it was there before Twinlock',
    );
    expect(refused.stderr).not.toContain('Remove the sync-link address');

    const run = await t.twinlock(['unpair', ...t.hosts, '--yes', '--json']);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(last(run.stdout)).toEqual([
      {
        computerName: 'TL-NODE-A',
        pair: 'KEEP-01',
        unprotected: ['SQL01', 'APP01', 'FILE01'],
        removed: true,
      },
      { computerName: 'TL-NODE-B', pair: null, unprotected: [], removed: false },
    ]);
    expect(pairOf(t.A())).toBeNull();
    expect(pairOf(t.B())).toBeNull();
    expect(linkAddresses(t.A())).toEqual(before.a);
    expect(linkAddresses(t.B())).toEqual(before.b);
  });
});

describe('unaddressed-links: link addresses the pairing proposed and set', () => {
  const t = labOf('unaddressed-links');

  it('unpairing removes exactly the addresses Twinlock added, and empties the record', async () => {
    const paired = await t.twinlock([...['pair', ...t.hosts], '--name', 'OWN-01', '--no-witness', '--json']);
    expect(paired.code, paired.stderr + paired.stdout).toBe(0);
    expect(pairOf(t.A())).toMatchObject({ name: 'OWN-01', state: 'protected' });
    const added = { a: recorded(t.A()), b: recorded(t.B()) };
    expect(added.a.length).toBeGreaterThan(0);
    expect(added.b.length).toBe(added.a.length);
    // What the record holds is what the pairing put on the adapters.
    expect(linkAddresses(t.A()).sort()).toEqual(added.a);
    expect(linkAddresses(t.B()).sort()).toEqual(added.b);
    for (const e of readLinkAddressRecord(t.A())) expect(Date.parse(e.addedAt)).not.toBeNaN();

    const run = await t.twinlock(['unpair', ...t.hosts, '--yes', '--json']);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(pairOf(t.A())).toBeNull();
    expect(pairOf(t.B())).toBeNull();
    expect(linkAddresses(t.A())).toEqual([]);
    expect(linkAddresses(t.B())).toEqual([]);
    expect(t.A().fileExists(LINK_ADDRESS_RECORD)).toBe(true);
    expect(recorded(t.A())).toEqual([]);
    expect(recorded(t.B())).toEqual([]);
  });
});
