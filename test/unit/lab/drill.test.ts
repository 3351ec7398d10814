/**
 * The lab's failover drill on a paused clock: where each VM runs (Get-VM on both servers) and
 * the pair's state at each stage, per level, and a takeover that fails.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DRILL_TIMINGS, PAIR_PHASES } from '../../../lab/agent';
import { CTL_PATH } from '../../../lab/msiexec';
import { offlineLab } from './offline';
import type { OfflineLab } from './offline';

const AGENT_DIR = join(import.meta.dirname, '../../../resources/agent');
const manifest = JSON.parse(readFileSync(join(AGENT_DIR, 'agent-manifest.json'), 'utf8'));
const msi = readFileSync(join(AGENT_DIR, manifest.file));

let lab: OfflineLab;
afterEach(() => lab?.dispose());

async function ctl(i: number, verb: string, input: Record<string, unknown> = {}) {
  return (await lab.run(lab.hosts[i]!, 'invoke-twinlockctl', {
    ctlPath: CTL_PATH,
    verb: verb.split(' '),
    input,
  })) as { exitCode: number; output: any };
}

/** A pair protecting SQL01 at `level`, protected, on a paused clock. */
async function protectedPair(level: 1 | 2 | 3): Promise<void> {
  lab = offlineLab('matched-pair', 60);
  for (const host of lab.hosts) {
    host.writeFile('C:\\p.msi', msi);
    await lab.run(host, 'install-agent', { path: 'C:\\p.msi', logPath: 'C:\\l.log', arguments: [] });
  }
  lab.world.clock.pause();
  await ctl(0, 'pair create', {
    name: 'P',
    peer: 'TL-NODE-B',
    token: 'tok-1234567890',
    level,
    links: [{ local: '10.10.1.21', remote: '10.10.1.22' }],
    witness: null,
  });
  await ctl(1, 'pair join', { peer: 'TL-NODE-A', token: 'tok-1234567890' });
  await ctl(0, 'protect', { vm: 'SQL01' });
  await lab.world.clock.advance(PAIR_PHASES.pairing + PAIR_PHASES.mirroring + PAIR_PHASES.syncing + 1);
  expect((await ctl(0, 'status')).output.pair.state).toBe('protected');
}

/** Get-VM's state number for SQL01 on each server (2 Running, 3 Off), through get-vm-state. */
async function where(): Promise<number[]> {
  return Promise.all(
    lab.hosts.map(async (h) => {
      const r = await lab.run(h, 'get-vm-state', { names: ['SQL01'] });
      return r.vms[0].found ? r.vms[0].state : 0;
    }),
  );
}
const state = async () => (await ctl(1, 'status')).output.pair.state as string;

