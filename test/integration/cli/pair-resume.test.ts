/**
 * `twinlock pair` killed (SIGKILL) mid-pairing, then `twinlock pair --resume`: the second run finds
 * the journal and either finishes the pair (healthy on both servers) or removes it from both —
 * never a half pair. `twinlock unpair` takes a pair apart, only with --yes, and leaves the
 * link addresses the admin set.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Lab, LabHost } from '../../../lab/index';
import { PAIR_PHASES, startLab } from '../../../lab/index';
import { bin, root, runTwinlock, shippedManifest } from './twinlock';

let lab: Lab;
let home: string;
let hosts: [string, string];

const env = () => ({ TWINLOCK_HOME: home, TWINLOCK_PASSWORD: lab.hosts[0]!.password });
const twinlock = (args: string[]) => runTwinlock(args, env());
const A = () => lab.host('TL-NODE-A');
const B = () => lab.host('TL-NODE-B');
const pairOf = (h: LabHost) => (h.agentStatus()?.pair ?? null) as { name: string; state: string } | null;
const protectedOn = (h: LabHost) =>
  ((h.agentStatus()?.vms ?? []) as Array<{ name: string; protected: boolean }>)
    .filter((v) => v.protected)
    .map((v) => v.name);
const last = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, any>;

/**
 * Starts `twinlock pair` and kills it with SIGKILL at a given point: `mirroring` (both servers hold
 * the pair, mid-mirror) or `created` (the primary holds it, the secondary has not joined). The lab's
 * clock stops the moment the server's agent acts, so nothing moves on before the kill.
 */
