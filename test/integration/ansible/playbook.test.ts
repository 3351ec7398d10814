/**
 * The Ansible export run by Debian's `ansible-playbook` against lab pairs: the first pair is paired
 * with the CLI and its bundle exported (the template), a fleet file lists it and two new pairs,
 * `twinlock fleet export-ansible` writes the project, and the playbook brings every pair to
 * protected (PLAY RECAP failed=0); a second run changes nothing (changed=0 for every host). The
 * password (from Vault or TWINLOCK_PASSWORD) reaches twinlock only on its standard input: never in
 * a file, a command line or Ansible's -vvv output. A pair whose servers are off fails alone, with
 * twinlock's message, while the others finish; an altered bundle stops the run before any pair.
 *
 * Needs `ansible-playbook` (.ci/run installs Debian's ansible): without it the test fails and says so.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Lab } from '../../../lab/index';
import { startLab } from '../../../lab/index';
import { writeFleetFile } from '../../../lab/fleet';
import { bin, runTwinlock, shippedManifest } from '../cli/twinlock';

const PAIRS = 3;
const haveAnsible = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' }).status === 0;

let lab: Lab;
let work: string;
let home: string;
let project: string;
let wrapper: string;
let password: string;
let names: string[] = [];
/** The pair's servers, primary first, as host:port. */
const endpoints = (i: number) =>
  [lab.fleet[i]!.primary, lab.fleet[i]!.secondary].map((s) => `${s.address}:${s.port}`) as [string, string];
/** The pair's two servers in the lab. */
const servers = (i: number) => [lab.fleet[i]!.primary.computerName, lab.fleet[i]!.secondary.computerName];

const twinlock = (args: string[]) => runTwinlock(args, { TWINLOCK_HOME: home, TWINLOCK_PASSWORD: password });
const last = (stdout: string) => JSON.parse(stdout.trim().split('\n').filter(Boolean).at(-1)!) as any;

interface Recap {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
}

/** PLAY RECAP's counts, host by host. */
function recapOf(output: string): Record<string, Recap> {
  const recap: Record<string, Recap> = {};
  const section = output.slice(output.lastIndexOf('PLAY RECAP'));
  for (const m of section.matchAll(/^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$/gm)) {
    recap[m[1]!] = Object.fromEntries(
      [...m[2]!.matchAll(/(\w+)=(\d+)/g)].map((c) => [c[1]!, Number(c[2])]),
    ) as unknown as Recap;
  }
  return recap;
}

