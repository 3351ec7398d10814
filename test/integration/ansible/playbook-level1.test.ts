/**
 * The Ansible export of a Level 1 fleet, run by Debian's `ansible-playbook` against lab pairs: the
 * first pair is made a failover cluster with a cloud witness by the CLI and its bundle exported,
 * the fleet file gives every pair its own cluster (the first keeps the bundle's), and the playbook
 * enables Failover Clustering and makes each new pair's cluster (PLAY RECAP failed=0), the cloud
 * witness key read by twinlock from the controller's environment variable the inventory names. The
 * key is in no file of the project or of twinlock's data folder, and not in Ansible's -v output.
 *
 * Needs `ansible-playbook` (.ci/run installs Debian's ansible): without it the test fails and says so.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Lab } from '../../../lab/index';
import { startLab } from '../../../lab/index';
import { bin, runTwinlock } from '../cli/twinlock';

const PAIRS = 3;
const KEY = 'QW5zaWJsZUNsb3VkV2l0bmVzc0tleS1uZXZlci13cml0dGVu';
const haveAnsible = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' }).status === 0;

let lab: Lab;
let work: string;
let home: string;
let project: string;
let wrapper: string;
let password: string;
const endpoints = (i: number) =>
  [lab.fleet[i]!.primary, lab.fleet[i]!.secondary].map((s) => `${s.address}:${s.port}`) as [string, string];
const servers = (i: number) => [lab.fleet[i]!.primary.computerName, lab.fleet[i]!.secondary.computerName];
const clustersOf = (i: number) => lab.host(servers(i)[0]!).labWorld()!.clustering.clusters;
const clusterName = (i: number) => `L1-P0${i + 1}-CL`;
const clusterAddress = (i: number) => `192.168.50.${40 + i}`;
const twinlock = (args: string[], env: Record<string, string> = {}) =>
  runTwinlock(args, { TWINLOCK_HOME: home, TWINLOCK_PASSWORD: password, ...env });
const last = (stdout: string) => JSON.parse(stdout.trim().split('\n').filter(Boolean).at(-1)!) as any;

/** PLAY RECAP's counts, host by host. */
function recapOf(output: string): Record<string, Record<string, number>> {
  const recap: Record<string, Record<string, number>> = {};
  const section = output.slice(output.lastIndexOf('PLAY RECAP'));
  for (const m of section.matchAll(/^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$/gm))
    recap[m[1]!] = Object.fromEntries([...m[2]!.matchAll(/(\w+)=(\d+)/g)].map((c) => [c[1]!, Number(c[2])]));
  return recap;
}

