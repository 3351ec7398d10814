/**
 * Option values checked as the command line is read, before any engine starts or any server is
 * reached. Each parser goes to commander as an option's argParser; a value it refuses throws the
 * contract's `invalid-input` error, naming the flag and what it accepts, and the command line
 * (cli/main.ts) prints it like any other error, as JSON with --json, exit code 1.
 */
import { isIP } from 'node:net';
import { TwinlockError } from '../engine/api/errors';
import {
  CLUSTER_NAME,
  CLUSTER_NAME_MESSAGE,
  FINGERPRINT,
  PORT_MAX,
  PORT_MIN,
  isPort,
} from '../engine/api/rules';
import type { Command } from 'commander';
import type { PairConfig, PairProposal, ProtectionLevel, Witness } from '../engine/api';

export interface JsonOption {
  json?: boolean;
}

/** The value as typed, shortened when long, for the error message. */
function shown(value: string): string {
  return value.length > 60 ? `${value.slice(0, 60)}…` : value;
}

/** `flag “value” is not valid: it takes ACCEPTED.` with an example in the hint. */
export function invalidOption(flag: string, value: string, accepted: string, example: string): TwinlockError {
  return new TwinlockError({
    code: 'invalid-input',
    message: `${flag} “${shown(value)}” is not valid: it takes ${accepted}.`,
    hint: `For example ${flag} ${example}.`,
    detail: { field: flag.replace(/^-+/, '') },
  });
}

const LEVELS = [1, 2, 3] as const satisfies readonly ProtectionLevel[];

/** `--level`: a protection level, 1, 2 or 3. */
export function parseLevel(text: string): ProtectionLevel {
  const level = LEVELS.find((l) => String(l) === text);
  if (level === undefined) throw invalidOption('--level', text, 'a protection level: 1, 2 or 3', '3');
  return level;
}

/** A parser for a whole number from `min` up (to `max` when given). */
export function wholeNumber(
  flag: string,
  range: { min: number; max?: number; unit?: string },
  example: string,
): (text: string) => number {
  const unit = range.unit ? ` of ${range.unit}` : '';
  const accepted =
    range.max === undefined
      ? `a whole number${unit}, at least ${range.min}`
      : `a whole number${unit} from ${range.min} to ${range.max}`;
  return (text) => {
    const n = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(n) || n < range.min || (range.max !== undefined && n > range.max))
      throw invalidOption(flag, text, accepted, example);
    return n;
  };
}

/** A TCP port (engine/api/rules.ts), or 0 when `anyFree`: “any free port”. */
export function tcpPort(flag: string, example: string, anyFree = false): (text: string) => number {
  const accepted = `a TCP port from ${PORT_MIN} to ${PORT_MAX}${anyFree ? ', or 0 for any free port' : ''}`;
  return (text) => {
    const n = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!(isPort(n) || (anyFree && n === 0))) throw invalidOption(flag, text, accepted, example);
    return n;
  };
}

/** Refuses a malformed --fingerprint, saying what the form is. */
export function checkFingerprint(value: string): string {
  if (FINGERPRINT.test(value)) return value;
  throw new TwinlockError({
    code: 'invalid-input',
    message: `--fingerprint ${JSON.stringify(shown(value))} is malformed: a host-key fingerprint is SHA256: followed by 43 base64 characters (letters, digits, + and /, no = padding).`,
    hint:
      'Copy it exactly as the unknown-host-key message or ssh-keygen -lf on the server prints it, for example --fingerprint SHA256:' +
      'A'.repeat(43) +
      ', or use --trust-new.',
    detail: { field: 'fingerprint' },
  });
}

/** The formats `--report` writes, by the file's extension. */
export type ReportFileFormat = 'json' | 'html' | 'pdf';

/** The format a report file name asks for (`.htm` is HTML), or null. */
export function reportFormatOf(file: string): ReportFileFormat | null {
  const ext = /\.(json|html?|pdf)$/i.exec(file)?.[1]?.toLowerCase();
  if (ext === undefined) return null;
  return ext === 'htm' ? 'html' : (ext as ReportFileFormat);
}

