/**
 * The Ansible export as files: the inventory (one group per pair, its two servers and its values),
 * the playbook (Twinlock's steps as argv lists run on the controller, the password only in a
 * no_log task's environment), ansible.cfg's forks, the bundle's copy, and refusals that name the
 * field. Running the playbook against the lab is test/integration/ansible/playbook.test.ts.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Fleet, PairConfig } from '../../../engine/api/models';
import { exportBundle } from '../../../engine/bundle/export';
import { createEngine } from '../../../engine/engine';
import type { TwinlockEngine } from '../../../engine/api/contract';
import {
  ANSIBLE_FILES,
  ansibleInventory,
  ansiblePlaybook,
  pairGroupName,
  pairGroupVars,
  toYaml,
} from '../../../engine/fleet/ansible';

const home = mkdtempSync(join(tmpdir(), 'twinlock-ansible-unit-'));
const password = 'Fleet-Secret-7qX.p';
let engine: TwinlockEngine;
let bundlePath: string;

const fp = (c: string) => `SHA256:${c.repeat(43)}`;

const fleet: Fleet = {
  source: '/srv/fleets/fleet.yaml',
  bundle: null,
  user: 'twinadmin',
  pairs: [
    {
      name: 'PAIR-01',
      primary: { address: '10.1.0.21', port: 22, fingerprint: fp('A') },
      secondary: { address: '10.1.0.22', port: 2222, fingerprint: fp('B') },
      vms: ['SQL01', 'yes'],
      linkAddresses: [{ localAddress: '10.10.1.21', remoteAddress: '10.10.1.22', prefixLength: 30 }],
    },
    {
      name: 'PAIR.02',
      primary: { address: 'fe80::21', port: 22 },
      secondary: { address: 'node-b.example.com', port: 22 },
    },
    {
      name: 'PAIR_02',
      primary: { address: '10.3.0.21', port: 22 },
      secondary: { address: '10.3.0.22', port: 22 },
    },
  ],
};

beforeAll(async () => {
  const config: PairConfig = {
    name: 'TEMPLATE',
    level: 3,
    primary: 'p',
    secondary: 's',
    links: [
      {
        localNic: 'SLOT 3 Port 1',
        remoteNic: 'SLOT 3 Port 1',
        localAddress: '10.9.1.1',
        remoteAddress: '10.9.1.2',
      },
    ],
    witness: { kind: 'file-share', address: '\\\\TL-WITNESS\\twinlock-witness' },
    vms: ['SQL01'],
  };
  const host = { address: '10.0.0.1', port: 22, fingerprint: fp('C'), computerName: 'OLD-A' };
  mkdirSync(join(home, 'bundles'));
  bundlePath = join(home, 'bundles', 'template.twinlock.json');
  await exportBundle(
    {
      config,
      primary: host,
      secondary: { ...host, computerName: 'OLD-B' },
      agent: { version: '3.2.1', sha256: 'a'.repeat(64) },
    },
    home,
    bundlePath,
  );
  engine = createEngine({ dataDir: home });
});

afterAll(async () => {
  await engine?.close();
  rmSync(home, { recursive: true, force: true });
});

type Task = Record<string, any>;
/** Every task of a play, blocks opened (block, rescue, always). */
function tasksOf(tasks: Task[]): Task[] {
  return tasks.flatMap((t) =>
    t.block ? [t, ...tasksOf(t.block), ...tasksOf(t.rescue ?? []), ...tasksOf(t.always ?? [])] : [t],
  );
}