/** ansible-playbook from the project folder (its ansible.cfg), as an admin on a controller runs it. */
function playbook(
  extra: string[] = [],
  overrides: Record<string, string> = {},
): Promise<{ code: number | null; output: string }> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  Object.assign(env, {
    TWINLOCK_PASSWORD: password,
    TWINLOCK_HOME: home,
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_LOCAL_TEMP: join(work, 'ansible-tmp'),
    ANSIBLE_HOME: join(work, 'ansible-home'),
    // No collection but ansible.builtin: Debian's bundled ones (ansible.windows among them) are not looked at.
    ANSIBLE_COLLECTIONS_SCAN_SYS_PATH: 'False',
    ANSIBLE_COLLECTIONS_PATH: join(work, 'no-collections'),
    ...overrides,
  });
  return new Promise((resolve) => {
    const child = spawn(
      'ansible-playbook',
      [
        'playbook.yml',
        '-e',
        `twinlock_command=${wrapper}`,
        '-e',
        `twinlock_trust_publisher=${shippedManifest.signer.thumbprint}`,
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

/** Every file under a folder (the project, twinlock's data folder), for a secret search. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('the exported Ansible playbook against lab pairs', () => {
  beforeAll(async () => {
    expect(haveAnsible, 'ansible-playbook is not installed: apt-get install ansible (.ci/run does)').toBe(
      true,
    );
    work = mkdtempSync(join(tmpdir(), 'twinlock-ansible-'));
    home = join(work, 'home');
    project = join(work, 'project');
    // A fleet lab: separate matched pairs (TL-P01-A/B, …), each with its own addresses and cables.
    lab = await startLab({ pairs: PAIRS, profile: 'matched-pair', timeScale: 600, latencyMs: 1 });
    names = lab.fleet.map((p) => p.name);
    password = lab.hosts[0]!.password;
    // The twinlock command on the controller, as the playbook's twinlock_command.
    wrapper = join(work, 'twinlock');
    writeFileSync(wrapper, `#!/bin/sh\nexec "${process.execPath}" "${bin}" "$@"\n`);
    chmodSync(wrapper, 0o755);
  }, 120_000);

  afterAll(async () => {
    await lab?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('pairs the first pair with the CLI and exports its bundle: the template of the fleet', async () => {
    const [a, b] = endpoints(0);
    const install = await twinlock([
      'install',
      a,
      b,
      '--trust-new',
      '--trust-publisher',
      shippedManifest.signer.thumbprint,
      '--json',
    ]);
    expect(install.code, install.stdout + install.stderr).toBe(0);
    const pair = await twinlock([
      'pair',
      a,
      b,
      '--name',
      names[0]!,
      '--witness',
      'share:\\\\TL-WITNESS\\twinlock-witness',
      '--bundle',
      join(work, 'template.twinlock.json'),
      '--json',
    ]);
    expect(pair.code, pair.stdout + pair.stderr).toBe(0);
    expect(last(pair.stdout).result.state).toBe('protected');
  }, 180_000);

  it('exports the fleet as an Ansible project that ansible-playbook accepts', async () => {
    // The lab's own fleet file, the last pair given values of its own: one VM, its sync links' addresses.
    const fleetFile = writeFleetFile(join(work, 'fleet.yaml'), {
      pairs: lab.fleet.map((p, i) => (i === PAIRS - 1 ? { ...p, vms: ['SQL01'] } : p)),
      user: lab.hosts[0]!.username,
      bundle: join(work, 'template.twinlock.json'),
    });
    const fleet = parse(readFileSync(fleetFile, 'utf8')) as { pairs: Array<Record<string, unknown>> };
    fleet.pairs[PAIRS - 1]!.links = [
      { local: '10.30.3.1', remote: '10.30.3.2', prefix: 30 },
      { local: '10.30.3.5', remote: '10.30.3.6', prefix: 30 },
    ];
    writeFileSync(fleetFile, stringify(fleet));
    const run = await twinlock([
      'fleet',
      'export-ansible',
      fleetFile,
      '--out',
      project,
      '--forks',
      '3',
      '--json',
    ]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(last(run.stdout).files).toEqual(
      expect.arrayContaining([
        'inventory.yml',
        'playbook.yml',
        'ansible.cfg',
        'README.md',
        'bundle.twinlock',
      ]),
    );
    const inventory = parse(readFileSync(join(project, 'inventory.yml'), 'utf8')) as any;
    expect(Object.keys(inventory.all.children.twinlock_pairs.children)).toHaveLength(PAIRS);
    expect(readFileSync(join(project, 'ansible.cfg'), 'utf8')).toMatch(/^forks = 3$/m);

    const list = spawnSync('ansible-inventory', ['--list'], { cwd: project, encoding: 'utf8' });
    expect(list.status, list.stderr).toBe(0);
    const listed = JSON.parse(list.stdout) as any;
    expect(listed.twinlock_pairs.children).toHaveLength(PAIRS);
    expect(listed._meta.hostvars[`${names[1]}-secondary`]).toMatchObject({
      ansible_host: lab.fleet[1]!.secondary.address,
      ansible_port: lab.fleet[1]!.secondary.port,
      twinlock_role: 'secondary',
      twinlock_fingerprint: lab.fleet[1]!.secondary.fingerprint,
    });
    const syntax = spawnSync('ansible-playbook', ['--syntax-check', 'playbook.yml'], {
      cwd: project,
      encoding: 'utf8',
    });
    expect(syntax.status, syntax.stdout + syntax.stderr).toBe(0);
  });

  it('checks the bundle on the controller first: an altered copy stops the run before any pair is touched', async () => {
    const good = await twinlock(['bundle', 'verify', join(project, 'bundle.twinlock'), '--json']);
    expect(good.code, good.stdout + good.stderr).toBe(0);
    expect(last(good.stdout)).toMatchObject({
      valid: true,
      pair: { name: names[0], level: 3 },
      signer: { own: true },
    });

    const altered = join(work, 'altered.twinlock.json');
    const bundle = JSON.parse(readFileSync(join(project, 'bundle.twinlock'), 'utf8'));
    bundle.pair.level = 1;
    writeFileSync(altered, JSON.stringify(bundle, null, 2));
    const refused = await twinlock(['bundle', 'verify', altered, '--json']);
    expect(refused.code).toBe(1);
    expect(last(refused.stdout).error.code).toBe('bundle-invalid');

    const run = await playbook(['-e', `twinlock_bundle=${altered}`]);
    expect(run.code).not.toBe(0);
    const recap = recapOf(run.output);
    expect(Object.keys(recap), run.output).toEqual(['localhost']);
    expect(recap.localhost).toMatchObject({ failed: 1 });
    for (let i = 1; i < PAIRS; i++)
      for (const server of servers(i)) expect(lab.host(server).installedProducts()).toEqual([]);
  }, 120_000);

  it('brings every pair to protected: PLAY RECAP failed=0', async () => {
    const run = await playbook();
    expect(run.code, run.output).toBe(0);
    const recap = recapOf(run.output);
    for (const name of names)
      expect(recap[`${name}-primary`], run.output).toMatchObject({ failed: 0, unreachable: 0 });
    expect(recap.localhost).toMatchObject({ failed: 0, changed: 0 });
    // The new pairs changed (installed, paired); the template pair already matched its bundle.
    expect(recap[`${names[0]}-primary`]!.changed).toBe(0);
    expect(recap[`${names[1]}-primary`]!.changed).toBeGreaterThan(0);
    expect(recap[`${names[2]}-primary`]!.changed).toBeGreaterThan(0);
    names.forEach((name, i) => {
      for (const server of servers(i)) {
        const status = lab.host(server).agentStatus() as any;
        expect(status?.pair, `${name} ${server}`).toMatchObject({
          name,
          state: 'protected',
          level: 3,
        });
      }
    });
    // The last pair took its own values: SQL01 alone, its sync links on the fleet file's addresses.
    const lastPrimary = lab.host(servers(PAIRS - 1)[0]!);
    const protectedVms = (lastPrimary.agentStatus() as any).vms.filter((v: any) => v.protected);
    expect(protectedVms.map((v: any) => v.name)).toEqual(['SQL01']);
    expect((lastPrimary.agentStatus() as any).pair.links).toMatchObject([
      { local: '10.30.3.1', remote: '10.30.3.2' },
      { local: '10.30.3.5', remote: '10.30.3.6' },
    ]);
    expect(run.output).not.toContain(password);
  }, 300_000);

  it('changes nothing on a second run: changed=0 for every host', async () => {
    const run = await playbook();
    expect(run.code, run.output).toBe(0);
    const recap = recapOf(run.output);
    expect(Object.keys(recap).sort()).toEqual(['localhost', ...names.map((n) => `${n}-primary`)].sort());
    for (const [host, counts] of Object.entries(recap))
      expect(counts, `${host}\n${run.output}`).toMatchObject({ changed: 0, failed: 0 });
  }, 300_000);

  it('takes the password from Vault over the environment, and fails a pair whose servers are off alone, with twinlock’s message', async () => {
    // The vaulted twinlock_password, beside the inventory, as the README says; the environment's is wrong.
    const vars = join(project, 'group_vars', 'twinlock_pairs');
    mkdirSync(vars, { recursive: true });
    writeFileSync(join(vars, 'vault.yml'), `twinlock_password: '${password}'\n`);
    const key = join(work, 'vault-key');
    writeFileSync(key, 'vault key of the test\n', { mode: 0o600 });
    const encrypt = spawnSync(
      'ansible-vault',
      ['encrypt', '--vault-password-file', key, join(vars, 'vault.yml')],
      {
        cwd: project,
        encoding: 'utf8',
      },
    );
    expect(encrypt.status, encrypt.stderr).toBe(0);
    expect(readFileSync(join(vars, 'vault.yml'), 'utf8')).toMatch(/^\$ANSIBLE_VAULT;/);

    for (const server of servers(1)) lab.host(server).faults.refuseConnections = true;
    try {
      // -vvv: even Ansible's most verbose output never shows the password.
      const run = await playbook(['--vault-password-file', key, '-vvv'], {
        TWINLOCK_PASSWORD: 'not-the-password',
      });
      expect(run.code).not.toBe(0);
      const recap = recapOf(run.output);
      expect(recap[`${names[1]}-primary`], run.output).toMatchObject({ failed: 1 });
      expect(recap[`${names[0]}-primary`], run.output).toMatchObject({ failed: 0, changed: 0 });
      expect(recap[`${names[2]}-primary`], run.output).toMatchObject({ failed: 0, changed: 0 });
      expect(run.output).toMatch(
        new RegExp(`${names[1]}: “Verify both servers at the bundle’s level” failed: \\S`),
      );
      expect(run.output).not.toContain(password);
    } finally {
      for (const server of servers(1)) lab.host(server).faults.refuseConnections = false;
    }
  }, 300_000);

  it('never writes the password: not in the project, not in twinlock’s data folder', () => {
    for (const file of [...filesUnder(project), ...filesUnder(home)])
      expect(readFileSync(file).includes(password), file).toBe(false);
  });
});

describe('twinlock fleet export-ansible: refusals', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinlock-ansible-cli-'));
  const env = { TWINLOCK_HOME: join(dir, 'home') };
  const fleetFile = join(dir, 'fleet.yaml');
  writeFileSync(fleetFile, 'pairs:\n  - name: P1\n    primary: 10.0.0.1\n    secondary: 10.0.0.2\n');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the field and the fix: no bundle, a missing bundle, forks out of range; nothing written', async () => {
    const out = join(dir, 'out');
    const noBundle = await runTwinlock(['fleet', 'export-ansible', fleetFile, '--out', out, '--json'], env);
    expect(noBundle.code).toBe(1);
    expect(last(noBundle.stdout).error).toMatchObject({ code: 'invalid-input', detail: { field: 'bundle' } });
    expect(last(noBundle.stdout).error.hint).toContain('--bundle FILE');

    const missing = await runTwinlock(
      [
        'fleet',
        'export-ansible',
        fleetFile,
        '--out',
        out,
        '--bundle',
        join(dir, 'none.twinlock.json'),
        '--json',
      ],
      env,
    );
    expect(missing.code).toBe(1);
    expect(last(missing.stdout).error.code).toBe('not-found');

    const forks = await runTwinlock(
      ['fleet', 'export-ansible', fleetFile, '--out', out, '--forks', '0', '--json'],
      env,
    );
    expect(forks.code).toBe(1);
    expect(last(forks.stdout).error.message).toContain('--forks');
    expect(() => readdirSync(out)).toThrow();
  });
});