/** `--report`: a file name ending .json, .html (.htm) or .pdf. */
export function parseReportFile(text: string): string {
  if (reportFormatOf(text) === null)
    throw invalidOption('--report', text, 'a file name ending .json, .html or .pdf', 'report.html');
  return text;
}

/** `parse` as a check that keeps the text as typed: for an option whose default is a string. */
export function checkedText(parse: (text: string) => unknown): (text: string) => string {
  return (text) => {
    parse(text);
    return text;
  };
}

/** What `pair` (and `plan`) take to choose the witness, the VMs, the link range, the level and the name. */
export interface PairChoiceOptions {
  name?: string;
  level?: ProtectionLevel;
  /** A witness from `--witness`, or false from `--no-witness`; undefined when neither was given. */
  witness?: Witness | false;
  /** `--vm`, repeatable, verbatim. */
  vm?: string[];
  allVms?: boolean;
  linkRange?: string;
  /** Level 1: `--cluster-name`, the failover cluster's name. */
  clusterName?: string;
  /** Level 1: `--cluster-address`, the failover cluster's static IPv4 address. */
  clusterAddress?: string;
}

/** The port a witness host answers on by default (the contract’s `WITNESS_PORT`, repeated so that parsing the command line loads no schema). */
const DEFAULT_WITNESS_PORT = 7443;

/**
 * `--witness`: `host:NAME[:PORT]` (a third server, TCP port 7443 unless given) or
 * `share:\\server\share` (a file share). The value is kept verbatim: the engine checks the name.
 */
export function parseWitness(text: string): Witness {
  const accepted =
    'host:NAME[:PORT] (a witness server), share:\\\\server\\share (a file share), or at Level 1 disk:NAME (a shared cluster disk) or cloud:ACCOUNT (an Azure storage account)';
  const example = `host:witness01 or --witness share:\\\\files\\twinlock`;
  // Level 1 only (the engine refuses them at another level): a cluster disk, an Azure storage account.
  const disk = /^disk:(.+)$/is.exec(text);
  if (disk) return { kind: 'disk', address: disk[1]! };
  const cloud = /^cloud:(.+)$/is.exec(text);
  if (cloud) {
    if (!/^[a-z0-9]{3,24}$/.test(cloud[1]!))
      throw invalidOption(
        '--witness',
        text,
        'cloud:ACCOUNT, the storage account’s name (3 to 24 lowercase letters and digits)',
        'cloud:contosowitness',
      );
    return { kind: 'cloud', address: cloud[1]! };
  }
  const share = /^share:(.*)$/is.exec(text);
  if (share) {
    const address = share[1]!;
    if (!address.startsWith('\\\\')) throw invalidOption('--witness', text, accepted, example);
    return { kind: 'file-share', address };
  }
  const host = /^host:([^:]+)(?::(\d+))?$/is.exec(text);
  if (host) {
    const port = host[2] === undefined ? undefined : Number(host[2]);
    if (port !== undefined && !isPort(port)) throw invalidOption('--witness', text, accepted, example);
    return {
      kind: 'host',
      address: host[1]!,
      ...(port !== undefined && port !== DEFAULT_WITNESS_PORT ? { port } : {}),
    };
  }
  throw invalidOption('--witness', text, accepted, example);
}

/** `--link-range`: an IPv4 range in CIDR form (the engine checks that it is private and free). */
export function parseLinkRange(text: string): string {
  if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(text))
    throw invalidOption('--link-range', text, 'a private IPv4 range in CIDR form', '172.30.0.0/24');
  return text;
}

