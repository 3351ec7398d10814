/**
 * The lab: simulated Windows Server hosts on loopback, reached over real SSH, running the
 * project's own remote scripts against a modelled state. The wizard's "try it without servers"
 * mode and every integration test run against it.
 */
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScriptCatalogue } from './catalogue';
import { newClustering, newDirectory } from './cluster';
import { LabClock } from './clock';
import { LabHost } from './host';
import { startDecoys } from './decoys';
import type { Decoys, LabDecoyInfo } from './decoys';
import { fleetPair, MAX_LAB_PAIRS } from './fleet';
import type { FleetPairLayout, LabPairInfo } from './fleet';
import { expandHosts, loadProfile, witnessOf } from './profile';
import type { HostProfile, LabProfile } from './profile';
import type { LinkProfile } from './links';
import { SshEndpoint } from './server';
import type { LabWitness, LabWorld } from './world';

export { LabHost } from './host';
export { LINUX_SSH_IDENT } from './decoys';
export type { LabDecoyInfo, LabDecoyRole } from './decoys';
export type { LabAccount, LabFaults, LabHostEvents } from './host';
export { LabClock } from './clock';
export type { AgentNode, Pair, PairState } from './agent';
export type { FirewallRule, InstalledProduct, ServiceState, VmState } from './state';
export { PAIR_PHASES } from './agent';
export { CTL_PATH } from './msiexec';
export { profileNames } from './profile';
export { fleetYaml, labPairComputerNames, labPairName, MAX_LAB_PAIRS, writeFleetFile } from './fleet';
export type { LabFleetFile, LabFleetServer, LabPairInfo } from './fleet';
export { ensureShippedPackage, makePackage, TWINLOCK_SIGNER_SUBJECT } from './make-package';
export type { AgentManifest, MakePackageOptions } from './make-package';

export interface LabOptions {
  /** How many servers (default 2). Not with `pairs`. */
  hosts?: number;
  /**
   * A fleet of this many independent pairs (1 to 50) instead of `hosts`: each the first two hosts
   * of its profile, named TL-P01-A / TL-P01-B, …, with addresses and MACs of its own (the second
   * octet of every IPv4 address moved on by the pair's index), its own SSH listener, cables only
   * between its own two servers, and the one witness every pair shares. `lab.fleet` lists them.
   */
  pairs?: number;
  /** With `pairs`: the profile of each pair by index (`profile` for the pairs it does not name). */
  pairProfiles?: string[];
  /** A profile name under lab/profiles (default `matched-pair`). */
  profile?: string;
  /** A profile JSON file, instead of a bundled profile. */
  profileFile?: string;
  /** Loopback address every server listens on (default 127.0.0.1). */
  address?: string;
  /**
   * Gives each server its own loopback address, counting up from this one (127.0.0.11 gives
   * 127.0.0.11, 127.0.0.12, …), so that a scan of 127.0.0.0/24 finds them. Linux (and Windows)
   * answer on all of 127.0.0.0/8; macOS only on 127.0.0.1.
   */
  addressBase?: string;
  /** The SSH port every server listens on (default: a free port each). Needs `addressBase` for more than one server. */
  port?: number;
  /**
   * Also runs decoys: a Windows server without SSH (SMB 445, RDP 3389, WinRM 5985), a Linux SSH
   * server and a port that accepts but never speaks. With `addressBase` they sit ten addresses
   * above it (127.0.0.21, .22, .23) on the servers' port; without it, on free ports of `address`.
   */
  decoys?: boolean;
  /** Folder holding each server's C: drive (default: a fresh temporary folder, removed on close). */
  dataDir?: string;
  /**
   * `everywhere`: every name answers as a witness host and every share exists, for tests that
   * send any value verbatim to the agent; by default the profile's witness.
   */
  witness?: 'profile' | 'everywhere';
  /** Lab seconds per real second (default 60). */
  timeScale?: number;
  /** Real milliseconds added to every exec (default 15). */
  latencyMs?: number;
  /**
   * Public keys (OpenSSH one-line form) the administrators may log on with: written to each
   * server's C:\ProgramData\ssh\administrators_authorized_keys, as an admin would.
   */
  authorizedKeys?: string[];
}

/** How to reach one lab server. */
export interface LabHostInfo {
  /** Computer name, e.g. TL-NODE-A. */
  name: string;
  address: string;
  port: number;
  username: string;
  password: string;
  /** `SHA256:` and the unpadded base64 SHA-256 of the host key blob, as OpenSSH prints it. */
  fingerprint: string;
}

