/**
 * `twinlock pair --level 1` killed (SIGKILL) while it waits for the VM roles to come online — the
 * cluster made, its witness set, every VM a role — then `twinlock pair --resume`: the second run
 * reads the cluster back on both servers and either finishes the pairing (protected, every VM a
 * role, nothing made twice) or, when a node dropped out of the cluster meanwhile, takes back what
 * the first run made (no cluster, no computer object). The lab's cluster state is the witness.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import type { Dirent } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Lab, LabHost } from '../../../lab/index';
import { startLab } from '../../../lab/index';
import type { LabClustering } from '../../../lab/cluster';
import { bin, root, runTwinlock } from './twinlock';

const last = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, any>;

describe('twinlock pair --resume at Level 1', () => {
  let lab: Lab;
  let home: string;
  let hosts: [string, string];
  let share: string;
  const A = (): LabHost => lab.host('TL-NODE-A');
  const B = (): LabHost => lab.host('TL-NODE-B');
  const clustering = (): LabClustering => A().labWorld()!.clustering;
  const env = () => ({ TWINLOCK_HOME: home, TWINLOCK_PASSWORD: lab.hosts[0]!.password });
  const twinlock = (args: string[]) => runTwinlock(args, env());
  const pairArgs = (name: string, witness = `share:${share}`) => [
    'pair',
    ...hosts,
    '--trust-new',
    '--name',
    name,
    '--level',
    '1',
    '--cluster-name',
    'L1-CL',
    '--cluster-address',
    '192.168.50.40',
    '--witness',
    witness,
    '--vm',
    'SQL01',
    '--vm',
    'APP01',
    '--json',
  ];

  /** The pairing journals under TWINLOCK_HOME, as text. */
  const journals = (): string[] => {
    const out: string[] = [];
    // The running pairing's lock folders (`<job>.json.lock`) and files come and go while this reads.
    const gone = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';
    const walk = (dir: string) => {
      let entries: Dirent[];
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch (err) {
        if (gone(err)) return;
        throw err;
      }
      for (const e of entries) {
        const p = join(dir, e.name);
        if (e.isDirectory()) {
          if (!e.name.endsWith('.lock')) walk(p);
        } else if (dir.endsWith(join('journal', 'pair')) && e.name.endsWith('.json')) {
          try {
            out.push(readFileSync(p, 'utf8'));
          } catch (err) {
            if (!gone(err)) throw err;
          }
        }
      }
    };
    if (existsSync(home)) walk(home);
    return out;
  };

  /**
   * Starts `twinlock pair --level 1` and kills it with SIGKILL once the cluster is made and every
   * VM is a role, while it waits for the roles to come online (the lab's roles take
   * `onlineSeconds` to start, and its clock stops the moment the wait is under way).
   */
  async function killedWhileWaiting(
    name: string,
    witness?: string,
    extra: Record<string, string> = {},
  ): Promise<void> {
    clustering().timings.onlineSeconds = 200;
    const child = spawn(process.execPath, [bin, ...pairArgs(name, witness)], {
      cwd: root,
      env: { ...process.env, ...env(), ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('close', (_code, signal) => resolve(signal)),
    );
    let ended = false;
    void exited.then(() => (ended = true));
    try {
      // Watch the lab (both roles made) and the journal (the wait sent).
      for (;;) {
        const roles = clustering().clusters[0]?.roles.length ?? 0;
        const waiting = journals().some(
          (j) => new RegExp(`"name":\\s*"${name}"`).test(j) && j.includes('"sent:primary/wait"'),
        );
        if (roles === 2 && waiting) break;
        expect(ended, `twinlock pair ended before the wait for the roles: ${output}`).toBe(false);
        await new Promise((r) => setTimeout(r, 20));
      }
      lab.clock.pause();
      child.kill('SIGKILL');
      expect(await exited, output).toBe('SIGKILL');
      const [cluster] = clustering().clusters;
      expect(cluster?.roles.map((r) => [r.vm, r.state])).toEqual([
        ['SQL01', 'Pending'],
        ['APP01', 'Pending'],
      ]);
    } finally {
      lab.clock.resume();
      clustering().timings.onlineSeconds = 5;
    }
  }

  beforeAll(async () => {
    lab = await startLab({ profile: 'matched-pair', timeScale: 60, latencyMs: 1 });
    home = mkdtempSync(join(tmpdir(), 'twinlock-cli-level1-resume-'));
    hosts = lab.hosts.map((h) => `${h.address}:${h.port}`) as [string, string];
    share = lab.suggestedWitness!.address;
    for (const h of [A(), B()]) h.profile.roles.failoverClustering = true;
  });
  afterEach(() => {
    B().faults.dropsOutOfCluster = false;
  });
  afterAll(async () => {
    await lab?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('finishes a pairing killed while its roles came online: protected, every VM a role, nothing made twice', async () => {
    await killedWhileWaiting('L1-K1');
    const objects = clustering().directory.objects.size;
    // The journal the killed run left: the plan, and each step sent and done on the primary.
    const journal = JSON.parse(journals().find((j) => j.includes('L1-K1'))!) as Record<string, any>;
    expect(journal).toMatchObject({ state: 'running', agentVersion: 'Failover Clustering' });
    expect(journal.plan.steps.map((s: { id: string }) => s.id)).toEqual([
      'primary/cluster',
      'primary/quorum',
      'primary/role/0',
      'primary/role/1',
      'primary/wait',
    ]);
    expect(Object.keys(journal.hosts[0].steps)).toEqual(
      expect.arrayContaining([
        'done:primary/cluster',
        'done:primary/quorum',
        'sent:primary/role/1',
        'sent:primary/wait',
      ]),
    );
    expect(journal.hosts[0].steps['done:primary/wait']).toBeUndefined();

    const offered = await twinlock([
      'pair',
      '--resume',
      '--bundle',
      join(home, 'l1-k1.twinlock.json'),
      '--json',
    ]);
    expect(offered.code, offered.stderr + offered.stdout).toBe(0);
    // What the cluster already had is not made again.
    expect(offered.stdout).toContain('Already done: Make the failover cluster L1-CL');
    expect(last(offered.stdout).result.state).toBe('protected');
    expect(clustering().clusters).toHaveLength(1);
    const [cluster] = clustering().clusters;
    expect(cluster).toMatchObject({
      name: 'L1-CL',
      description: 'twinlock pair=L1-K1; level=1',
      nodes: [
        { name: 'TL-NODE-A', state: 'Up' },
        { name: 'TL-NODE-B', state: 'Up' },
      ],
      witness: { kind: 'file-share', address: share, state: 'Online' },
    });
    expect(cluster!.roles.map((r) => [r.vm, r.state])).toEqual([
      ['SQL01', 'Online'],
      ['APP01', 'Online'],
    ]);
    expect(clustering().directory.objects.size).toBe(objects);
    expect(existsSync(join(home, 'l1-k1.twinlock.json'))).toBe(true);

    // Nothing is left to resume.
    const nothing = await twinlock(['pair', '--resume', '--json']);
    expect(nothing.code).toBe(1);
    expect(last(nothing.stdout).error.code).toBe('not-found');

    const removed = await twinlock(['unpair', ...hosts, '--yes', '--json']);
    expect(removed.code, removed.stderr + removed.stdout).toBe(0);
    expect(clustering().clusters).toEqual([]);
  }, 180_000);

  it('takes back a pairing killed while its roles came online once a node dropped out: no cluster, no computer object', async () => {
    await killedWhileWaiting('L1-K2');
    expect(clustering().directory.objects.get('l1-cl')).toMatchObject({ cluster: 'L1-CL' });
    B().faults.dropsOutOfCluster = true;

    const resumed = await twinlock(['pair', '--resume', '--json']);
    expect(resumed.code).toBe(1);
    const { error } = last(resumed.stdout);
    expect(error.code).toBe('cancelled');
    expect(error.message).toContain('node TL-NODE-B of cluster L1-CL is Down');
    expect(error.message).toContain('rolled it back: TL-NODE-A and TL-NODE-B are not paired');
    expect(clustering().clusters).toEqual([]);
    expect(clustering().directory.objects.get('l1-cl')).toBeUndefined();
    expect(A().vmState('SQL01')).toBe('Running');
    for (const h of [A(), B()])
      expect(h.fileExists('C:\\ProgramData\\Twinlock\\link-addresses.json')).toBe(false);

    // Rolled back: not offered again.
    const nothing = await twinlock(['pair', '--resume', '--json']);
    expect(last(nothing.stdout).error.code).toBe('not-found');
  }, 180_000);

  it('finishes a killed pairing whose cloud witness was already set without asking for its key again', async () => {
    const key = 'bGFiLWtleQ==';
    await killedWhileWaiting('L1-K3', 'cloud:contosowitness', { TWINLOCK_CLOUD_WITNESS_KEY: key });
    for (const j of journals()) expect(j).not.toContain(key);
    // No key in the environment and no terminal: resuming must not need it.
    const resumed = await twinlock([
      'pair',
      '--resume',
      '--bundle',
      join(home, 'l1-k3.twinlock.json'),
      '--json',
    ]);
    expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
    expect(last(resumed.stdout).result.state).toBe('protected');
    expect(clustering().clusters[0]).toMatchObject({
      witness: { kind: 'cloud', address: 'contosowitness', state: 'Online' },
    });
    expect(clustering().clusters[0]!.roles.map((r) => r.state)).toEqual(['Online', 'Online']);
    expect(resumed.stdout + resumed.stderr).not.toContain(key);
  }, 180_000);
});