/** Adds the pair choices to a command (`pair`, `plan`). */
export function addPairChoiceOptions(command: Command): Command {
  return command
    .option('--name <name>', 'pair name')
    .option(
      '--level <1|2|3>',
      'protection level (default: the highest the servers pass in verification; a level they fail is refused)',
      parseLevel,
    )
    .option(
      '--witness <witness>',
      'quorum witness: host:NAME[:PORT] (TCP 7443 by default) or share:\\\\server\\share; at Level 1 share:…, disk:NAME or cloud:ACCOUNT (its key from TWINLOCK_CLOUD_WITNESS_KEY or a prompt)',
      parseWitness,
    )
    .option('--no-witness', 'run without a witness (not recommended: see the warning it prints)')
    .option('--cluster-name <name>', 'Level 1: the failover cluster’s name (a computer name, e.g. PAIR01-CL)')
    .option(
      '--cluster-address <ip>',
      'Level 1: the failover cluster’s static IPv4 address, free on the business network',
    )
    .option(
      '--vm <name>',
      'a VM to protect, exactly as Hyper-V names it on the primary (repeatable)',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option('--all-vms', 'protect every VM on the primary')
    .option(
      '--link-range <cidr>',
      'private range unaddressed sync links take their /30 subnets from (default 172.30.0.0/24)',
      parseLinkRange,
    );
}

/** The split-brain warning `--no-witness` prints, in plain words. */
export const NO_WITNESS_WARNING =
  'Warning: no witness. If the two servers lose sight of each other (a cut sync cable, a switch failure), ' +
  'nothing can tell which one should carry on: both may keep running the VMs and write to their own copy of the disks ' +
  '(split brain), or both may stop to be safe. Either way, telling the copies apart afterwards is manual work. ' +
  'Give a third server or a file share with --witness unless you accept that risk.';

/**
 * Refuses, with the fix, a command line that neither names a witness nor says `--no-witness`
 * (checked before any server is reached); `suggestion` is a witness known to exist, to name in the hint.
 */
export function requireWitnessChoice(choices: PairChoiceOptions, suggestion?: Witness | null): void {
  if (choices.witness !== undefined) return;
  throw new TwinlockError({
    code: 'invalid-input',
    message:
      'Choose the quorum witness: --witness host:NAME[:PORT] or --witness share:\\\\server\\share, or --no-witness to run without one.',
    hint: suggestion
      ? `A witness is known here: --witness ${suggestion.kind === 'host' ? `host:${suggestion.address}${suggestion.port ? `:${suggestion.port}` : ''}` : `share:${suggestion.address}`}.`
      : 'A witness is a third server (TCP 7443) or a file share both servers can write to; it decides which server carries on when they lose sight of each other.',
    detail: { field: 'witness' },
  });
}

/**
 * The configuration `pair` (or `plan`) applies: the proposal with the choices made on the command
 * line. Refuses, naming the flag, a missing witness choice, a VM the primary does not have (with
 * the list of those it has), and a level verification did not pass (with why).
 */
export function pairConfigFrom(proposal: PairProposal, choices: PairChoiceOptions): PairConfig {
  const config: PairConfig = { ...proposal.config };
  if (choices.name !== undefined) config.name = choices.name;

  requireWitnessChoice(choices, proposal.witnessSuggestion);
  config.witness = choices.witness ? choices.witness : null;

  if (choices.allVms && choices.vm && choices.vm.length > 0) {
    throw new TwinlockError({
      code: 'invalid-input',
      message: '--vm and --all-vms were both given.',
      hint: 'Name the VMs to protect with --vm (repeatable), or protect all of them with --all-vms.',
      detail: { field: 'vm' },
    });
  }
  if (choices.vm && choices.vm.length > 0) {
    const available = proposal.vms.map((v) => v.name);
    const unknown = choices.vm.filter((name) => !available.includes(name));
    if (unknown.length > 0) {
      const list = available.map((n) => JSON.stringify(n)).join(', ') || 'none';
      throw new TwinlockError({
        code: 'invalid-input',
        message: `--vm ${unknown.map((n) => JSON.stringify(n)).join(', ')}: the primary has no VM of that name (names must match exactly); its VMs are ${list}.`,
        hint: `Give each VM exactly as Hyper-V names it, for example --vm ${JSON.stringify(available[0] ?? 'SQL01')}, or --all-vms.`,
        detail: { field: 'vm', unknown, available },
      });
    }
    config.vms = [...new Set(choices.vm)];
  } else {
    // --all-vms, or neither flag: every VM of the primary, as proposed (the pairing line lists them).
    config.vms = proposal.config.vms;
  }

  if (choices.level !== undefined) {
    const readiness = proposal.levels?.find((l) => l.level === choices.level);
    if (readiness && !readiness.ready) {
      const best = [...(proposal.levels ?? [])].reverse().find((l) => l.ready);
      throw new TwinlockError({
        code: 'invalid-input',
        message: `--level ${choices.level}: the servers did not pass verification at Level ${choices.level}: ${readiness.reasons.join(' — ')}`,
        hint: best
          ? `Use --level ${best.level} (the highest they pass), or fix the blockers and verify again (twinlock verify).`
          : 'They pass no level yet: fix the blockers and verify again (twinlock verify).',
        detail: { field: 'level', blockers: readiness.blockers },
      });
    }
    config.level = choices.level;
  }
  applyClusterChoices(config, choices);
  return config;
}

/**
 * Level 1's cluster from `--cluster-name` and `--cluster-address`: both are needed at Level 1 and
 * refused at any other level, each naming the option and the fix.
 */
export function applyClusterChoices(config: PairConfig, choices: PairChoiceOptions): void {
  const given = choices.clusterName !== undefined || choices.clusterAddress !== undefined;
  if (config.level !== 1) {
    if (given)
      throw new TwinlockError({
        code: 'invalid-input',
        message: `--cluster-name and --cluster-address make a failover cluster, which is Level 1's; this pair is Level ${config.level}.`,
        hint: 'Add --level 1 to pair as a failover cluster, or leave out --cluster-name and --cluster-address.',
        detail: { field: choices.clusterName !== undefined ? 'cluster.name' : 'cluster.address' },
      });
    delete config.cluster;
    return;
  }
  const missing =
    choices.clusterName === undefined
      ? '--cluster-name'
      : choices.clusterAddress === undefined
        ? '--cluster-address'
        : null;
  if (missing)
    throw new TwinlockError({
      code: 'invalid-input',
      message: `${missing}: Level 1 makes a failover cluster of the two servers, which needs a name (--cluster-name) and a free address on the business network (--cluster-address).`,
      hint: 'For example --cluster-name PAIR01-CL --cluster-address 192.168.50.30.',
      detail: { field: missing === '--cluster-name' ? 'cluster.name' : 'cluster.address' },
    });
  if (isIP(choices.clusterAddress!) !== 4)
    throw invalidOption(
      '--cluster-address',
      choices.clusterAddress!,
      'an IPv4 address on the business network',
      '192.168.50.30',
    );
  config.cluster = { name: choices.clusterName!, address: choices.clusterAddress! };
}

/** One `--link-address` value: a sync link's two addresses and, optionally, its prefix length. */
export interface LinkAddressOption {
  localAddress: string;
  remoteAddress: string;
  prefixLength?: number;
}

/**
 * `--link-address LOCAL-REMOTE[/PREFIX]` (repeatable, one per sync link in the bundle's order):
 * the primary's address, the secondary's, and the link's prefix length, e.g. 10.20.1.21-10.20.1.22/30.
 */
export function parseLinkAddress(text: string): LinkAddressOption {
  const m = /^([^-/\s]+)-([^-/\s]+)(?:\/(\d{1,3}))?$/.exec(text);
  const example = '10.20.1.21-10.20.1.22/30';
  const accepted = "the primary's and the secondary's address joined by a dash, then /PREFIX if you like";
  if (!m || isIP(m[1]!) === 0 || isIP(m[2]!) === 0)
    throw invalidOption('--link-address', text, accepted, example);
  const prefix = m[3] === undefined ? undefined : Number(m[3]);
  const max = isIP(m[1]!) === 6 ? 128 : 32;
  if (prefix !== undefined && (prefix < 1 || prefix > max))
    throw invalidOption('--link-address', text, `a prefix length from 1 to ${max} after the slash`, example);
  return {
    localAddress: m[1]!,
    remoteAddress: m[2]!,
    ...(prefix !== undefined ? { prefixLength: prefix } : {}),
  };
}

/** The per-pair values a bundle's replay takes (`--vm`, `--link-address`, `--cluster-name`, `--cluster-address`), shared by `apply`, `drift` and `plan --bundle`. */
export interface ReplayOptions {
  name?: string;
  vm?: string[];
  /** False from `--no-vms`: the pair protects no VMs, whatever the bundle lists. */
  vms?: boolean;
  linkAddress?: LinkAddressOption[];
  /** Level 1: this pair's cluster name, instead of the bundle's. */
  clusterName?: string;
  /** Level 1: this pair's cluster address, instead of the bundle's. */
  clusterAddress?: string;
  /** The name of the environment variable holding a cloud witness's access key. */
  cloudWitnessKeyEnv?: string;
}

/** `--cluster-name`: a failover cluster's name, a computer name of 1 to 15 characters. */
export function parseClusterName(text: string): string {
  if (!CLUSTER_NAME.test(text))
    throw new TwinlockError({
      code: 'invalid-input',
      message: `--cluster-name “${shown(text)}” is not valid: ${CLUSTER_NAME_MESSAGE}`,
      hint: 'For example --cluster-name PAIR02-CL (a name no computer uses yet).',
      detail: { field: 'cluster-name' },
    });
  return text;
}

/** `--cluster-address`: the cluster's static IPv4 address on the business network. */
export function parseClusterAddress(text: string): string {
  if (isIP(text) !== 4)
    throw invalidOption(
      '--cluster-address',
      text,
      'the cluster’s static IPv4 address on the business network',
      '10.0.0.51',
    );
  return text;
}

/**
 * Adds `--cluster-name` and `--cluster-address` (Level 1: this pair's own cluster, instead of the
 * bundle's). A verb whose pair choices define them already (a new pair's cluster) keeps its own:
 * the same flag means the same cluster either way.
 */
export function addClusterReplayOptions(command: Command): Command {
  const has = (flag: string) => command.options.some((o) => o.long === flag);
  if (!has('--cluster-name'))
    command.option(
      '--cluster-name <name>',
      'Level 1: this pair’s cluster name, instead of the bundle’s (required on any pair but the one the bundle came from)',
      checkedText(parseClusterName),
    );
  if (!has('--cluster-address'))
    command.option(
      '--cluster-address <ipv4>',
      'Level 1: this pair’s cluster address, instead of the bundle’s (required on any pair but the one the bundle came from)',
      checkedText(parseClusterAddress),
    );
  return command;
}

/** An environment variable's name, as `--cloud-witness-key-env` takes it. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `--cloud-witness-key-env`: the name (never the value) of the variable holding the key. */
export function parseEnvName(text: string): string {
  if (!ENV_NAME.test(text))
    throw invalidOption(
      '--cloud-witness-key-env',
      text,
      'the name of an environment variable (letters, digits and _), not the key itself',
      'TWINLOCK_CLOUD_WITNESS_KEY',
    );
  return text;
}

/** The variable a cloud witness's key is read from when `--cloud-witness-key-env` names none (cli/cloud-key.ts's). */
const DEFAULT_CLOUD_KEY_ENV = 'TWINLOCK_CLOUD_WITNESS_KEY';

/**
 * Adds `--cloud-witness-key-env NAME`: a cloud witness's access key is read from that environment
 * variable (TWINLOCK_CLOUD_WITNESS_KEY by default), never from a flag (flags end up in shell
 * history and process lists) nor from a file.
 */
export function addCloudWitnessKeyOption(command: Command): Command {
  if (command.options.some((o) => o.long === '--cloud-witness-key-env')) return command;
  return command.option(
    '--cloud-witness-key-env <NAME>',
    `a cloud witness: read its storage account’s access key from this environment variable (default ${DEFAULT_CLOUD_KEY_ENV}; the key is never written to a bundle, plan, journal or log)`,
    checkedText(parseEnvName),
  );
}

/**
 * The cloud witness key from the variable `--cloud-witness-key-env` names (refused when that one is
 * unset), else from TWINLOCK_CLOUD_WITNESS_KEY when set, else undefined.
 */
export function readCloudWitnessKey(options: { cloudWitnessKeyEnv?: string }): string | undefined {
  const name = options.cloudWitnessKeyEnv;
  if (name === undefined) {
    const fallback = process.env[DEFAULT_CLOUD_KEY_ENV];
    return fallback === undefined || fallback === '' ? undefined : fallback;
  }
  const key = process.env[name];
  if (key === undefined || key === '')
    throw new TwinlockError({
      code: 'invalid-input',
      message: `--cloud-witness-key-env: the environment variable ${name} is ${key === undefined ? 'not set' : 'empty'}.`,
      hint: `Set ${name} to the storage account’s access key (Azure portal: the storage account, Access keys), then run again.`,
      detail: { field: 'cloudWitnessKeyEnv' },
    });
  return key;
}

/**
 * Refuses, before any server is reached, a replay whose witness is a cloud witness when no key was
 * named: the key is never in a bundle, so it must come from the workstation running the replay.
 */
export function requireCloudWitnessKey(witness: Witness | null, key: string | undefined, what: string): void {
  if (witness?.kind !== 'cloud' || key !== undefined) return;
  throw new TwinlockError({
    code: 'invalid-input',
    message: `${what}’s witness is the cloud witness ${witness.address}, and its access key was not given (a bundle never holds it).`,
    hint: `Set ${DEFAULT_CLOUD_KEY_ENV} to the storage account’s access key, or put it in another variable and name it with --cloud-witness-key-env NAME.`,
    detail: { field: 'cloudWitnessKeyEnv' },
  });
}

/** The `--no-vms` option's help, shared by the verbs that replay (or compare with) a bundle. */
export const NO_VMS_HELP =
  'the pair protects no VMs, whatever the bundle lists (without --vm or --no-vms: the bundle’s VMs)';

/**
 * The VMs of `--vm` / `--no-vms` as the engine takes them: `[]` for `--no-vms`, the names of
 * `--vm`, or nothing (the bundle's). Refuses both at once, naming the flag.
 */
export function replayVmsOf(options: Pick<ReplayOptions, 'vm' | 'vms'>): { vms?: string[] } {
  const named = options.vm !== undefined && options.vm.length > 0;
  if (options.vms === false) {
    if (named)
      throw new TwinlockError({
        code: 'invalid-input',
        message: `--no-vms and --vm ${options.vm!.map((n) => JSON.stringify(n)).join(', ')} were both given.`,
        hint: 'Name the VMs to protect with --vm (repeatable), or give --no-vms for a pair that protects none.',
        detail: { field: 'vms' },
      });
    return { vms: [] };
  }
  return named ? { vms: options.vm! } : {};
}

/** Adds `--name`, `--vm`, `--no-vms`, `--link-address`, `--cluster-name` and `--cluster-address` to a verb that replays (or compares with) a bundle. */
export function addReplayOptions(command: Command): Command {
  return addClusterReplayOptions(command)
    .option('--name <name>', 'name of the pair (default: the bundle’s)')
    .option(
      '--vm <name>',
      'a VM to protect instead of the bundle’s, exactly as Hyper-V names it on the primary (repeatable)',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option('--no-vms', NO_VMS_HELP)
    .option(
      '--link-address <local-remote[/prefix]>',
      'the addresses of one sync link, e.g. 10.20.1.21-10.20.1.22/30 (repeatable: one per link, in the bundle’s order; default: proposed from the servers)',
      (value: string, previous: LinkAddressOption[] | undefined) => [
        ...(previous ?? []),
        parseLinkAddress(value),
      ],
    );
}

/** The replay values of `--name`, `--vm`/`--no-vms`, `--link-address` and the cluster's, as the engine takes them. */
export function replayValuesOf(options: ReplayOptions): {
  name?: string;
  vms?: string[];
  linkAddresses?: LinkAddressOption[];
  clusterName?: string;
  clusterAddress?: string;
} {
  return {
    ...(options.clusterName !== undefined ? { clusterName: options.clusterName } : {}),
    ...(options.clusterAddress !== undefined ? { clusterAddress: options.clusterAddress } : {}),
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...replayVmsOf(options),
    ...(options.linkAddress !== undefined && options.linkAddress.length > 0
      ? { linkAddresses: options.linkAddress }
      : {}),
  };
}
