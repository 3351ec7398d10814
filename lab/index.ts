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
import { expandHosts, loadProfile } from './profile';
import { SshEndpoint } from './server';
import type { LabWorld } from './world';

export { LabHost } from './host';
export type { LabAccount, LabFaults } from './host';
export type { AgentNode, Pair, PairState } from './agent';
export type { FirewallRule, InstalledProduct, ServiceState, VmState } from './state';
export { PAIR_PHASES } from './agent';
export { CTL_PATH } from './msiexec';
export { profileNames } from './profile';
export { makePackage, TWINLOCK_SIGNER_SUBJECT } from './make-package';
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
  /** Folder holding each server's C: drive (default: a fresh temporary folder, removed on close). */
  dataDir?: string;
  /** Lab seconds per real second (default 60). */
  timeScale?: number;
  /** Real milliseconds added to every exec (default 15). */
  latencyMs?: number;
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
  /** A server's state and faults, by computer name (case-insensitive). */
  host(name: string): LabHost;
  /** Stops every server; removes the data folder when the lab created it. */
  close(): Promise<void>;
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
  const address = options.address ?? '127.0.0.1';
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address)) {
    throw new Error(`The lab listens on loopback only (127.0.0.0/8), not ${address}.`);
  }
  const profile = loadProfile(options);
  const count = options.hosts ?? 2;
  if (!Number.isInteger(count) || count < 1 || count > 26) throw new Error('A lab has between 1 and 26 servers.');
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'twinlock-lab-'));
  const password = generatePassword();
  const hosts: LabHost[] = [];
  const world: LabWorld = {
    clock: new LabClock(options.timeScale ?? 60),
    catalogue: new ScriptCatalogue(),
    hosts,
    address,
    latencyMs: options.latencyMs ?? 15,
  };
  for (const hp of expandHosts(profile, count)) hosts.push(new LabHost(hp, join(dataDir, hp.computerName, 'C'), password));
  const endpoints = hosts.map((h) => new SshEndpoint(h, world));
  await Promise.all(endpoints.map((e) => e.listen()));

  let closed = false;
  return {
    get hosts(): LabHostInfo[] {
      return hosts.map((h) => ({
        name: h.name,
        address,
        port: h.port,
        username: h.accounts[0]!.username,
        password: h.accounts[0]!.password,
        fingerprint: h.fingerprint,
      }));
    },
    host(name: string): LabHost {
      const host = hosts.find((h) => h.name.toLowerCase() === name.toLowerCase());
      if (!host) throw new Error(`The lab has no server named ${name} (it has ${hosts.map((h) => h.name).join(', ')}).`);
      return host;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await Promise.all(endpoints.map((e) => e.close()));
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