export interface Lab {
  /** The servers, in profile order (read again after a host key rotation for the new fingerprint). */
  readonly hosts: LabHostInfo[];
  /** The decoys, when asked for. */
  readonly decoys: LabDecoyInfo[];
  /** With `pairs`: the pairs, in order (read again after a host key rotation); empty otherwise. */
  readonly fleet: LabPairInfo[];
  /** The folder holding every server's C: drive and the witness share (the fleet file's default folder). */
  readonly dataDir: string;
  /** The witness the profile gives the servers (a host and its port, a share's UNC path), or null. */
  readonly witness: { host: string; port: number; share: string } | null;
  /** That witness as the engine's `lab.witness` option takes it (the share), for `proposePair` to suggest. */
  readonly suggestedWitness: { kind: 'file-share'; address: string } | null;
  /** A server's state and faults, by computer name (case-insensitive). */
  host(name: string): LabHost;
  /** Lab time: every lab duration runs on it; a test may pause it and advance it itself. */
  readonly clock: LabClock;
  /** Stops every server; removes the data folder when the lab created it. */
  close(): Promise<void>;
}

const LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** The loopback address `offset` above `base`, refusing to leave 127.0.0.0/8. */
function loopbackPlus(base: string, offset: number): string {
  const parts = base.split('.').map(Number);
  const n = (parts[1]! * 256 + parts[2]!) * 256 + parts[3]! + offset;
  if (parts.some((p) => p > 255) || n > 0xfffffe)
    throw new Error(`The lab's addresses must stay inside 127.0.0.0/8 (${base} + ${offset} does not).`);
  return `127.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const DIGITS = '23456789';
const SYMBOLS = '-_.';

/** A password Windows' complexity rules accept, free of characters shells and URLs treat specially. */
export function generatePassword(length = 20): string {
  const all = UPPER + LOWER + DIGITS + SYMBOLS;
  const pick = (set: string): string => set[randomInt(set.length)]!;
  const chars = [pick(UPPER), pick(LOWER), pick(DIGITS), pick(SYMBOLS)];
  while (chars.length < length) chars.push(pick(all));
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}

/** A group of servers that see each other: the whole lab, or one pair of a fleet lab. */
interface ServerGroup {
  hosts: HostProfile[];
  links: LinkProfile[];
  /** The fleet pair it is, in a fleet lab. */
  pair?: FleetPairLayout;
}

/** The pairs of a fleet lab, each from its own profile (`pairProfiles[i]`, else `profile`). */
function fleetGroups(options: LabOptions, profile: LabProfile): ServerGroup[] {
  const count = options.pairs!;
  if (!Number.isInteger(count) || count < 1 || count > MAX_LAB_PAIRS)
    throw new Error(`A fleet lab has between 1 and ${MAX_LAB_PAIRS} pairs (pairs: ${count}).`);
  const named = options.pairProfiles ?? [];
  if (named.length > count)
    throw new Error(
      `pairProfiles names ${named.length} profiles for ${count} pairs: give at most one profile per pair.`,
    );
  const loaded = new Map<string, LabProfile>();
  return Array.from({ length: count }, (_, i) => {
    const name = named[i];
    let p = profile;
    if (name !== undefined) {
      p = loaded.get(name) ?? loadProfile({ profile: name });
      loaded.set(name, p);
    }
    const pair = fleetPair(p, i);
    return { hosts: pair.hosts, links: pair.links, pair };
  });
}

/**
 * The one witness every pair of a fleet lab reaches: the main profile's, answering also under the
 * domain of each pair's servers.
 */
function sharedWitness(profile: LabProfile, groups: ServerGroup[], dataDir: string): LabWitness | undefined {
  const witness = witnessOf(profile, dataDir);
  const w = profile.witness;
  if (!witness || !w) return witness;
  const dir = witness.shares[0]!.dir;
  for (const g of groups) {
    const domain = g.hosts[0]?.domain ?? '';
    const name = `${w.host}.${domain}`;
    if (!domain || domain === 'WORKGROUP' || witness.hosts.some((h) => h.address === name)) continue;
    witness.hosts.push({ address: name, port: w.port });
    witness.shares.push({ path: `\\\\${name}\\${w.share}`, dir });
  }
  return witness;
}

/** Starts the lab's servers; resolves once every one listens. */
export async function startLab(options: LabOptions = {}): Promise<Lab> {
  const perHost = options.addressBase !== undefined;
  const address = options.addressBase ?? options.address ?? '127.0.0.1';
  if (!LOOPBACK.test(address)) {
    throw new Error(`The lab listens on loopback only (127.0.0.0/8), not ${address}.`);
  }
  if (perHost && process.platform === 'darwin') {
    throw new Error('macOS answers only on 127.0.0.1: run the lab without an address base there.');
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`The lab's port must be a number from 1 to 65535, not ${options.port}.`);
  if (options.hosts !== undefined && options.pairs !== undefined)
    throw new Error(
      'A lab takes hosts (servers of one profile that all see each other) or pairs (a fleet of separate pairs), not both: leave one out.',
    );
  if (options.pairProfiles !== undefined && options.pairs === undefined)
    throw new Error('pairProfiles names the profile of each pair: give pairs too (e.g. pairs: 3).');
  const profile = loadProfile(options);
  let groups: ServerGroup[];
  if (options.pairs !== undefined) groups = fleetGroups(options, profile);
  else {
    const count = options.hosts ?? 2;
    if (!Number.isInteger(count) || count < 1 || count > 26)
      throw new Error('A lab has between 1 and 26 servers.');
    groups = [{ hosts: expandHosts(profile, count), links: profile.links }];
  }
  const count = groups.reduce((n, g) => n + g.hosts.length, 0);
  if (port !== 0 && !perHost && count > 1)
    throw new Error(
      'Servers sharing one address need a port each: give an address base, or leave the port unset.',
    );
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'twinlock-lab-'));
  const password = generatePassword();
  const hosts: LabHost[] = [];
  const witness =
    options.witness === 'everywhere'
      ? { hosts: [], shares: [], everywhere: join(dataDir, 'witness-everywhere') }
      : options.pairs !== undefined
        ? sharedWitness(profile, groups, dataDir)
        : witnessOf(profile, dataDir);
  const clock = new LabClock(options.timeScale ?? 60);
  // One directory for the whole lab: a cluster name one pair takes is taken for every other.
  const first = profile.hosts[0]!;
  const directory = newDirectory(first.domain, first.partOfDomain, profile.cluster.directory);
  const catalogue = new ScriptCatalogue();
  const endpoints: SshEndpoint[] = [];
  const pairs: Array<{ layout: FleetPairLayout; servers: [LabHost, LabHost] }> = [];
  for (const group of groups) {
    // Each group is a world of its own: its servers find, cable to and pair with each other only.
    const members = group.hosts.map((hp) => new LabHost(hp, join(dataDir, hp.computerName, 'C'), password));
    const world: LabWorld = {
      clock,
      catalogue,
      hosts: members,
      address,
      sharedAddress: !perHost,
      latencyMs: options.latencyMs ?? 15,
      links: group.links,
      ...(witness ? { witness } : {}),
      clustering: newClustering(directory, profile.cluster),
    };
    for (const h of members) {
      endpoints.push(
        new SshEndpoint(h, world, perHost ? loopbackPlus(address, hosts.length) : address, port),
      );
      hosts.push(h);
    }
    if (group.pair) pairs.push({ layout: group.pair, servers: [members[0]!, members[1]!] });
  }
  if (options.authorizedKeys && options.authorizedKeys.length > 0) {
    for (const h of hosts) {
      const admin = h.accounts.find((a) => a.admin);
      if (admin) h.writeFile(h.authorizedKeysPath(admin), `${options.authorizedKeys.join('\r\n')}\r\n`);
    }
  }
  let decoys: Decoys | null = null;
  try {
    await Promise.all(endpoints.map((e) => e.listen()));
    if (options.decoys) {
      const first = perHost ? Math.max(10, count) : 0;
      const at = (k: number) => (perHost ? loopbackPlus(address, first + k) : address);
      decoys = await startDecoys({
        addresses: [at(0), at(1), at(2)],
        sshPort: perHost ? port || endpoints[0]!.port : 0,
      });
    }
  } catch (err) {
    await Promise.all(endpoints.map((e) => e.close()));
    if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }

  let closed = false;
  return {
    get hosts(): LabHostInfo[] {
      return hosts.map((h) => ({
        name: h.name,
        address: h.address,
        port: h.port,
        username: h.accounts[0]!.username,
        password: h.accounts[0]!.password,
        fingerprint: h.fingerprint,
      }));
    },
    get decoys(): LabDecoyInfo[] {
      return decoys?.decoys ?? [];
    },
    get fleet(): LabPairInfo[] {
      const server = (h: LabHost) => ({
        computerName: h.name,
        address: h.address,
        port: h.port,
        fingerprint: h.fingerprint,
      });
      return pairs.map(({ layout, servers: [a, b] }) => ({
        name: layout.name,
        profile: layout.profile,
        primary: server(a),
        secondary: server(b),
        vms: a.vms.map((v) => v.name),
      }));
    },
    dataDir,
    witness: profile.witness,
    suggestedWitness: profile.witness
      ? { kind: 'file-share', address: `\\\\${profile.witness.host}\\${profile.witness.share}` }
      : null,
    clock,
    host(name: string): LabHost {
      const host = hosts.find((h) => h.name.toLowerCase() === name.toLowerCase());
      if (!host)
        throw new Error(
          `The lab has no server named ${name} (it has ${hosts.map((h) => h.name).join(', ')}).`,
        );
      return host;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await Promise.all([...endpoints.map((e) => e.close()), decoys?.close()]);
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
