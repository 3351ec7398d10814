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
import { LabClock } from './clock';
import { LabHost } from './host';
import { startDecoys } from './decoys';
import type { Decoys, LabDecoyInfo } from './decoys';
import { expandHosts, loadProfile, witnessOf } from './profile';
import { SshEndpoint } from './server';
import type { LabWorld } from './world';

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
export { ensureShippedPackage, makePackage, TWINLOCK_SIGNER_SUBJECT } from './make-package';
export type { AgentManifest, MakePackageOptions } from './make-package';

export interface LabOptions {
  /** How many servers (default 2). */
  hosts?: number;
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
  const profile = loadProfile(options);
  const count = options.hosts ?? 2;
  if (!Number.isInteger(count) || count < 1 || count > 26)
    throw new Error('A lab has between 1 and 26 servers.');
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
      : witnessOf(profile, dataDir);
  const world: LabWorld = {
    clock: new LabClock(options.timeScale ?? 60),
    catalogue: new ScriptCatalogue(),
    hosts,
    address,
    sharedAddress: !perHost,
    latencyMs: options.latencyMs ?? 15,
    ...(witness ? { witness } : {}),
    links: profile.links,
  };
  for (const hp of expandHosts(profile, count))
    hosts.push(new LabHost(hp, join(dataDir, hp.computerName, 'C'), password));
  if (options.authorizedKeys && options.authorizedKeys.length > 0) {
    const admin = hosts[0]?.accounts.find((a) => a.admin);
    for (const h of hosts)
      if (admin) h.writeFile(h.authorizedKeysPath(admin), `${options.authorizedKeys.join('\r\n')}\r\n`);
  }
  const endpoints = hosts.map(
    (h, i) => new SshEndpoint(h, world, perHost ? loopbackPlus(address, i) : address, port),
  );
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
    witness: profile.witness,
    suggestedWitness: profile.witness
      ? { kind: 'file-share', address: `\\\\${profile.witness.host}\\${profile.witness.share}` }
      : null,
    clock: world.clock,
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