describe('the inventory', () => {
  const inventory = parse(toYaml(ansibleInventory(fleet)), { version: '1.1' }) as any;
  const pairs = inventory.all.children.twinlock_pairs;

  it('has one child group of twinlock_pairs per pair, with unique names Ansible accepts', () => {
    expect(Object.keys(pairs.children)).toEqual([
      'twinlock_pair_pair_01',
      'twinlock_pair_pair_02',
      'twinlock_pair_pair_02_2',
    ]);
    for (const name of Object.keys(pairs.children)) expect(name).toMatch(/^[a-z_][a-z0-9_]*$/);
    expect(pairGroupName('Pair-9', new Set(['twinlock_pair_pair_9']))).toBe('twinlock_pair_pair_9_2');
  });

  it('holds each pair’s two servers (address, port, role, pinned fingerprint) and its values as group vars', () => {
    const first = pairs.children.twinlock_pair_pair_01;
    expect(first.hosts).toEqual({
      'PAIR-01-primary': {
        ansible_host: '10.1.0.21',
        ansible_port: 22,
        twinlock_role: 'primary',
        twinlock_fingerprint: fp('A'),
      },
      'PAIR-01-secondary': {
        ansible_host: '10.1.0.22',
        ansible_port: 2222,
        twinlock_role: 'secondary',
        twinlock_fingerprint: fp('B'),
      },
    });
    // "yes" stays a VM's name: YAML 1.1 (PyYAML, what Ansible reads) would make a bare yes a boolean.
    expect(first.vars).toEqual({
      twinlock_pair_name: 'PAIR-01',
      twinlock_primary_host: 'PAIR-01-primary',
      twinlock_secondary_host: 'PAIR-01-secondary',
      twinlock_vms: ['SQL01', 'yes'],
      twinlock_link_addresses: ['10.10.1.21-10.10.1.22/30'],
    });
    expect(toYaml(ansibleInventory(fleet))).toContain('- "yes"');
    // A pair without its own values takes the bundle's: no VMs or addresses in its group.
    expect(pairs.children.twinlock_pair_pair_02.vars).toEqual({
      twinlock_pair_name: 'PAIR.02',
      twinlock_primary_host: 'PAIR.02-primary',
      twinlock_secondary_host: 'PAIR.02-secondary',
    });
    expect(pairs.children.twinlock_pair_pair_02.hosts['PAIR.02-primary']).toEqual({
      ansible_host: 'fe80::21',
      ansible_port: 22,
      twinlock_role: 'primary',
    });
    expect(pairs.vars).toEqual({ twinlock_user: 'twinadmin' });
  });

  it('lists every primary in twinlock_primaries: the play runs once per pair', () => {
    expect(Object.keys(inventory.all.children.twinlock_primaries.hosts)).toEqual([
      'PAIR-01-primary',
      'PAIR.02-primary',
      'PAIR_02-primary',
    ]);
  });
});

