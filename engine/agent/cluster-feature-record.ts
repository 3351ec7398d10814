/**
 * Which servers a Twinlock installation added Failover Clustering to, kept in the data folder
 * (`<dataDir>/cluster-features.json`), so that Roll back removes the feature only where Twinlock
 * added it, never where the admin had it before. A server is known by its pinned host key (and
 * its name and address, for the admin). Several Twinlock processes may change the file: every
 * change is made under its cross-process lock.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { readJsonFile, updateJsonFile } from '../store';

const EntrySchema = z.object({
  /** The server's pinned host-key fingerprint. */
  fingerprint: z.string(),
  computerName: z.string(),
  address: z.string(),
  port: z.number().int(),
  /** When the feature was added (ISO 8601), and by which install job. */
  addedAt: z.string(),
  jobId: z.string(),
});
export type ClusterFeatureEntry = z.infer<typeof EntrySchema>;

const FileSchema = z.object({
  format: z.literal('twinlock-cluster-features/1'),
  servers: z.array(EntrySchema),
});

const empty = (): z.infer<typeof FileSchema> => ({ format: 'twinlock-cluster-features/1', servers: [] });

/** The record of one data folder. */
export class ClusterFeatureRecord {
  private readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'cluster-features.json');
  }

  /** Records that Twinlock added the feature to this server (replacing an older entry). */
  async added(entry: ClusterFeatureEntry): Promise<void> {
    await updateJsonFile(this.path, FileSchema, empty, (file) => {
      file.servers = [...file.servers.filter((s) => s.fingerprint !== entry.fingerprint), entry];
    });
  }

  /** The entry for the server with this host key, or null when Twinlock did not add the feature there. */
  async find(fingerprint: string): Promise<ClusterFeatureEntry | null> {
    const file = await readJsonFile(this.path, FileSchema);
    return file?.servers.find((s) => s.fingerprint === fingerprint) ?? null;
  }

  /** Forgets the server (its feature was removed). */
  async removed(fingerprint: string): Promise<void> {
    await updateJsonFile(this.path, FileSchema, empty, (file) => {
      file.servers = file.servers.filter((s) => s.fingerprint !== fingerprint);
    });
  }
}