describe('the lab fails over as each level promises', () => {
  it('Level 3: a copy of the VM runs throughout; failed-over, resynchronising, protected; fails back', async () => {
    await protectedPair(3);
    expect(await where()).toEqual([2, 2]);
    const drill = ctl(0, 'drill', { kind: 'primary-loss' });
    await lab.world.clock.advance(0.5);
    expect(await where()).toEqual([3, 2]);
    expect(await state()).toBe('failed-over');
    await lab.world.clock.advance(DRILL_TIMINGS.lostFor);
    expect(await state()).toBe('mirroring');
    expect(await where()).toEqual([3, 2]);
    await lab.world.clock.advance(DRILL_TIMINGS.resynchronising);
    expect(await state()).toBe('syncing');
    await lab.world.clock.advance(DRILL_TIMINGS.syncing);
    const r = (await drill).output;
    expect(r).toMatchObject({ result: 'passed', downtimeMs: 0 });
    expect(r.events.map((e: any) => e.state)).toEqual([
      'failing-over',
      'failed-over',
      'resynchronising',
      'syncing',
      'protected',
    ]);
    expect(r.events[1].node).toBe('TL-NODE-B');
    expect(await state()).toBe('protected');
    // Roles fail back: the primary runs SQL01 again, and stays primary.
    expect(await where()).toEqual([2, 2]);
    expect((await ctl(0, 'status')).output.role).toBe('primary');
  });

  it('Level 2: seconds with the VM running nowhere, then on the survivor', async () => {
    await protectedPair(2);
    expect(await where()).toEqual([2, 3]);
    const drill = ctl(0, 'drill', { kind: 'primary-loss' });
    await lab.world.clock.advance(DRILL_TIMINGS.takeover[2] - 1);
    expect(await where()).toEqual([3, 3]);
    await lab.world.clock.advance(1.5);
    expect(await where()).toEqual([3, 2]);
    await lab.world.clock.advance(
      DRILL_TIMINGS.lostFor + DRILL_TIMINGS.resynchronising + DRILL_TIMINGS.syncing,
    );
    const r = (await drill).output;
    expect(r).toMatchObject({ result: 'passed', downtimeMs: DRILL_TIMINGS.takeover[2] * 1000 });
    expect(r.downtimeMs).toBeGreaterThanOrEqual(2000);
    expect(r.downtimeMs).toBeLessThan(30_000);
    expect(await where()).toEqual([2, 3]);
  });

  it('Level 1: the VM restarts on the survivor after minutes', async () => {
    await protectedPair(1);
    const drill = ctl(0, 'drill', { kind: 'primary-loss' });
    await lab.world.clock.advance(60);
    expect(await where()).toEqual([3, 3]);
    expect(await state()).toBe('failed-over');
    await lab.world.clock.advance(DRILL_TIMINGS.takeover[1] - 60 + 1);
    expect(await where()).toEqual([3, 2]);
    await lab.world.clock.advance(
      DRILL_TIMINGS.lostFor + DRILL_TIMINGS.resynchronising + DRILL_TIMINGS.syncing,
    );
    const r = (await drill).output;
    expect(r.result).toBe('passed');
    expect(r.downtimeMs).toBeGreaterThanOrEqual(60_000);
    expect(await state()).toBe('protected');
  });

  it('link-loss: degraded with no VM outage, then protected again', async () => {
    await protectedPair(2);
    const drill = ctl(0, 'drill', { kind: 'link-loss' });
    await lab.world.clock.advance(1);
    expect(await state()).toBe('degraded');
    expect((await ctl(0, 'status')).output.pair.links[0].up).toBe(false);
    expect((await where())[0]).toBe(2);
    await lab.world.clock.advance(
      DRILL_TIMINGS.linkCutFor + DRILL_TIMINGS.resynchronising + DRILL_TIMINGS.syncing,
    );
    expect((await drill).output).toMatchObject({ result: 'passed', downtimeMs: 0 });
    expect(await state()).toBe('protected');
  });

  it('a secondary that cannot take over fails the drill with why; the primary resumes, the pair stays degraded', async () => {
    await protectedPair(3);
    lab.hosts[1]!.faults.drillTakeoverFails = true;
    const drill = ctl(0, 'drill', { kind: 'primary-loss' });
    await lab.world.clock.advance(1);
    expect(await where()).toEqual([3, 3]);
    await lab.world.clock.advance(10);
    const r = (await drill).output;
    expect(r.result).toBe('failed');
    expect(r.reason).toMatch(/TL-NODE-B could not take over/);
    expect(await where()).toEqual([2, 3]);
    expect(await state()).toBe('degraded');
    expect((await ctl(0, 'status')).output.role).toBe('primary');
    // Once the secondary can take over again, the pair is protected.
    lab.hosts[1]!.faults.drillTakeoverFails = false;
    expect(await state()).toBe('protected');
  });

  it('refuses a drill while one runs', async () => {
    await protectedPair(3);
    const drill = ctl(0, 'drill', { kind: 'primary-loss' });
    await lab.world.clock.advance(0.5);
    expect((await ctl(0, 'drill', { kind: 'primary-loss' })).output.error.code).toBe('not-protected');
    await lab.world.clock.advance(60);
    await drill;
  });
});