describe('the playbook', () => {
  const plays = parse(toYaml(ansiblePlaybook()), { version: '1.1' }) as Task[];
  const [check, run] = plays as [Task, Task];
  const all = plays.flatMap((p) => tasksOf(p.tasks));

  /**
   * The argv a pair's own values add to plan and drift, as Jinja (the engine Ansible renders with,
   * through Python) evaluates it for a pair's group vars. `regex_replace` and `bool` are Ansible's filters, given the same meaning.
   */
  function pairArgs(groupVars: Record<string, unknown>, variable = 'twinlock_pair_args'): string[] {
    const expression = String(run.vars[variable]).replace(/^\{\{\s*|\s*\}\}$/g, '');
    const program = [
      'import json, re, sys',
      'from jinja2 import Environment',
      'env = Environment()',
      "env.filters['regex_replace'] = lambda value, pattern, repl: re.sub(pattern, repl, value)",
      // Ansible's bool filter: a boolean as it is, 'yes'/'on'/'1'/'true' as true.
      "env.filters['bool'] = lambda v: v if isinstance(v, bool) else str(v).lower() in ('yes', 'on', '1', 'true')",
      'data = json.load(sys.stdin)',
      'print(json.dumps(env.compile_expression(data["expression"])(**data["vars"])))',
    ].join('\n');
    const done = spawnSync('python3', ['-c', program], {
      input: JSON.stringify({ expression, vars: groupVars }),
      encoding: 'utf8',
    });
    if (done.status !== 0) throw new Error(`Jinja could not evaluate ${variable}: ${done.stderr}`);
    return JSON.parse(done.stdout) as string[];
  }

  it('gives plan and drift a pair’s own VMs, --no-vms for a pair that protects none, nothing for the bundle’s', () => {
    const vars = (pair: (typeof fleet.pairs)[number]) => pairGroupVars(pair);
    const [first, second] = fleet.pairs as [(typeof fleet.pairs)[number], (typeof fleet.pairs)[number]];
    expect(pairArgs(vars(first))).toEqual([
      '--name',
      'PAIR-01',
      '--vm=SQL01',
      '--vm=yes',
      '--link-address=10.10.1.21-10.10.1.22/30',
    ]);
    expect(pairArgs(vars(second))).toEqual(['--name', 'PAIR.02']);
    const none = vars({ ...second, vms: [] });
    expect(none.twinlock_vms).toEqual([]);
    expect(pairArgs(none)).toEqual(['--name', 'PAIR.02', '--no-vms']);
    // Both verbs that take a pair's values get them.
    const takers = all
      .filter((t) => String(t['ansible.builtin.command']?.argv ?? '').includes('twinlock_pair_args'))
      .map((t) => t.register);
    expect(takers).toEqual(['twinlock_plan', 'twinlock_drift']);
  });

  it('gives plan and drift a Level 1 pair’s own cluster, each flag one argv word', () => {
    const l1 = pairGroupVars({
      name: 'PAIR-02',
      primary: { address: '10.2.0.21', port: 22 },
      secondary: { address: '10.2.0.22', port: 22 },
      cluster: { name: 'PAIR02-CL', address: '10.0.0.51' },
    });
    expect(l1).toMatchObject({ twinlock_cluster_name: 'PAIR02-CL', twinlock_cluster_address: '10.0.0.51' });
    expect(pairArgs(l1)).toEqual([
      '--name',
      'PAIR-02',
      '--cluster-name=PAIR02-CL',
      '--cluster-address=10.0.0.51',
    ]);
    expect(pairGroupVars(fleet.pairs[1]!)).not.toHaveProperty('twinlock_cluster_name');
  });

  it('enables Failover Clustering at Level 1 (no agent package options) and installs the bundle’s agent at 2 and 3', () => {
    const base = {
      twinlock_bundle_file: '/p/bundle.twinlock',
      twinlock_install_args: ['--package', '/a'],
    };
    expect(pairArgs({ ...base, twinlock_level: '1' }, 'twinlock_install_level_args')).toEqual([
      '--level',
      '1',
    ]);
    expect(
      pairArgs({ ...base, twinlock_level: '1', twinlock_allow_reboot: true }, 'twinlock_install_level_args'),
    ).toEqual(['--level', '1', '--allow-reboot']);
    expect(pairArgs({ ...base, twinlock_level: '3' }, 'twinlock_install_level_args')).toEqual([
      '--bundle',
      '/p/bundle.twinlock',
      '--package',
      '/a',
    ]);
  });

  it('names the cloud witness key’s variable to the pairing only, and only for a cloud witness: never the key', () => {
    const checked = (witness: unknown) => ({
      hostvars: { localhost: { twinlock_checked_bundle: { pair: { level: 1, witness } } } },
    });
    expect(
      pairArgs(checked({ kind: 'cloud', address: 'contosowitness' }), 'twinlock_cloud_key_args'),
    ).toEqual(['--cloud-witness-key-env', 'TWINLOCK_CLOUD_WITNESS_KEY']);
    expect(
      pairArgs(
        {
          ...checked({ kind: 'cloud', address: 'contosowitness' }),
          twinlock_cloud_witness_key_env: 'SITE7_KEY',
        },
        'twinlock_cloud_key_args',
      ),
    ).toEqual(['--cloud-witness-key-env', 'SITE7_KEY']);
    expect(pairArgs(checked({ kind: 'disk', address: 'Cluster Disk 1' }), 'twinlock_cloud_key_args')).toEqual(
      [],
    );
    expect(pairArgs(checked(null), 'twinlock_cloud_key_args')).toEqual([]);
    const takers = all
      .filter((t) => String(t['ansible.builtin.command']?.argv ?? '').includes('twinlock_cloud_key_args'))
      .map((t) => t.register);
    expect(takers).toEqual(['twinlock_pair']);
    for (const t of all) expect(JSON.stringify(t.environment ?? '')).not.toMatch(/CLOUD|cloud/);
  });

  it('checks the bundle once, on the controller, in a play of its own before any pair', () => {
    expect(check.hosts).toBe('localhost');
    expect(check.tasks[0]['ansible.builtin.command'].argv).toBe(
      "{{ [twinlock_cmd, 'bundle', 'verify', twinlock_bundle_file, '--json'] }}",
    );
    expect(check.tasks[0].failed_when).toBe('twinlock_bundle_check.rc != 0');
    expect(run.hosts).toBe('twinlock_primaries');
  });

  it('runs verify → install → plan → pair → drift, each as an argv list on the controller, never a shell line', () => {
    const commands = all.filter((t) => t['ansible.builtin.command']);
    const verbs = commands.map(
      (t) => /\[twinlock_cmd, '([a-z]+)'/.exec(t['ansible.builtin.command'].argv)?.[1],
    );
    expect(verbs).toEqual(['bundle', 'verify', 'install', 'plan', 'pair', 'drift']);
    for (const t of commands) {
      expect(Object.keys(t['ansible.builtin.command'])).toEqual(
        t.register === 'twinlock_bundle_check' ? ['argv'] : ['argv', 'stdin'],
      );
      expect(t['ansible.builtin.command'].argv).toMatch(/^\{\{ \[twinlock_cmd, .*\] (\+ [a-z_]+ )*\}\}$/);
    }
    expect(all.some((t) => Object.keys(t).some((k) => /shell|raw|script|win_/.test(k)))).toBe(false);
    for (const t of commands.slice(1)) {
      expect(t.delegate_to).toBe('localhost');
      expect(t.failed_when).toMatch(/\.rc != 0$/);
      expect(t).toHaveProperty('changed_when');
    }
    // Only installing and pairing change anything; pairing only when the plan changes something.
    expect(commands.filter((t) => t.changed_when === false).map((t) => t.register)).toEqual([
      'twinlock_bundle_check',
      'twinlock_verify',
      'twinlock_plan',
      'twinlock_drift',
    ]);
    expect(commands.find((t) => t.register === 'twinlock_pair')!.when).toBe(
      'twinlock_plan_changes | int > 0',
    );
    expect(commands.find((t) => t.register === 'twinlock_install')!.changed_when).toContain(
      "rejectattr('action', 'equalto', 'already-installed')",
    );
  });

  it('uses ansible.builtin modules only: no ansible.windows, nothing that reaches a server from Ansible', () => {
    const keywords = new Set([
      'name',
      'delegate_to',
      'environment',
      'no_log',
      'register',
      'when',
      'changed_when',
      'failed_when',
      'vars',
      'block',
      'rescue',
      'always',
    ]);
    for (const t of all) {
      const modules = Object.keys(t).filter((k) => !keywords.has(k));
      if (t.block) expect(modules).toEqual([]);
      else expect(modules, t.name).toEqual([expect.stringMatching(/^ansible\.builtin\.[a-z_]+$/)]);
    }
    expect(check.connection).toBe('local');
  });

  it('gives twinlock the password on its standard input only, from Vault or TWINLOCK_PASSWORD, in no_log tasks', () => {
    expect(run.vars.twinlock_secret).toBe(
      "{{ twinlock_password | default(lookup('ansible.builtin.env', 'TWINLOCK_PASSWORD')) }}",
    );
    expect(run.vars.twinlock_cmd).toBe("{{ twinlock_command | default('twinlock') }}");
    expect(run.vars.twinlock_connect_args).toContain("'--password-stdin'");
    const withSecret = all.filter((t) => JSON.stringify(t).includes('twinlock_secret') && !t.block);
    expect(withSecret.map((t) => t.register ?? t.name)).toEqual([
      'Refuse to start without the servers’ password',
      'twinlock_verify',
      'twinlock_install',
      'twinlock_plan',
      'twinlock_pair',
      'twinlock_drift',
    ]);
    for (const t of withSecret.slice(1)) {
      expect(t['ansible.builtin.command'].stdin).toBe('{{ twinlock_secret }}');
      expect(t.no_log, t.name).toBe(true);
    }
    // Never in an environment (Ansible puts it on the command line it runs) nor in argv.
    for (const t of all) expect(JSON.stringify(t.environment ?? '')).not.toMatch(/secret|PASSWORD/);
    expect(run.vars.twinlock_env).not.toMatch(/secret|PASSWORD/);
    for (const t of all.filter((x) => x['ansible.builtin.command']))
      expect(t['ansible.builtin.command'].argv).not.toMatch(/secret|password'/);
  });

  it('runs pairs at their own pace, a failure reported with twinlock’s message for that pair alone', () => {
    expect(run.strategy).toBe('ansible.builtin.free');
    expect(run.any_errors_fatal).toBeUndefined();
    const block = run.tasks.find((t: Task) => t.block)!;
    expect(block.rescue[0].vars.twinlock_reason).toContain('twinlock_failure.error.message');
  });
});

describe('exportAnsible', () => {
  it('writes the inventory, the playbook, ansible.cfg with the forks, the README and the bundle’s copy, no password anywhere', async () => {
    const saved = process.env.TWINLOCK_PASSWORD;
    process.env.TWINLOCK_PASSWORD = password;
    const out = join(home, 'project');
    try {
      const result = await engine.api.exportAnsible({ fleet, bundle: bundlePath, outDir: out, forks: 25 });
      expect(result.dir).toBe(out);
      expect(result.files).toEqual([
        ANSIBLE_FILES.inventory,
        ANSIBLE_FILES.playbook,
        ANSIBLE_FILES.config,
        ANSIBLE_FILES.readme,
        ANSIBLE_FILES.bundle,
      ]);
    } finally {
      if (saved === undefined) delete process.env.TWINLOCK_PASSWORD;
      else process.env.TWINLOCK_PASSWORD = saved;
    }
    const cfg = readFileSync(join(out, 'ansible.cfg'), 'utf8');
    expect(cfg).toMatch(/^forks = 25$/m);
    expect(cfg).toMatch(/^inventory = inventory\.yml$/m);
    expect(cfg).toMatch(/^\[connection\]\n(;.*\n)*pipelining = True$/m);
    expect(readFileSync(join(out, ANSIBLE_FILES.bundle), 'utf8')).toBe(readFileSync(bundlePath, 'utf8'));
    for (const f of readdirSync(out)) {
      const text = readFileSync(join(out, f), 'utf8');
      expect(text, f).not.toContain(password);
    }
    expect(parse(readFileSync(join(out, 'inventory.yml'), 'utf8'))).toEqual(ansibleInventory(fleet));
    expect(parse(readFileSync(join(out, 'playbook.yml'), 'utf8'))).toEqual(ansiblePlaybook());
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    expect(readme).toContain('ansible-vault create group_vars/twinlock_pairs/vault.yml');
    expect(readme).toContain('no `ansible.windows` collection');
  });

  it('uses ten forks by default and copies the agent/ folder beside the bundle', async () => {
    const agent = join(home, 'bundles', 'agent');
    mkdirSync(agent);
    writeFileSync(join(agent, 'agent-manifest.json'), '{}');
    writeFileSync(join(agent, 'TwinlockAgent.msi'), 'msi');
    const out = join(home, 'project-default');
    const result = await engine.api.exportAnsible({ fleet: { ...fleet, bundle: bundlePath }, outDir: out });
    expect(result.files).toContain('agent');
    expect(readFileSync(join(out, 'agent', 'TwinlockAgent.msi'), 'utf8')).toBe('msi');
    expect(readFileSync(join(out, 'ansible.cfg'), 'utf8')).toMatch(/^forks = 10$/m);
    rmSync(agent, { recursive: true });
  });

  it('refuses a fleet with no bundle, naming the field, and writes nothing', async () => {
    const out = join(home, 'no-bundle');
    await expect(engine.api.exportAnsible({ fleet, outDir: out })).rejects.toMatchObject({
      code: 'invalid-input',
      detail: { field: 'bundle' },
    });
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a bundle no trusted key signed before writing anything', async () => {
    const other = mkdtempSync(join(tmpdir(), 'twinlock-ansible-other-'));
    const foreign = createEngine({ dataDir: other });
    const out = join(other, 'project');
    try {
      await expect(
        foreign.api.exportAnsible({ fleet, bundle: bundlePath, outDir: out }),
      ).rejects.toMatchObject({
        code: 'bundle-untrusted',
      });
      expect(existsSync(out)).toBe(false);
    } finally {
      await foreign.close();
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('writes each Level 1 pair’s cluster into the inventory, and refuses a pair without one before writing anything', async () => {
    const config: PairConfig = {
      name: 'PAIR-01',
      level: 1,
      primary: 'p',
      secondary: 's',
      links: [
        {
          localNic: 'SLOT 3 Port 1',
          remoteNic: 'SLOT 3 Port 1',
          localAddress: '10.9.1.1',
          remoteAddress: '10.9.1.2',
        },
      ],
      witness: { kind: 'cloud', address: 'contosowitness' },
      vms: ['SQL01'],
      cluster: { name: 'PAIR01-CL', address: '10.0.0.50' },
    };
    const host = { address: '10.0.0.1', port: 22, fingerprint: fp('C'), computerName: 'OLD-A' };
    const l1Bundle = join(home, 'bundles', 'level1.twinlock.json');
    await exportBundle(
      {
        config,
        primary: host,
        secondary: { ...host, address: '10.0.0.2', computerName: 'OLD-B' },
        agent: { version: '3.2.1', sha256: 'a'.repeat(64) },
      },
      home,
      l1Bundle,
    );
    const l1Fleet: Fleet = {
      source: '/srv/fleets/fleet-l1.yaml',
      bundle: l1Bundle,
      pairs: [
        {
          name: 'PAIR-02',
          primary: { address: '10.2.0.21', port: 22 },
          secondary: { address: '10.2.0.22', port: 22 },
          cluster: { name: 'PAIR02-CL', address: '10.0.0.51' },
          line: 3,
        },
      ],
    };
    const out = join(home, 'project-l1');
    await engine.api.exportAnsible({ fleet: l1Fleet, outDir: out });
    const inventory = parse(readFileSync(join(out, 'inventory.yml'), 'utf8')) as any;
    expect(inventory.all.children.twinlock_pairs.children.twinlock_pair_pair_02.vars).toMatchObject({
      twinlock_cluster_name: 'PAIR02-CL',
      twinlock_cluster_address: '10.0.0.51',
    });
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain(
      '--cloud-witness-key-env TWINLOCK_CLOUD_WITNESS_KEY',
    );

    const missing = join(home, 'project-l1-missing');
    const { cluster: _cluster, ...bare } = l1Fleet.pairs[0]!;
    await expect(
      engine.api.exportAnsible({ fleet: { ...l1Fleet, pairs: [bare] }, outDir: missing }),
    ).rejects.toMatchObject({
      code: 'invalid-input',
      message: expect.stringContaining(
        'fleet-l1.yaml line 3: PAIR-02 has no cluster_name and cluster_address',
      ),
    });
    expect(existsSync(missing)).toBe(false);
  });

  it('refuses forks out of range and an empty folder name, naming the field', async () => {
    await expect(
      engine.api.exportAnsible({ fleet, bundle: bundlePath, outDir: join(home, 'x'), forks: 0 }),
    ).rejects.toMatchObject({ code: 'invalid-input', detail: { field: 'forks' } });
    await expect(engine.api.exportAnsible({ fleet, bundle: bundlePath, outDir: ' ' })).rejects.toMatchObject({
      code: 'invalid-input',
      detail: { field: 'outDir' },
    });
  });
});
