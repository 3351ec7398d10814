/**
 * Pinned SSH host keys, in `<dataDir>/known_hosts.json`. A key is pinned on first use (after the
 * admin compared the fingerprint) and every later connection must present the same key.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { readJsonFile } from '../store/atomic-file';
import { updateJsonFile } from '../store/locked-json';
import { TwinlockError } from '../api/errors';
import { FINGERPRINT, FINGERPRINT_MESSAGE } from '../api/rules';

export const KnownHostSchema = z.object({
  /** `SHA256:…` as OpenSSH prints it. */
  fingerprint: z.string().regex(FINGERPRINT),
  /** e.g. `ssh-ed25519`, `ecdsa-sha2-nistp256`, `rsa-sha2-512`. */
  keyType: z.string(),
  /** ISO 8601 time the key was pinned. */
  firstSeen: z.string(),
});
export type KnownHost = z.infer<typeof KnownHostSchema>;

const KnownHostsFileSchema = z.object({
  version: z.literal(1),
  /** Keyed by host id (`address:port`, see hostIdOf). */
  hosts: z.record(z.string(), KnownHostSchema),
});
type KnownHostsFile = z.infer<typeof KnownHostsFileSchema>;

/** Outcome of comparing a presented key with the pinned one. */
export type HostKeyCheck =
  { status: 'match'; pinned: KnownHost } | { status: 'unknown' } | { status: 'changed'; pinned: KnownHost };

/** The file name inside the data folder. */
export const KNOWN_HOSTS_FILE = 'known_hosts.json';

/**
 * The store of pinned keys. Reads the file on every call (another Twinlock process may have
 * pinned meanwhile); every change is made under the file's cross-process lock, so parallel
 * connects, and parallel `twinlock` processes, never lose each other's pin.
 */
export class KnownHosts {
  /** Full path of the JSON file. */
  readonly path: string;

  /** @param path the JSON file; use {@link KnownHosts.inDataDir} for the usual place. */
  constructor(path: string) {
    this.path = path;
  }

  /** The store at `<dataDir>/known_hosts.json`. */
  static inDataDir(dataDir: string): KnownHosts {
    return new KnownHosts(join(dataDir, KNOWN_HOSTS_FILE));
  }

  /** The pinned key of `hostId`, or null. */
  async get(hostId: string): Promise<KnownHost | null> {
    const file = await this.read();
    return Object.prototype.hasOwnProperty.call(file.hosts, hostId) ? (file.hosts[hostId] ?? null) : null;
  }

  /** Every pinned host, keyed by host id. */
  async list(): Promise<Record<string, KnownHost>> {
    return (await this.read()).hosts;
  }

  /** Compares `fingerprint` with the key pinned for `hostId`. */
  async check(hostId: string, fingerprint: string): Promise<HostKeyCheck> {
    const pinned = await this.get(hostId);
    if (!pinned) return { status: 'unknown' };
    return pinned.fingerprint === fingerprint ? { status: 'match', pinned } : { status: 'changed', pinned };
  }

  /** Pins (or re-pins) `fingerprint` for `hostId`; keeps the original firstSeen when unchanged. */
  async pin(hostId: string, fingerprint: string, keyType: string): Promise<KnownHost> {
    if (!FINGERPRINT.test(fingerprint)) {
      throw new TwinlockError({
        code: 'invalid-input',
        message: `fingerprint: ${FINGERPRINT_MESSAGE}`,
        hint: 'Copy the fingerprint exactly as Twinlock or ssh-keygen -lf printed it.',
        detail: { field: 'fingerprint' },
      });
    }
    return this.update((file) => {
      const existing = file.hosts[hostId];
      const entry: KnownHost =
        existing && existing.fingerprint === fingerprint
          ? existing
          : { fingerprint, keyType, firstSeen: new Date().toISOString() };
      file.hosts[hostId] = entry;
      return entry;
    });
  }

  /** Forgets `hostId`'s key (after a server was reinstalled); true when one was pinned. */
  async forget(hostId: string): Promise<boolean> {
    return this.update((file) => {
      if (!Object.prototype.hasOwnProperty.call(file.hosts, hostId)) return false;
      delete file.hosts[hostId];
      return true;
    });
  }

  private async read(): Promise<KnownHostsFile> {
    return (await readJsonFile(this.path, KnownHostsFileSchema)) ?? { version: 1, hosts: {} };
  }

  private update<T>(change: (file: KnownHostsFile) => T): Promise<T> {
    return updateJsonFile(
      this.path,
      KnownHostsFileSchema,
      (): KnownHostsFile => ({ version: 1, hosts: {} }),
      change,
      { mode: 0o600 },
    );
  }
}
