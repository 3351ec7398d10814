/**
 * `twinlock plan`, `twinlock pair --plan` and `twinlock unpair` against the lab, on servers whose
 * sync-link adapters start without addresses (unaddressed-links): the plan lists every step with
 * its script; applying it sets the link addresses, pairs and protects; a plan made before an
 * adapter changed is refused with the difference named and nothing changed; a failed pairing
 * removes the addresses it set; unpairing leaves no pair and removes exactly the link addresses
 * Twinlock added (each server's record of them ends empty). The lab's host
 * state is the witness of every change.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PairConfig, Plan, TwinlockEngine } from '../../../engine/api';
import { PlanSchema } from '../../../engine/api/models';
import { createEngine } from '../../../engine/engine';
import type { Lab, LabHost } from '../../../lab/index';
import { startLab } from '../../../lab/index';
import { LINK_ADDRESS_RECORD, readLinkAddressRecord } from '../../../lab/handlers/link-address';
import { runTwinlock, shippedManifest } from './twinlock';

let lab: Lab;
let home: string;
let hosts: [string, string];
let engine: TwinlockEngine;
let ids: [string, string];

const env = () => ({ TWINLOCK_HOME: home, TWINLOCK_PASSWORD: lab.hosts[0]!.password });
const twinlock = (args: string[]) => runTwinlock(args, env());
const A = () => lab.host('TL-NODE-A');
const B = () => lab.host('TL-NODE-B');
const pairOf = (h: LabHost) => (h.agentStatus()?.pair ?? null) as { name: string; state: string } | null;
const last = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, any>;
/** The addresses on the sync-link adapters, from the lab's host state. */
const linkAddresses = (h: LabHost) =>
  h.profile.nics
    .filter((n) => n.name.startsWith('SLOT 3'))
    .flatMap((n) => n.ipv4.map((ip) => `${n.name} ${ip.address}/${ip.prefixLength}`));

/** The link addresses a server's record says Twinlock added (C:\\ProgramData\\Twinlock\\link-addresses.json). */
const recorded = (h: LabHost) =>
  readLinkAddressRecord(h)
    .map((e) => `${e.adapter} ${e.address}/${e.prefixLength}`)
    .sort();

/** Two links over the unaddressed ports, with the addresses given (the proposal of addresses is not this test's). */
const config = (name: string): PairConfig => ({
  name,
  level: 3,
  primary: ids[0],
  secondary: ids[1],
  links: [
    {
      localNic: 'SLOT 3 Port 1',
      remoteNic: 'SLOT 3 Port 1',
      localAddress: '172.30.1.1',
      remoteAddress: '172.30.1.2',
      prefixLength: 30,
    },
    {
      localNic: 'SLOT 3 Port 2',
      remoteNic: 'SLOT 3 Port 2',
      localAddress: '172.30.2.1',
      remoteAddress: '172.30.2.2',
      prefixLength: 30,
    },
  ],
  witness: { kind: 'host', address: 'TL-WITNESS' },
  vms: ['SQL01', 'APP01'],
});

/** A plan made by Twinlock for `name`, saved as `twinlock plan --out` saves it. */
async function savedPlan(name: string): Promise<{ plan: Plan; file: string }> {
  const plan = await engine.api.plan({ kind: 'pair', config: config(name) });
  const file = join(home, `${name}.plan.json`);
  writeFileSync(file, `${JSON.stringify(plan, null, 2)}\n`);
  return { plan, file };
}

beforeAll(async () => {
  lab = await startLab({ profile: 'unaddressed-links', timeScale: 60, latencyMs: 1 });
  home = mkdtempSync(join(tmpdir(), 'twinlock-cli-plan-'));
  hosts = lab.hosts.map((h) => `${h.address}:${h.port}`) as [string, string];
  const install = await twinlock([
    'install',
    ...hosts,
    '--trust-new',
    '--trust-publisher',
    shippedManifest.signer.thumbprint,
    '--json',
  ]);
  expect(install.code, install.stdout).toBe(0);
  // The plans are made by an engine on the same data folder (the same pinned keys) as the command line.
  engine = createEngine({ dataDir: home });
  const sessions = await Promise.all(
    lab.hosts.map((h) =>
      engine.api.connect({ address: h.address, port: h.port, username: h.username, password: h.password }),
    ),
  );
  ids = [sessions[0]!.sessionId, sessions[1]!.sessionId];
});