async function killedMidPairing(name: string, stage: 'mirroring' | 'created' = 'mirroring'): Promise<void> {
  const child = spawn(
    process.execPath,
    [bin, 'pair', ...hosts, '--name', name, '--witness', 'share:\\\\TL-WITNESS\\twinlock-witness', '--json'],
    {
      cwd: root,
      env: { ...process.env, ...env() },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('close', (_code, signal) => resolve(signal)),
  );
  const [host, verb] = stage === 'mirroring' ? [B(), 'pair join'] : [A(), 'pair create'];
  const acted = new Promise<'acted'>((resolve) => {
    const onCtl = (done: string) => {
      if (done !== verb || pairOf(host)?.name !== name) return;
      host.off('ctl', onCtl);
      lab.clock.pause();
      resolve('acted');
    };
    host.on('ctl', onCtl);
  });
  const first = await Promise.race([acted, exited.then(() => 'exited' as const)]);
  try {
    expect(first, `twinlock pair ended before "${verb}": ${stderr}`).toBe('acted');
    // Just past the pairing phase, on the lab's clock: mirroring.
    if (stage === 'mirroring') await lab.clock.advance(PAIR_PHASES.pairing + 1);
    child.kill('SIGKILL');
    expect(await exited, stderr).toBe('SIGKILL');
    // Killed half way: not yet protected.
    expect(pairOf(A())?.name).toBe(name);
    expect(pairOf(A())?.state).toBe(stage === 'mirroring' ? 'mirroring' : 'pairing');
  } finally {
    lab.clock.resume();
  }
}

beforeAll(async () => {
  lab = await startLab({ profile: 'matched-pair', timeScale: 60, latencyMs: 1 });
  home = mkdtempSync(join(tmpdir(), 'twinlock-cli-pair-resume-'));
  hosts = lab.hosts.map((h) => `${h.address}:${h.port}`) as [string, string];
  const install = await runTwinlock(
    ['install', ...hosts, '--trust-new', '--trust-publisher', shippedManifest.signer.thumbprint, '--json'],
    env(),
  );
  expect(install.code, install.stdout).toBe(0);
});

afterEach(() => {
  B().faults.syncLinkDown = false;
  B().faults.ctlDelaySeconds = {};
});

afterAll(async () => {
  await lab?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('twinlock pair --resume', () => {
  it('finishes a pairing whose process was killed while the pair was healthy', async () => {
    await killedMidPairing('PAIR-K1');
    const bundle = join(home, 'pair-k1.twinlock.json');
    const resumed = await twinlock(['pair', '--resume', '--bundle', bundle, '--json']);
    expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
    expect(last(resumed.stdout).result.state).toBe('protected');
    expect(existsSync(bundle)).toBe(true);
    expect(pairOf(A())).toMatchObject({ name: 'PAIR-K1', state: 'protected' });
    expect(pairOf(B())).toMatchObject({ name: 'PAIR-K1', state: 'protected' });
    expect(protectedOn(A())).toEqual(['SQL01', 'APP01', 'FILE01']);

    const nothing = await twinlock(['pair', '--resume', '--json']);
    expect(nothing.code).toBe(1);
    expect(last(nothing.stdout).error.code).toBe('not-found');
  });

  it('unpair needs --yes, then unprotects the VMs and removes the pair from both servers', async () => {
    const refused = await twinlock(['unpair', ...hosts, '--json']);
    expect(refused.code).toBe(1);
    expect(last(refused.stdout).error).toMatchObject({ code: 'invalid-input', detail: { field: 'yes' } });
    expect(pairOf(A())?.name).toBe('PAIR-K1');

    const run = await twinlock(['unpair', ...hosts, '--yes', '--json']);
    expect(run.code, run.stdout).toBe(0);
    expect(last(run.stdout)).toEqual([
      {
        computerName: 'TL-NODE-A',
        pair: 'PAIR-K1',
        unprotected: ['SQL01', 'APP01', 'FILE01'],
        removed: true,
      },
      { computerName: 'TL-NODE-B', pair: null, unprotected: [], removed: false },
    ]);
    expect(pairOf(A())).toBeNull();
    expect(pairOf(B())).toBeNull();
    // The sync-link addresses stay: the admin set them (matched-pair's 10.10.x), Twinlock did not add them.
    for (const [h, n] of [
      [A(), 21],
      [B(), 22],
    ] as const)
      expect(h.profile.nics.filter((x) => x.name.startsWith('SLOT 3')).flatMap((x) => x.ipv4)).toEqual([
        { address: `10.10.1.${n}`, prefixLength: 24 },
        { address: `10.10.2.${n}`, prefixLength: 24 },
      ]);
  });

  it('rolls back a killed pairing that is no longer healthy: neither server is left paired', async () => {
    await killedMidPairing('PAIR-K2');
    B().faults.syncLinkDown = true;
    const resumed = await twinlock(['pair', '--resume', '--json']);
    expect(resumed.code).toBe(1);
    const { error } = last(resumed.stdout);
    expect(error.code).toBe('cancelled');
    expect(error.message).toContain('rolled it back: TL-NODE-A and TL-NODE-B are not paired');
    expect(pairOf(A())).toBeNull();
    expect(pairOf(B())).toBeNull();
    expect(protectedOn(A())).toEqual([]);
  });

  it('rolls back a pairing killed after pair create, before the secondary joined', async () => {
    // The secondary's agent is slow to answer the join: the kill lands while the primary waits for it.
    B().faults.ctlDelaySeconds = { 'pair join': 1800 };
    await killedMidPairing('PAIR-K3', 'created');
    expect(pairOf(A())).toMatchObject({ name: 'PAIR-K3', state: 'pairing' });
    expect(pairOf(B())).toBeNull();
    const resumed = await twinlock(['pair', '--resume', '--json']);
    expect(resumed.code).toBe(1);
    const { error } = last(resumed.stdout);
    expect(error.code).toBe('cancelled');
    expect(error.message).toContain('TL-NODE-B had not joined it');
    expect(error.message).toContain('rolled it back');
    expect(pairOf(A())).toBeNull();
    expect(pairOf(B())).toBeNull();
  });
});
