/**
 * What proves a pair, kept per pair in the data folder so that the protection report (made later,
 * maybe by another run of `twinlock`) shows it: the last verification, the plan that was applied,
 * the link measurements and the last drill. Each entry says when it was recorded and by which
 * workstation. Nothing secret is in any of them.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { DrillResultSchema, LinkMeasurementsSchema, PlanSchema, VerifyReportSchema } from '../api/models';
import type { DrillResult, LinkMeasurements, Plan, VerifyReport } from '../api/models';
import { readJsonFile, updateJsonFile } from '../store';

const recorded = <S extends z.ZodType>(schema: S) =>
  z.object({ at: z.string(), workstation: z.string(), value: schema }).nullable().default(null);

export const EvidenceSchema = z.object({
  format: z.literal('twinlock-evidence/1'),
  /** The two servers' computer names, as the key reads them. */
  servers: z.array(z.string()),
  verify: recorded(VerifyReportSchema),
  plan: recorded(PlanSchema),
  links: recorded(LinkMeasurementsSchema),
  drill: recorded(DrillResultSchema),
});
export type Evidence = z.infer<typeof EvidenceSchema>;
export type Recorded<T> = { at: string; workstation: string; value: T } | null;

/** The key of a pair: its two servers' computer names, in a fixed order (either may be primary). */
export function pairKeyOf(computerNames: readonly [string, string]): string {
  return [...computerNames]
    .map((n) => n.toUpperCase())
    .sort()
    .join('+');
}

export interface EvidenceStore {
  recordVerify(pairKey: string, report: VerifyReport): Promise<void>;
  recordPlan(pairKey: string, plan: Plan): Promise<void>;
  recordLinks(pairKey: string, measurements: LinkMeasurements): Promise<void>;
  recordDrill(pairKey: string, result: DrillResult): Promise<void>;
  /** Everything recorded for the pair (entries never recorded are null). */
  latest(pairKey: string): Promise<Evidence>;
}

export function createEvidenceStore(dataDir: string, now: () => Date = () => new Date()): EvidenceStore {
  // The key is made of computer names (letters, digits, hyphens); anything else is replaced.
  const pathOf = (key: string) => join(dataDir, 'evidence', `${key.replace(/[^A-Za-z0-9+_-]/g, '_')}.json`);
  const empty = (key: string): Evidence => ({
    format: 'twinlock-evidence/1',
    servers: key.split('+'),
    verify: null,
    plan: null,
    links: null,
    drill: null,
  });
  const record =
    <K extends 'verify' | 'plan' | 'links' | 'drill'>(kind: K) =>
    async (key: string, value: NonNullable<Evidence[K]>['value']) => {
      await updateJsonFile(
        pathOf(key),
        EvidenceSchema,
        () => empty(key),
        (file) => {
          (file as Record<K, unknown>)[kind] = {
            at: now().toISOString(),
            workstation: hostname(),
            value,
          };
        },
        { mode: 0o644 },
      );
    };
  return {
    recordVerify: record('verify'),
    recordPlan: record('plan'),
    recordLinks: record('links'),
    recordDrill: record('drill'),
    async latest(key) {
      return (await readJsonFile(pathOf(key), EvidenceSchema)) ?? empty(key);
    },
  };
}
