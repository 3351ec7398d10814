/**
 * A fleet as an Ansible project, for an automation controller (AWX, Automation Platform, or
 * `ansible-playbook` on a jump host) that runs hundreds of pairs across sites: an inventory with
 * one group per pair, a playbook that runs Twinlock's own steps for each pair from the controller,
 * an `ansible.cfg` and a README.
 *
 * Nothing here reaches a server through Ansible: every task runs the `twinlock` command on the
 * controller (delegated to localhost, `ansible.builtin.command` with an argv list, never a shell
 * line), and twinlock reaches the servers over SSH as it does from a workstation. So no Windows
 * collection (ansible.windows, WinRM) is needed on the controller.
 *
 * The password is never written: the playbook takes it from a vaulted `twinlock_password` or the
 * controller's TWINLOCK_PASSWORD, and hands it to twinlock on its standard input
 * (`--password-stdin`), in tasks that are `no_log`, with pipelining on. Not through the task's
 * `environment`: Ansible puts that on the `/bin/sh -c 'TWINLOCK_PASSWORD=… python …'` line it runs,
 * which `ps` shows to every user of the controller and `-vvv` prints. The functions building the
 * files are pure; `writeAnsibleProject` writes them.
 */
import { copyFile, cp, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { TwinlockError } from '../api/errors';
import type {
  Bundle,
  ExportAnsibleRequest,
  ExportAnsibleResult,
  Fleet,
  FleetHost,
  FleetPair,
} from '../api/models';
import { checkFleetLevel } from './fleet-file';

/** The files an export writes, relative to its folder (the bundle's copy and agent/ beside them). */
export const ANSIBLE_FILES = {
  inventory: 'inventory.yml',
  playbook: 'playbook.yml',
  config: 'ansible.cfg',
  readme: 'README.md',
  bundle: 'bundle.twinlock',
  agent: 'agent',
} as const;

/** Ansible's forks when the request gives none. */
export const DEFAULT_FORKS = 10;

/** The group holding every pair's group. */
export const PAIRS_GROUP = 'twinlock_pairs';
/** The group of every pair's primary: the play runs once per pair, on it. */
export const PRIMARIES_GROUP = 'twinlock_primaries';

export interface AnsibleProjectOptions {
  /** Pairs at once (Ansible's forks). */
  forks: number;
  /** What the README says about the bundle (its pair, level, signer). */
  bundle: { name: string; level: number; createdAt: string; source: string };
}

/**
 * A group name Ansible takes without a warning (letters, digits, underscores; not starting with a
 * digit), unique among `taken`: `PAIR-01` gives `twinlock_pair_pair_01`.
 */
export function pairGroupName(pairName: string, taken: ReadonlySet<string> = new Set()): string {
  const stem = `twinlock_pair_${pairName.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
  let name = stem;
  for (let n = 2; taken.has(name); n++) name = `${stem}_${n}`;
  return name;
}

/** The inventory host name of a pair's server: `PAIR-01-primary`. */
export function serverHostName(pair: FleetPair, role: 'primary' | 'secondary'): string {
  return `${pair.name}-${role}`;
}

function serverVars(host: FleetHost, role: 'primary' | 'secondary'): Record<string, unknown> {
  return {
    ansible_host: host.address,
    ansible_port: host.port,
    twinlock_role: role,
    ...(host.fingerprint !== undefined ? { twinlock_fingerprint: host.fingerprint } : {}),
  };
}

/** The values a pair's group holds (its name, VMs, link addresses, Level 1 cluster, and which host is which). */
export function pairGroupVars(pair: FleetPair): Record<string, unknown> {
  return {
    twinlock_pair_name: pair.name,
    twinlock_primary_host: serverHostName(pair, 'primary'),
    twinlock_secondary_host: serverHostName(pair, 'secondary'),
    ...(pair.vms !== undefined ? { twinlock_vms: pair.vms } : {}),
    // In twinlock's own --link-address form (LOCAL-REMOTE[/PREFIX]), one per sync link in the bundle's order.
    ...(pair.linkAddresses !== undefined
      ? {
          twinlock_link_addresses: pair.linkAddresses.map(
            (l) =>
              `${l.localAddress}-${l.remoteAddress}${l.prefixLength !== undefined ? `/${l.prefixLength}` : ''}`,
          ),
        }
      : {}),
    // Level 1: the pair's own failover cluster (given to plan and drift as --cluster-name/--cluster-address).
    ...(pair.cluster !== undefined
      ? { twinlock_cluster_name: pair.cluster.name, twinlock_cluster_address: pair.cluster.address }
      : {}),
  };
}

/** The inventory as data: `twinlock_pairs` with one child group per pair, and the primaries' group. */
export function ansibleInventory(fleet: Fleet): Record<string, unknown> {
  const taken = new Set<string>();
  const pairs: Record<string, unknown> = {};
  for (const pair of fleet.pairs) {
    const group = pairGroupName(pair.name, taken);
    taken.add(group);
    pairs[group] = {
      hosts: {
        [serverHostName(pair, 'primary')]: serverVars(pair.primary, 'primary'),
        [serverHostName(pair, 'secondary')]: serverVars(pair.secondary, 'secondary'),
      },
      vars: pairGroupVars(pair),
    };
  }
  return {
    all: {
      children: {
        [PAIRS_GROUP]: {
          children: pairs,
          vars: { twinlock_user: fleet.user ?? 'Administrator' },
        },
        [PRIMARIES_GROUP]: {
          hosts: Object.fromEntries(fleet.pairs.map((p) => [serverHostName(p, 'primary'), null])),
        },
      },
    },
  };
}

/** YAML as Ansible reads it: YAML 1.1 (PyYAML), so `yes`, `on` or `0755` stay strings. */
export function toYaml(value: unknown): string {
  return stringify(value, { version: '1.1', lineWidth: 0 });
}

const HEADER = (what: string) =>
  `# ${what}, exported by twinlock fleet export-ansible. Exporting again replaces this file.\n`;

export function inventoryText(fleet: Fleet): string {
  return (
    HEADER(`Twinlock fleet ${basename(fleet.source)}: one group per pair, its two servers`) +
    toYaml(ansibleInventory(fleet))
  );
}

// ── The playbook ────────────────────────────────────────────────────────────────────────────────

/** `host:port` of an inventory host, bracketing an IPv6 address, as twinlock's host arguments take it. */
const endpoint = (host: string) =>
  `{{ ((('[' ~ hostvars[${host}].ansible_host ~ ']') if ':' in hostvars[${host}].ansible_host else hostvars[${host}].ansible_host) ~ ':' ~ hostvars[${host}].ansible_port) }}`;

const fingerprintArgs = (host: string) =>
  `(['--fingerprint', hostvars[${host}].twinlock_fingerprint] if hostvars[${host}].twinlock_fingerprint is defined else [])`;

/** The last JSON document twinlock printed (its result, or `{"error": …}`), from a registered result. */
const lastJson = (registered: string) =>
  `(${registered}.stdout_lines | default([]) | select('match', '^\\s*\\{') | map('from_json') | list | last | default({}))`;

/** Play variables: the values every task's argv is built from (defaults overridable by -e, vault or group_vars). */
const pairPlayVars: Record<string, string> = {
  twinlock_cmd: "{{ twinlock_command | default('twinlock') }}",
  twinlock_bundle_file: "{{ twinlock_bundle | default(playbook_dir ~ '/bundle.twinlock') }}",
  twinlock_level: "{{ hostvars['localhost'].twinlock_checked_bundle.pair.level | string }}",
  twinlock_primary: endpoint('twinlock_primary_host'),
  twinlock_secondary: endpoint('twinlock_secondary_host'),
  twinlock_connect_args:
    "{{ ['--user', twinlock_user | default('Administrator'), '--timeout', twinlock_timeout_ms | default(15000) | string, '--password-stdin'] + " +
    `${fingerprintArgs('twinlock_primary_host')} + ${fingerprintArgs('twinlock_secondary_host')} + ` +
    "(['--trust-new'] if twinlock_trust_new | default(false) | bool else []) }}",
  // The pair's own values (the fleet file's row), for the plan and the drift check.
  twinlock_pair_args:
    // twinlock_vms absent: the bundle's VMs; an empty list: none (--no-vms); else each with --vm=.
    "{{ ['--name', twinlock_pair_name] + " +
    "(((['--no-vms'] if twinlock_vms | length == 0 else twinlock_vms | map('regex_replace', '^', '--vm=') | list)) if twinlock_vms is defined else []) + " +
    "(twinlock_link_addresses | default([]) | map('regex_replace', '^', '--link-address=') | list) + " +
    // Level 1: the pair's own cluster, as one argv word each (--flag=value), never the bundle's first pair's.
    "((['--cluster-name=' ~ twinlock_cluster_name]) if twinlock_cluster_name is defined else []) + " +
    "((['--cluster-address=' ~ twinlock_cluster_address]) if twinlock_cluster_address is defined else []) }}",
  // Level 1 with a cloud witness: the NAME of the controller's variable holding the key (the key
  // itself is never in a file, an argv or a task's environment; twinlock reads it from its own).
  twinlock_cloud_key_args:
    "{{ (['--cloud-witness-key-env', twinlock_cloud_witness_key_env | default('TWINLOCK_CLOUD_WITNESS_KEY')]) " +
    "if (hostvars['localhost'].twinlock_checked_bundle.pair.witness.kind | default('')) == 'cloud' else [] }}",
  twinlock_install_args:
    "{{ (['--trust-publisher', twinlock_trust_publisher] if twinlock_trust_publisher | default('') | length > 0 else []) + " +
    "(['--package', twinlock_package_dir] if twinlock_package_dir | default('') | length > 0 else []) + " +
    "(['--allow-reboot'] if twinlock_allow_reboot | default(false) | bool else []) }}",
  // Level 1 enables Windows' Failover Clustering (no agent package: --bundle and the package's options
  // do not apply); Levels 2 and 3 install the agent the bundle names.
  twinlock_install_level_args:
    "{{ (['--level', '1'] + (['--allow-reboot'] if twinlock_allow_reboot | default(false) | bool else [])) " +
    "if twinlock_level == '1' else (['--bundle', twinlock_bundle_file] + twinlock_install_args) }}",
  // The password: a vaulted twinlock_password, else the controller's TWINLOCK_PASSWORD. Never in a file.
  twinlock_secret: "{{ twinlock_password | default(lookup('ansible.builtin.env', 'TWINLOCK_PASSWORD')) }}",
  twinlock_env: "{{ {'TWINLOCK_HOME': twinlock_home} if twinlock_home | default('') | length > 0 else {} }}",
};

/** One twinlock run on the controller: argv only, the password on its standard input, the task's record kept out of logs. */
function twinlockTask(
  name: string,
  argv: string,
  register: string,
  rules: { changedWhen: string | false; failedWhen: string; when?: string },
): Record<string, unknown> {
  return {
    name,
    // The password travels as a module argument (piped to the module with pipelining, never a file
    // or a command line) to twinlock's standard input (--password-stdin in twinlock_connect_args).
    'ansible.builtin.command': { argv, stdin: '{{ twinlock_secret }}' },
    delegate_to: 'localhost',
    environment: '{{ twinlock_env }}',
    // The task's arguments hold the password: keep its record out of the output and logs. The
    // rescue below reports twinlock's own error message, which never carries a secret.
    no_log: true,
    register,
    ...(rules.when !== undefined ? { when: rules.when } : {}),
    changed_when: rules.changedWhen,
    failed_when: rules.failedWhen,
  };
}

export function ansiblePlaybook(): Record<string, unknown>[] {
  const checkBundle = {
    name: 'Check the bundle on the controller, once, before any pair is touched',
    hosts: 'localhost',
    connection: 'local',
    gather_facts: false,
    vars: {
      twinlock_cmd: pairPlayVars.twinlock_cmd,
      twinlock_bundle_file: pairPlayVars.twinlock_bundle_file,
      twinlock_env:
        "{{ {'TWINLOCK_HOME': twinlock_home} if twinlock_home | default('') | length > 0 else {} }}",
    },
    tasks: [
      {
        name: 'Check the bundle’s signature and that a trusted key made it',
        'ansible.builtin.command': {
          argv: "{{ [twinlock_cmd, 'bundle', 'verify', twinlock_bundle_file, '--json'] }}",
        },
        environment: '{{ twinlock_env }}',
        register: 'twinlock_bundle_check',
        changed_when: false,
        failed_when: 'twinlock_bundle_check.rc != 0',
      },
      {
        name: 'Keep what the bundle says (its level) for every pair',
        'ansible.builtin.set_fact': {
          twinlock_checked_bundle: `{{ ${lastJson('twinlock_bundle_check')} }}`,
        },
      },
    ],
  };

  const result = (r: string) => lastJson(r);
  const steps = [
    twinlockTask(
      'Verify both servers at the bundle’s level',
      "{{ [twinlock_cmd, 'verify', twinlock_primary, twinlock_secondary, '--level', twinlock_level, '--json'] + twinlock_connect_args }}",
      'twinlock_verify',
      // Exit 2: a blocker (the message names it); 1: an error.
      { changedWhen: false, failedWhen: 'twinlock_verify.rc != 0' },
    ),
    twinlockTask(
      'Install the agent the bundle names (Level 1: enable Failover Clustering)',
      "{{ [twinlock_cmd, 'install', twinlock_primary, twinlock_secondary, '--json'] + twinlock_install_level_args + twinlock_connect_args }}",
      'twinlock_install',
      {
        changedWhen: `twinlock_install.rc == 0 and (${result('twinlock_install')}.result | default([]) | rejectattr('action', 'equalto', 'already-installed') | list | length > 0)`,
        failedWhen: 'twinlock_install.rc != 0',
      },
    ),
    {
      name: 'Make a folder on the controller for the pair’s plan',
      'ansible.builtin.tempfile': { state: 'directory', prefix: 'twinlock-{{ twinlock_pair_name }}-' },
      delegate_to: 'localhost',
      register: 'twinlock_workdir',
      changed_when: false,
    },
    twinlockTask(
      'Plan the pair from the bundle (changes nothing)',
      "{{ [twinlock_cmd, 'plan', twinlock_primary, twinlock_secondary, '--bundle', twinlock_bundle_file, '--out', twinlock_workdir.path ~ '/plan.json', '--json'] + twinlock_pair_args + twinlock_connect_args }}",
      'twinlock_plan',
      { changedWhen: false, failedWhen: 'twinlock_plan.rc != 0' },
    ),
    {
      name: 'Count the changes the plan makes',
      'ansible.builtin.set_fact': {
        twinlock_plan_changes: `{{ (${result('twinlock_plan')}.totals.changes.primary | default(1) | int) + (${result('twinlock_plan')}.totals.changes.secondary | default(1) | int) }}`,
      },
    },
    twinlockTask(
      'Pair the servers: apply the plan exactly',
      "{{ [twinlock_cmd, 'pair', '--plan', twinlock_workdir.path ~ '/plan.json', '--json'] + twinlock_cloud_key_args + twinlock_connect_args }}",
      'twinlock_pair',
      {
        when: 'twinlock_plan_changes | int > 0',
        changedWhen: `twinlock_pair.rc == 0 and (${result('twinlock_pair')}.changed | default(true) | bool)`,
        failedWhen: 'twinlock_pair.rc != 0',
      },
    ),
    twinlockTask(
      'Check the pair matches its bundle (drift)',
      "{{ [twinlock_cmd, 'drift', twinlock_bundle_file, twinlock_primary, twinlock_secondary, '--json'] + twinlock_pair_args + twinlock_connect_args }}",
      'twinlock_drift',
      // Exit 0: it matches; 3: it still differs (each difference named below); 1: an error.
      { changedWhen: false, failedWhen: 'twinlock_drift.rc != 0' },
    ),
  ];

  const pairs = {
    name: 'Bring every pair to its bundle: verify, install, plan, pair, drift check',
    hosts: PRIMARIES_GROUP,
    gather_facts: false,
    // Each pair at its own pace (forks of them at once); one pair's failure stops only that pair.
    strategy: 'ansible.builtin.free',
    vars: pairPlayVars,
    tasks: [
      {
        name: 'Refuse to start without the servers’ password',
        'ansible.builtin.assert': {
          that: ['twinlock_secret | length > 0'],
          fail_msg:
            'No password for the servers: set TWINLOCK_PASSWORD on the controller, or twinlock_password in a vaulted file (see README.md).',
          quiet: true,
        },
      },
      {
        name: 'Run Twinlock’s steps for the pair',
        block: steps,
        rescue: [
          {
            name: 'Say why the pair failed',
            'ansible.builtin.fail': {
              msg:
                '{{ twinlock_pair_name }}: “{{ ansible_failed_task.name }}” failed: {{ twinlock_reason }}' +
                "{{ (' ' ~ twinlock_failure.error.hint) if twinlock_failure.error.hint is defined else '' }}" +
                "{{ (' Differences: ' ~ (twinlock_failure.differences | map(attribute='what') | join('; ')) ~ '.') if twinlock_failure.differences is defined else '' }}",
            },
            vars: {
              twinlock_failure: `{{ ${lastJson('ansible_failed_result')} }}`,
              // twinlock's error (--json), a verification's verdict, a drift, or what the command said.
              twinlock_reason:
                '{{ twinlock_failure.error.message if twinlock_failure.error is defined else ' +
                "(twinlock_failure.verdict if twinlock_failure.verdict is defined else ('the pair still differs from its bundle.' if twinlock_failure.differences is defined else " +
                "(ansible_failed_result.stderr_lines | default([]) | last | default(ansible_failed_result.msg | default('it failed.'))))) }}",
            },
          },
        ],
        always: [
          {
            name: 'Remove the pair’s plan folder',
            'ansible.builtin.file': { path: '{{ twinlock_workdir.path }}', state: 'absent' },
            delegate_to: 'localhost',
            when: 'twinlock_workdir.path is defined',
            changed_when: false,
          },
        ],
      },
    ],
  };
  return [checkBundle, pairs];
}

export function playbookText(): string {
  return (
    HEADER('Twinlock’s steps for every pair of the inventory, run from the controller') +
    '# Run: ansible-playbook playbook.yml (from this folder; README.md says how, with Vault).\n' +
    toYaml(ansiblePlaybook())
  );
}

export function ansibleConfigText(forks: number): string {
  return [
    HEADER('Ansible settings for this Twinlock project').trimEnd().replace(/^# /, '; '),
    '[defaults]',
    `inventory = ${ANSIBLE_FILES.inventory}`,
    '; Pairs at once: each pair is one host of the play (its primary).',
    `forks = ${forks}`,
    '; Every task runs twinlock on the controller: no SSH from Ansible, no facts to gather.',
    'gathering = explicit',
    'host_key_checking = False',
    'retry_files_enabled = False',
    'interpreter_python = auto_silent',
    '',
    '[connection]',
    '; Modules (and the password among their arguments) are piped to Python, never written to a temporary file.',
    'pipelining = True',
    '',
  ].join('\n');
}

export function readmeText(fleet: Fleet, options: AnsibleProjectOptions): string {
  const b = options.bundle;
  return `# Twinlock fleet for Ansible

Exported by \`twinlock fleet export-ansible\` from ${basename(fleet.source)}: ${fleet.pairs.length} pair(s),
bundle **${b.name}** (Level ${b.level}, signed ${b.createdAt}).

| File | What it is |
|---|---|
| \`inventory.yml\` | group \`${PAIRS_GROUP}\`, one child group per pair with its two servers (address, port, role, pinned fingerprint) and the pair's values (name, VMs, sync-link addresses; at Level 1 its cluster's name and address) |
| \`playbook.yml\` | checks the bundle once, then for each pair: verify → install → plan → pair → drift check |
| \`ansible.cfg\` | the inventory, and \`forks = ${options.forks}\`: how many pairs run at once |
| \`bundle.twinlock\` | a copy of the bundle (and \`agent/\`, the agent package, when it was beside the bundle) |

## Run it

On the controller, with \`twinlock\` installed and this folder as the working directory:

\`\`\`sh
export TWINLOCK_PASSWORD='…'          # or use Vault, below
ansible-playbook playbook.yml
\`\`\`

Every task runs \`twinlock\` on the controller (delegated to localhost, an argv list, never a
shell line); twinlock reaches the Windows servers over SSH itself. So the controller needs
\`ansible-core\` only: no \`ansible.windows\` collection, no WinRM. A second run on protected pairs
changes nothing (\`changed=0\`); a pair that fails stops alone, with twinlock's own message.
A pair's group var \`twinlock_vms\` lists its own VMs (passed as \`--vm\`); an empty list is a pair
that protects none (\`--no-vms\`); without it, the pair protects the bundle's VMs.
At Level 1 each pair's group holds its own failover cluster, \`twinlock_cluster_name\` and
\`twinlock_cluster_address\` (passed as \`--cluster-name\` and \`--cluster-address\`), and the install
step enables Windows' Failover Clustering instead of installing the agent.

Variables (\`-e name=value\`, or a file in \`group_vars/${PAIRS_GROUP}/\`):

| Variable | Default | |
|---|---|---|
| \`twinlock_command\` | \`twinlock\` | path of the twinlock command on the controller |
| \`twinlock_password\` | \`lookup('env', 'TWINLOCK_PASSWORD')\` | the servers' password; put it in Vault |
| \`twinlock_user\` | \`${fleet.user ?? 'Administrator'}\` | the administrator account (from the fleet file) |
| \`twinlock_bundle\` | \`bundle.twinlock\` here | another copy of the bundle |
| \`twinlock_trust_new\` | \`false\` | pin the host key of a server seen for the first time (else the inventory's \`twinlock_fingerprint\` must match) |
| \`twinlock_trust_publisher\` | none | the agent publisher's thumbprint, to trust it on first use |
| \`twinlock_package_dir\` | none | an agent package folder, when the bundle has no \`agent/\` beside it |
| \`twinlock_allow_reboot\` | \`false\` | let the agent's installer restart a server when it must, and wait for it |
| \`twinlock_home\` | twinlock's own | twinlock's data folder (TWINLOCK_HOME): known hosts, trusted keys, journals |
| \`twinlock_cloud_witness_key_env\` | \`TWINLOCK_CLOUD_WITNESS_KEY\` | Level 1, a cloud witness: the *name* of the controller's environment variable holding the storage account's access key |

## A cloud witness's key (Level 1)

The bundle names a cloud witness by its storage account only: the access key is never in a bundle,
in these files or in a task's arguments. When the bundle's witness is a cloud witness, the pairing
task passes twinlock the variable's *name* (\`--cloud-witness-key-env TWINLOCK_CLOUD_WITNESS_KEY\`)
and twinlock reads the key from its own environment, which it inherits from \`ansible-playbook\`
on the controller. Set it there, not in a task's \`environment:\` (which Ansible writes into the
command line it runs):

\`\`\`sh
export TWINLOCK_CLOUD_WITNESS_KEY='…'   # or a custom credential that injects it (AWX, Automation Platform)
ansible-playbook playbook.yml
\`\`\`

## The password, with Vault

The password is never written in these files. The playbook takes \`twinlock_password\` when it is
set, else the controller's \`TWINLOCK_PASSWORD\`, and gives it to twinlock on its standard input
(\`--password-stdin\`) in tasks marked \`no_log\`, with pipelining on (\`ansible.cfg\`), so it is
never in a temporary file either. Not through the task's \`environment:\`: Ansible writes a task's
environment into the command line it runs (\`/bin/sh -c 'TWINLOCK_PASSWORD=… python3 …'\`), where
\`ps\` shows it to every account on the controller and \`-vvv\` prints it.

\`\`\`sh
mkdir -p group_vars/${PAIRS_GROUP}
ansible-vault create group_vars/${PAIRS_GROUP}/vault.yml     # write: twinlock_password: '…'
ansible-playbook playbook.yml --ask-vault-pass              # or --vault-password-file FILE
\`\`\`

In AWX or Automation Platform, attach a Vault credential to the job template (or a custom
credential that sets TWINLOCK_PASSWORD).

## The bundle

The bundle is **copied beside the playbook**, not referenced by its path on the workstation that
exported it: a controller checks out a project folder (a Git repository in AWX) and a
workstation's path means nothing there. The copy stays safe to carry: the playbook's first play
runs \`twinlock bundle verify\` on the controller before any pair is touched, and a bundle altered
on the way, or signed by a key the controller does not trust, stops the run. Trust the signer once
on the controller: \`twinlock keys trust SIGNER.pub\` (made by \`twinlock keys export\` on the
workstation that signed it), or \`twinlock keys trust SHA256:… --from-bundle bundle.twinlock\`.

Exported from: \`${b.source}\`
`;
}

/** Where a bundle's agent package is looked for first: `agent/` beside it (engine/agent/package-source.ts). */
async function agentFolderBeside(bundlePath: string): Promise<string | null> {
  const dir = join(dirname(resolve(bundlePath)), 'agent');
  try {
    return (await stat(join(dir, 'agent-manifest.json'))).isFile() ? dir : null;
  } catch {
    return null;
  }
}

/** Writes a file whole or not at all. */
async function writeAtomic(path: string, text: string): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, text, { encoding: 'utf8', mode: 0o644 });
  await rename(temp, path);
}

/**
 * Writes the project into `outDir` (created): the inventory, the playbook, ansible.cfg, the README,
 * the bundle's copy and its agent/ folder when there is one. Returns the files written, relative to
 * the folder. Other files in the folder (a group_vars/ with a vault) are left as they are.
 */
export async function writeAnsibleProject(
  fleet: Fleet,
  bundlePath: string,
  outDir: string,
  options: AnsibleProjectOptions,
): Promise<{ dir: string; files: string[] }> {
  const dir = resolve(outDir);
  // 0755: Ansible ignores an ansible.cfg in a world-writable folder.
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const files: string[] = [];
  const put = async (name: string, text: string) => {
    await writeAtomic(join(dir, name), text);
    files.push(name);
  };
  await put(ANSIBLE_FILES.inventory, inventoryText(fleet));
  await put(ANSIBLE_FILES.playbook, playbookText());
  await put(ANSIBLE_FILES.config, ansibleConfigText(options.forks));
  await put(ANSIBLE_FILES.readme, readmeText(fleet, options));
  const bundleCopy = join(dir, ANSIBLE_FILES.bundle);
  if (resolve(bundlePath) !== bundleCopy) await copyFile(bundlePath, bundleCopy);
  files.push(ANSIBLE_FILES.bundle);
  const agent = await agentFolderBeside(bundlePath);
  const agentCopy = join(dir, ANSIBLE_FILES.agent);
  if (agent !== null && agent !== agentCopy) {
    await rm(agentCopy, { recursive: true, force: true });
    await cp(agent, agentCopy, { recursive: true });
    files.push(ANSIBLE_FILES.agent);
  }
  return { dir, files };
}

/** Why a folder could not be written, in an admin's words (never the operating system's errno text). */
function outDirProblem(dir: string, err: unknown): TwinlockError {
  const errno = (err as NodeJS.ErrnoException).code;
  const what =
    errno === 'EEXIST' || errno === 'ENOTDIR'
      ? 'is a file, not a folder'
      : errno === 'EACCES' || errno === 'EPERM' || errno === 'EROFS'
        ? 'cannot be written by your account'
        : 'cannot be written';
  return new TwinlockError({
    code: 'invalid-input',
    message: `outDir: ${dir} ${what}.`,
    hint: 'Choose a folder you can write, for example --out ansible/.',
    detail: { field: 'outDir', path: dir },
  });
}

/**
 * `exportAnsible`: the bundle (the request's, else the fleet file's) is opened and its signer
 * checked first, so that a project is never written for a bundle the pairs would refuse.
 */
export async function exportAnsibleProject(
  request: ExportAnsibleRequest,
  readBundle: (path: string) => Promise<Bundle>,
): Promise<ExportAnsibleResult> {
  const bundlePath = request.bundle ?? request.fleet.bundle;
  if (bundlePath === undefined || bundlePath === null) {
    throw new TwinlockError({
      code: 'invalid-input',
      message: `bundle: ${basename(request.fleet.source)} names no bundle, and none was given.`,
      hint: 'Add bundle: FILE to the fleet file, or give --bundle FILE.',
      detail: { field: 'bundle' },
    });
  }
  const bundle = await readBundle(bundlePath);
  // Each pair's cluster held to the bundle's level, as a run would, before a file is written.
  checkFleetLevel(request.fleet, bundle);
  try {
    return await writeAnsibleProject(request.fleet, bundlePath, request.outDir, {
      forks: request.forks ?? DEFAULT_FORKS,
      bundle: {
        name: bundle.pair.name,
        level: bundle.pair.level,
        createdAt: bundle.createdAt,
        source: resolve(bundlePath),
      },
    });
  } catch (err) {
    if (err instanceof TwinlockError) throw err;
    throw outDirProblem(resolve(request.outDir), err);
  }
}
