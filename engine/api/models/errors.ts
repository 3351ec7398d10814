/**
 * Errors as data: the closed list of codes as a schema, and for each code the facts its `detail`
 * carries. Detail objects stay open (a throw site may add facts for the log), but the fields a
 * shell reads are named and typed here, per code.
 */
import { z } from 'zod';
import { ERROR_CODES } from '../errors';
import type { ErrorCode, TwinlockErrorData } from '../errors';

/** One of {@link ERROR_CODES}: every schema that carries an error code uses this one. */
export const ErrorCodeSchema = z.enum(ERROR_CODES);

/** One problem of a refused request, by the field it is in (`links.0.localAddress`). */
export const InputIssueSchema = z.object({
  field: z.string(),
  message: z.string(),
  /** The line of the file at fault, when the input is a file (a fleet file). */
  line: z.number().int().optional(),
});
export type InputIssue = z.infer<typeof InputIssueSchema>;

/** Facts any error may carry: the server it happened on and the step. */
const anyDetail = z.record(z.string(), z.unknown());

/** The detail each code carries. */
export const ErrorDetailSchemas = {
  unreachable: z.looseObject({
    address: z.string().optional(),
    port: z.number().optional(),
    /** The socket's error code (`ECONNREFUSED`, `ENOTFOUND`…) or the reason in words. */
    reason: z.string().optional(),
  }),
  'auth-failed': anyDetail,
  'host-key-changed': z.looseObject({
    /** The fingerprint pinned earlier. */
    expected: z.string(),
    /** The fingerprint the server presented now. */
    actual: z.string(),
    keyType: z.string().optional(),
    /** The pinned key's id (`address:port`), to forget it. */
    hostId: z.string().optional(),
  }),
  'unknown-host-key': z.looseObject({
    /** The fingerprint the server presented, to compare and accept. */
    fingerprint: z.string(),
    keyType: z.string().optional(),
    /** The PowerShell line that prints the server's own fingerprint. */
    checkCommand: z.string().optional(),
  }),
  'not-admin': anyDetail,
  timeout: anyDetail,
  cancelled: anyDetail,
  'script-failed': anyDetail,
  'install-failed': anyDetail,
  incompatible: anyDetail,
  'invalid-input': z.looseObject({
    /** The field at fault (the first one, when there are several). */
    field: z.string().optional(),
    /** Every problem, each with its field (a refused request or pair configuration). */
    issues: z.array(InputIssueSchema).optional(),
    /** The contract method refused. */
    method: z.string().optional(),
    /** The token of the targets the engine could not read. */
    token: z.string().optional(),
    /** The targets hold more addresses than a scan takes without `allowLarge`. */
    tooLarge: z.boolean().optional(),
  }),
  'bundle-invalid': anyDetail,
  'bundle-untrusted': z.looseObject({
    /** The signer's fingerprint, to compare before trusting it. */
    fingerprint: z.string(),
    /** Base64 SPKI DER of the signer's key. */
    publicKey: z.string(),
  }),
  'publisher-untrusted': z.looseObject({
    /** The certificate subject the package's manifest names. */
    subject: z.string(),
    /** Its thumbprint, to compare before trusting it. */
    thumbprint: z.string(),
    /** The agent version of the package. */
    version: z.string(),
    packageDir: z.string().optional(),
  }),
  'plan-stale': z.looseObject({
    /** Every difference between the servers as planned and as they are now. */
    drift: z.array(z.object({ server: z.string(), what: z.string(), planned: z.string(), now: z.string() })),
  }),
  'not-found': anyDetail,
  'connection-lost': anyDetail,
  unauthorized: anyDetail,
  forbidden: anyDetail,
  internal: anyDetail,
} satisfies Record<ErrorCode, z.ZodType<Record<string, unknown>>>;

/** The detail of an error with code `C`. */
export type ErrorDetailOf<C extends ErrorCode> = z.infer<(typeof ErrorDetailSchemas)[C]>;

function errorDataOf<C extends ErrorCode>(code: C) {
  return z.object({
    code: z.literal(code),
    message: z.string(),
    hint: z.string().optional(),
    detail: ErrorDetailSchemas[code].optional(),
  });
}

/** A problem as it crosses a boundary (a failed job's `error`): its detail checked by its code. */
export const ErrorDataSchema: z.ZodType<TwinlockErrorData> = z.discriminatedUnion(
  'code',
  ERROR_CODES.map(errorDataOf) as unknown as [
    ReturnType<typeof errorDataOf<ErrorCode>>,
    ...ReturnType<typeof errorDataOf<ErrorCode>>[],
  ],
) as z.ZodType<TwinlockErrorData>;
