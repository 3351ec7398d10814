/**
 * The Authenticode publishers whose agent packages this workstation installs, in
 * `<dataDir>/trusted-publishers.json`: Twinlock's own setting, never read from a package. A
 * manifest only *claims* a publisher; the claim is admitted when its thumbprint is pinned here,
 * and each server then checks that the copy it received is really signed by that pinned
 * certificate. Nothing is trusted by default, not even the package shipped with Twinlock: the
 * first install shows the publisher and asks, as for a host key.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { TwinlockError } from '../api/errors';
import { THUMBPRINT, THUMBPRINT_MESSAGE } from '../api/rules';
import { readJsonFile } from '../store/atomic-file';
import { updateJsonFile } from '../store/locked-json';
import type { AgentPackage } from './manifest';

/** The store's file name in the data folder. */
export const TRUSTED_PUBLISHERS_FILE = 'trusted-publishers.json';

const PublisherSchema = z.object({
  /** The certificate subject, e.g. `CN=Twinlock Software, O=Twinlock, C=US`. */
  subject: z.string(),
  /** When it was trusted, ISO 8601. */
  addedAt: z.string(),
});

const PublishersFileSchema = z.object({
  version: z.literal(1),
  /** Keyed by upper-case thumbprint. */
  publishers: z.record(z.string(), PublisherSchema),
});
type PublishersFile = z.infer<typeof PublishersFileSchema>;

/** A trusted publisher. */
export interface TrustedPublisher {
  /** Upper-case hex thumbprint of the signing certificate. */
  thumbprint: string;
  subject: string;
  addedAt: string;
}

/** The trusted publishers of one data folder. Reads the file on every call. */
export class TrustedPublishers {
  readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, TRUSTED_PUBLISHERS_FILE);
  }

  async list(): Promise<TrustedPublisher[]> {
    const file = await this.read();
    return Object.entries(file.publishers)
      .map(([thumbprint, p]) => ({ thumbprint, ...p }))
      .sort((a, b) => a.addedAt.localeCompare(b.addedAt));
  }

  /** The pinned publisher with this thumbprint, or null. */
  async get(thumbprint: string): Promise<TrustedPublisher | null> {
    const wanted = thumbprint.toUpperCase();
    return (await this.list()).find((p) => p.thumbprint === wanted) ?? null;
  }

  /** Pins a publisher; pinning it again keeps the first subject and date. */
  async trust(thumbprint: string, subject: string): Promise<TrustedPublisher> {
    if (!THUMBPRINT.test(thumbprint)) {
      throw new TwinlockError({
        code: 'invalid-input',
        message: `thumbprint: ${THUMBPRINT_MESSAGE}`,
        hint: 'Copy the thumbprint from the certificate’s details, as Windows shows it.',
        detail: { field: 'thumbprint' },
      });
    }
    const key = thumbprint.toUpperCase();
    return this.update((file) => {
      const entry = file.publishers[key] ?? { subject, addedAt: new Date().toISOString() };
      file.publishers[key] = entry;
      return { thumbprint: key, ...entry };
    });
  }

  /** Stops trusting a publisher; true when it was trusted. */
  async forget(thumbprint: string): Promise<boolean> {
    const key = thumbprint.toUpperCase();
    return this.update((file) => {
      if (!Object.prototype.hasOwnProperty.call(file.publishers, key)) return false;
      delete file.publishers[key];
      return true;
    });
  }

  /**
   * The pinned publisher a package claims, or `publisher-untrusted` naming subject and thumbprint.
   * `accept` is a thumbprint the admin confirmed for this very package (the wizard's confirm, the
   * CLI's --trust-publisher): it is pinned when it is the package's.
   */
  async require(pkg: AgentPackage, accept?: string): Promise<TrustedPublisher> {
    const { subject, thumbprint } = pkg.manifest.signer;
    const pinned = await this.get(thumbprint);
    if (pinned) return pinned;
    if (accept !== undefined && accept.toUpperCase() === thumbprint) return this.trust(thumbprint, subject);
    const given =
      accept !== undefined
        ? ` The thumbprint given to trust, ${accept.toUpperCase()}, is not this package’s.`
        : '';
    throw new TwinlockError({
      code: 'publisher-untrusted',
      message: `The agent package ${pkg.manifest.version} in ${pkg.dir} is signed by “${subject}” (certificate thumbprint ${thumbprint}), a publisher this workstation has not trusted yet. Nothing was sent to the servers.${given}`,
      hint:
        `Compare the thumbprint with the one the publisher states, then trust it: confirm it on the wizard’s Install screen, ` +
        `or run again with --trust-publisher ${thumbprint} (or: twinlock keys publishers trust ${thumbprint}).`,
      detail: { subject, thumbprint, version: pkg.manifest.version, packageDir: pkg.dir },
    });
  }

  private async read(): Promise<PublishersFile> {
    return (await readJsonFile(this.path, PublishersFileSchema)) ?? { version: 1, publishers: {} };
  }

  private update<T>(change: (file: PublishersFile) => T): Promise<T> {
    return updateJsonFile(
      this.path,
      PublishersFileSchema,
      (): PublishersFile => ({ version: 1, publishers: {} }),
      change,
      { mode: 0o600 },
    );
  }
}
