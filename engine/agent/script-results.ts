/**
 * The data the agent-related remote scripts return, parsed with the quirks of Windows
 * PowerShell 5.1's ConvertTo-Json (a lone item instead of an array, enums as numbers, $null).
 */
import { z } from 'zod';
import { TwinlockError } from '../api/errors';

/** A single object where PowerShell unrolled a one-item array; null for `$null`. */
export function asArray<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (v) => (v === null || v === undefined ? [] : Array.isArray(v) ? v : [v]),
    z.array(item),
  );
}

/** ServiceControllerStatus, printed as a number by ConvertTo-Json unless cast to string. */
const SERVICE_STATUS = [
  '',
  'Stopped',
  'StartPending',
  'StopPending',
  'Running',
  'ContinuePending',
  'PausePending',
  'Paused',
];
/** ServiceStartMode. */
const START_TYPE = ['Boot', 'System', 'Automatic', 'Manual', 'Disabled'];

const enumText = (names: string[]) =>
  z.preprocess((v) => (typeof v === 'number' ? (names[v] ?? String(v)) : v), z.string());

/** `test-agent-package`: the server's view of the uploaded package, flattened. */
export const PackageCheckSchema = z
  .object({
    exists: z.boolean(),
    size: z.number().nullish(),
    sha256: z.string().nullish(),
    /** `Valid`, `NotSigned`, `HashMismatch`, `UnknownError`… (SignatureStatus, maybe as a number). */
    signatureStatus: enumText([
      'Valid',
      'UnknownError',
      'NotSigned',
      'HashMismatch',
      'NotTrusted',
      'NotSupportedFileFormat',
      'Incompatible',
    ]).nullish(),
    statusMessage: z.string().nullish(),
    signer: z.object({ subject: z.string().nullish(), thumbprint: z.string().nullish() }).nullish(),
    /** The server's own comparison of the signer's thumbprint with the pinned one it was given. */
    signerTrusted: z.boolean().nullish(),
  })
  .transform((c) => ({
    exists: c.exists,
    size: c.size ?? null,
    sha256: c.sha256 ?? null,
    signatureStatus: c.signatureStatus ?? null,
    statusMessage: c.statusMessage ?? null,
    signerThumbprint: c.signer?.thumbprint ?? null,
    signerSubject: c.signer?.subject ?? null,
    signerTrusted: c.signerTrusted === true,
  }));
export type PackageCheck = z.output<typeof PackageCheckSchema>;

/** `install-agent` / `uninstall-agent`: msiexec's exit code and the end of its log. */
export const MsiRunSchema = z.object({
  exitCode: z.number().int(),
  durationMs: z.number().nullish(),
  logTail: asArray(z.string()).optional(),
});
export type MsiRun = z.infer<typeof MsiRunSchema>;

const FirewallRuleSchema = z.looseObject({
  name: z.string().nullish(),
  displayName: z.string().nullish(),
  enabled: z.preprocess((v) => v === true || v === 'True' || v === 1, z.boolean()),
  localPorts: asArray(z.union([z.string(), z.number()]).transform(String)).optional(),
});

/** `get-agent-state`: what is installed and running. */
export const AgentStateSchema = z.object({
  /** Installed product (from the Uninstall registry keys), or null. */
  product: z
    .looseObject({
      name: z.string().nullish(),
      version: z.string().nullish(),
      productCode: z.string().nullish(),
    })
    .nullish(),
  service: z.looseObject({ status: enumText(SERVICE_STATUS), startType: enumText(START_TYPE) }).nullish(),
  firewallRules: asArray(FirewallRuleSchema),
  /** `twinlockctl version --input -`, or null when it does not answer. */
  ctl: z.looseObject({ version: z.string() }).nullish(),
  /** What twinlockctl printed when it failed. */
  ctlError: z.string().nullish(),
  /** Windows waits for a restart (after msiexec 3010, or updates). */
  rebootPending: z.boolean().nullish(),
});
export type AgentState = z.infer<typeof AgentStateSchema>;

/** restart-host: whether shutdown.exe scheduled the restart, or one was already pending (1190, 1115). */
export const RestartScheduleSchema = z.object({
  scheduled: z.boolean(),
  alreadyPending: z.boolean(),
  exitCode: z.number().int(),
  delaySeconds: z.number(),
  lastBootUpTime: z.string().nullish(),
});
export type RestartSchedule = z.infer<typeof RestartScheduleSchema>;

/** Validates a script's data, or throws `script-failed` naming the script. */
export function parseScriptResult<S extends z.ZodType>(
  script: string,
  schema: S,
  raw: unknown,
  host: string,
): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` (${issue.path.join('.')}: ${issue.message})` : '';
  throw new TwinlockError({
    code: 'script-failed',
    message: `The server ${host} answered the ${script} check with data Twinlock does not understand${where}.`,
    hint: 'Make sure the server runs Windows PowerShell 5.1 or later, then try again.',
    detail: { script, host },
  });
}