/** ansible-playbook from the project folder, the cloud witness key in the controller's environment only. */
function playbook(extra: string[] = []): Promise<{ code: number | null; output: string }> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  Object.assign(env, {
    TWINLOCK_PASSWORD: password,
    SITE_WITNESS_KEY: KEY,
    TWINLOCK_HOME: home,
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_LOCAL_TEMP: join(work, 'ansible-tmp'),
    ANSIBLE_HOME: join(work, 'ansible-home'),
    ANSIBLE_COLLECTIONS_SCAN_SYS_PATH: 'False',
    ANSIBLE_COLLECTIONS_PATH: join(work, 'no-collections'),
  });
  return new Promise((resolve) => {
    const child = spawn(
      'ansible-playbook',
      [
        'playbook.yml',
        '-v',
        '-e',
        `twinlock_command=${wrapper}`,
        '-e',
        'twinlock_cloud_witness_key_env=SITE_WITNESS_KEY',
        ...extra,
      ],
      { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => resolve({ code, output }));
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('the exported Ansible playbook of a Level 1 fleet against lab pairs', () => {
  beforeAll(async () => {
    expect(haveAnsible, 'ansible-playbook is not installed: apt-get install ansible (.ci/run does)').toBe(
      true,
    );
    work = mkdtempSync(join(tmpdir(), 'twinlock-ansible-l1-'));
    home = join(work, 'home');
    project = join(work, 'project');
    lab = await startLab({ pairs: PAIRS, profile: 'matched-pair', timeScale: 600, latencyMs: 1 });
    password = lab.hosts[0]!.password;
    wrapper = join(work, 'twinlock');
    writeFileSync(wrapper, `#!/bin/sh\nexec "${process.execPath}" "${bin}" "$@"\n`);
    chmodSync(wrapper, 0o755);
    for (const s of servers(0)) lab.host(s).profile.roles.failoverClustering = true;
  }, 120_000);

  afterAll(async () => {
    await lab?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('makes the first pair a failover cluster with a cloud witness and exports its bundle', async () => {
    const pair = await twinlock(
      [
        'pair',
        ...endpoints(0),
        '--trust-new',
        '--name',
        lab.fleet[0]!.name,
        '--level',
        '1',
        '--cluster-name',
        clusterName(0),
        '--cluster-address',
        clusterAddress(0),
        '--witness',
        'cloud:contosowitness',
        // The lab's FILE01 is off: a VM role that cannot come online would stop the pairing.
        '--vm',
        'SQL01',
        '--bundle',
        join(work, 'template.twinlock.json'),
        '--json',
      ],
      { TWINLOCK_CLOUD_WITNESS_KEY: KEY },
    );
    expect(pair.code, pair.stdout + pair.stderr).toBe(0);
    expect(last(pair.stdout).result.state).toBe('protected');
  }, 180_000);

  it('exports every pair’s own cluster into the inventory', async () => {
    const fleetFile = join(work, 'fleet.yaml');
    writeFileSync(
      fleetFile,
      [
        `bundle: ${JSON.stringify(join(work, 'template.twinlock.json'))}`,
        `user: ${lab.hosts[0]!.username}`,
        'pairs:',
        ...lab.fleet.flatMap((p, i) => [
          `  - name: ${p.name}`,
          `    primary: "${p.primary.address}:${p.primary.port}"`,
          `    secondary: "${p.secondary.address}:${p.secondary.port}"`,
          `    fingerprints: { primary: "${p.primary.fingerprint}", secondary: "${p.secondary.fingerprint}" }`,
          `    cluster_name: ${clusterName(i)}`,
          `    cluster_address: ${clusterAddress(i)}`,
        ]),
        '',
      ].join('\n'),
    );
    const run = await twinlock(['fleet', 'export-ansible', fleetFile, '--out', project, '--json']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const inventory = parse(readFileSync(join(project, 'inventory.yml'), 'utf8')) as any;
    const groups = Object.values(inventory.all.children.twinlock_pairs.children) as any[];
    expect(groups.map((g) => [g.vars.twinlock_cluster_name, g.vars.twinlock_cluster_address])).toEqual(
      lab.fleet.map((_, i) => [clusterName(i), clusterAddress(i)]),
    );
  });

  it('enables Failover Clustering and makes each new pair’s cluster: PLAY RECAP failed=0, the key in no file or output', async () => {
    const run = await playbook();
    expect(run.code, run.output).toBe(0);
    const recap = recapOf(run.output);
    for (const p of lab.fleet)
      expect(recap[`${p.name}-primary`], run.output).toMatchObject({ failed: 0, unreachable: 0 });
    // The template pair already was its bundle's; the others were made.
    expect(recap[`${lab.fleet[0]!.name}-primary`]!.changed).toBe(0);
    for (let i = 1; i < PAIRS; i++) {
      expect(recap[`${lab.fleet[i]!.name}-primary`]!.changed).toBeGreaterThan(0);
      expect(clustersOf(i)).toMatchObject([
        {
          name: clusterName(i),
          addresses: [clusterAddress(i)],
          witness: { kind: 'cloud', address: 'contosowitness' },
        },
      ]);
    }
    expect(run.output).not.toContain(KEY);
    for (const file of [...filesUnder(project), ...filesUnder(home)])
      expect(readFileSync(file).includes(Buffer.from(KEY)), file).toBe(false);
  }, 400_000);
});