afterEach(() => {
  for (const h of [A(), B()]) {
    h.faults.protectFails = [];
    for (const n of h.profile.nics) n.status = 'Up';
  }
});

afterAll(async () => {
  await engine?.close();
  await lab?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('twinlock plan', () => {
  it('lists every step grouped by server with its script name and version, the totals and the hash, and changes nothing', async () => {
    // An admin gave the first ports addresses by hand: the proposal pairs over them, and proposes
    // addresses for the second ports, which have none.
    A().profile.nics[2]!.ipv4.push({ address: '10.99.1.21', prefixLength: 24 });
    B().profile.nics[2]!.ipv4.push({ address: '10.99.1.22', prefixLength: 24 });
    try {
      const out = join(home, 'proposed.plan.json');
      const run = await twinlock(['plan', ...hosts, '--name', 'PLAN-01', '--no-witness', '--out', out]);
      expect(run.code, run.stderr).toBe(0);
      const text = run.stdout;
      expect(text).toMatch(/^Plan: pair PLAN-01 at Level 3, TL-NODE-A primary, TL-NODE-B secondary/);
      expect(text.indexOf('TL-NODE-A (primary')).toBeLessThan(text.indexOf('TL-NODE-B (secondary'));
      const plan = PlanSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
      for (const step of plan.steps) {
        expect(text).toContain(step.title);
        expect(text).toContain(`script ${step.script.name} v${step.script.version}`);
      }
      // Port 2 has no address on either side: the proposal gives it a /30 from the link range.
      expect(plan.steps.map((s) => s.id)).toEqual([
        'primary/address/0',
        'secondary/address/0',
        'primary/links',
        'primary/create',
        'secondary/join',
        'primary/protect/0',
        'primary/protect/1',
        'primary/protect/2',
        'primary/wait',
      ]);
      expect(text).toContain('undo: Remove TL-NODE-A from pair PLAN-01 (invoke-twinlockctl v3');
      expect(plan.pair.links[0]).toMatchObject({ localAddress: '10.99.1.21', remoteAddress: '10.99.1.22' });
      expect(plan.pair.links[1]).toMatchObject({ localNic: 'SLOT 3 Port 2', prefixLength: 30 });
      expect(text).toContain('Totals: TL-NODE-A 5 change(s), TL-NODE-B 2 change(s); restarts: none');
      expect(text).toContain(`Plan hash: ${plan.hash}`);
      expect(text).toContain('<single-use pairing token, made when the plan is applied>');

      const json = await twinlock(['plan', ...hosts, '--name', 'PLAN-01', '--no-witness', '--json']);
      expect(json.code).toBe(0);
      expect(PlanSchema.parse(last(json.stdout)).steps.map((s) => s.id)).toEqual(plan.steps.map((s) => s.id));
      expect(pairOf(A())).toBeNull();
      expect(pairOf(B())).toBeNull();
    } finally {
      // This test set addresses by hand (no unpairing involved): the servers go back to unaddressed ports.
      for (const h of [A(), B()]) h.restoreAddresses();
    }
  });
});

describe('twinlock pair --plan', () => {
  it('refuses a plan made before an adapter changed, naming the difference, and changes nothing', async () => {
    const { file } = await savedPlan('PAIR-STALE');
    B().profile.nics[3]!.status = 'Disconnected';
    const run = await twinlock(['pair', '--plan', file, '--json']);
    expect(run.code).toBe(1);
    const { error } = last(run.stdout);
    expect(error.code).toBe('plan-stale');
    expect(error.detail.drift).toContainEqual({
      server: 'TL-NODE-B',
      what: 'adapter SLOT 3 Port 2',
      planned: 'status Up',
      now: 'status Disconnected',
    });
    expect(error.hint).toMatch(/^Plan again/);
    const human = await twinlock(['pair', '--plan', file]);
    expect(human.code).toBe(1);
    expect(human.stderr).toContain('TL-NODE-B adapter SLOT 3 Port 2: status Up → Disconnected');
    expect(linkAddresses(A())).toEqual([]);
    expect(linkAddresses(B())).toEqual([]);
    expect(pairOf(A())).toBeNull();
  });

  it('refuses a hand-edited plan', async () => {
    const { plan, file } = await savedPlan('PAIR-EDIT');
    const edited = structuredClone(plan);
    (edited.steps[0]!.params as { address: string }).address = '172.30.9.1';
    writeFileSync(file, JSON.stringify(edited));
    const run = await twinlock(['pair', '--plan', file, '--json']);
    expect(run.code).toBe(1);
    expect(last(run.stdout).error.code).toBe('invalid-input');
    expect(linkAddresses(A())).toEqual([]);
  });

  it('removes the addresses it set when the pairing fails after them', async () => {
    const { file } = await savedPlan('PAIR-FAIL');
    A().faults.protectFails = ['APP01'];
    const run = await twinlock(['pair', '--plan', file, '--json']);
    expect(run.code).toBe(1);
    const { error } = last(run.stdout);
    expect(error.message).toContain('removed the link addresses it set');
    expect(pairOf(A())).toBeNull();
    expect(pairOf(B())).toBeNull();
    expect(linkAddresses(A())).toEqual([]);
    expect(linkAddresses(B())).toEqual([]);
  });

  it('applies the saved plan: the link addresses, the pair, the VMs, until protected', async () => {
    const { plan, file } = await savedPlan('PAIR-PLAN');
    expect(plan.steps.filter((s) => s.script.name === 'set-link-address')).toHaveLength(4);
    const run = await twinlock([
      'pair',
      '--plan',
      file,
      '--bundle',
      join(home, 'pair-plan.twinlock.json'),
      '--json',
    ]);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const result = last(run.stdout).result;
    expect(result).toMatchObject({ state: 'protected', planHash: plan.hash });
    expect(linkAddresses(A())).toEqual(['SLOT 3 Port 1 172.30.1.1/30', 'SLOT 3 Port 2 172.30.2.1/30']);
    expect(linkAddresses(B())).toEqual(['SLOT 3 Port 1 172.30.1.2/30', 'SLOT 3 Port 2 172.30.2.2/30']);
    expect(pairOf(A())).toMatchObject({ name: 'PAIR-PLAN', state: 'protected' });
    expect(pairOf(B())).toMatchObject({ name: 'PAIR-PLAN', state: 'protected' });
  });
});

describe('twinlock unpair', () => {
  it('shows the unpair plan, then leaves both servers with no pair and no link addresses', async () => {
    expect(pairOf(A())?.name).toBe('PAIR-PLAN');
    const refused = await twinlock(['unpair', ...hosts]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Plan: unpair PAIR-PLAN from TL-NODE-A and TL-NODE-B');
    expect(refused.stderr).toContain('script remove-link-address v2');
    // Twinlock added all four addresses (the plan set them): all four are in each server's record.
    expect(recorded(A())).toEqual(['SLOT 3 Port 1 172.30.1.1/30', 'SLOT 3 Port 2 172.30.2.1/30']);
    expect(recorded(B())).toEqual(['SLOT 3 Port 1 172.30.1.2/30', 'SLOT 3 Port 2 172.30.2.2/30']);
    expect(pairOf(A())?.name).toBe('PAIR-PLAN');

    const run = await twinlock(['unpair', ...hosts, '--yes', '--json']);
    expect(run.code, run.stdout).toBe(0);
    expect(last(run.stdout)).toEqual([
      { computerName: 'TL-NODE-A', pair: 'PAIR-PLAN', unprotected: ['SQL01', 'APP01'], removed: true },
      { computerName: 'TL-NODE-B', pair: null, unprotected: [], removed: false },
    ]);
    expect(pairOf(A())).toBeNull();
    expect(pairOf(B())).toBeNull();
    expect(linkAddresses(A())).toEqual([]);
    expect(linkAddresses(B())).toEqual([]);
    // Exactly those were removed: the record is there, and empty.
    expect(recorded(A())).toEqual([]);
    expect(recorded(B())).toEqual([]);
    expect(A().fileExists(LINK_ADDRESS_RECORD)).toBe(true);
  });
});
