import type { ErrorDetailOf } from './models/errors';

/**
 * The closed list of problems Twinlock reports. A code exists when the admin should see
 * something different for it; every message is written for an admin, with the next step in `hint`.
 * Errors cross IPC/HTTP as plain data ({@link TwinlockErrorData}): check them by `code`, never `instanceof`.
 */
export const ERROR_CODES = [
  /** The host or port did not answer (refused, no route, DNS failure). */
  'unreachable',
  /** The server refused the user name or password. */
  'auth-failed',
  /** The server's host key differs from the one pinned earlier: possible interception. */
  'host-key-changed',
  /** The server's host key has never been seen: the admin must compare and accept it. */
  'unknown-host-key',
  /** The account works but lacks administrator rights on the server. */
  'not-admin',
  /** An operation did not finish within its time limit. */
  'timeout',
  /** The admin (or a shutdown) cancelled the operation. */
  'cancelled',
  /** A remote script ran but reported a failure. */
  'script-failed',
  /** The agent could not be installed (msiexec or service failure). */
  'install-failed',
  /** The two servers cannot be paired at the chosen protection level. */
  'incompatible',
  /** A request carried a missing or malformed field. */
  'invalid-input',
  /** A request to the browser shell lacked this run's token, or carried a wrong one (HTTP 401). */
  'unauthorized',
  /** A request came from somewhere other than Twinlock's own page (HTTP 403, or a foreign IPC sender). */
  'forbidden',
  /** A configuration bundle is malformed or its signature does not verify. */
  'bundle-invalid',
  /** A bundle's signature verifies, but its signer is not a key this workstation trusts: compare the fingerprint, then trust it. */
  'bundle-untrusted',
  /** The agent package's Authenticode publisher is not one this workstation trusts: compare subject and thumbprint, then trust it. */
  'publisher-untrusted',
  /** A plan was made before one of its servers changed (an adapter, an address, a VM, the agent): plan again. */
  'plan-stale',
  /** A referenced session, job or file does not exist (any more). */
  'not-found',
  /** The connection to a server dropped during an operation. */
  'connection-lost',
  /** A bug in Twinlock itself: the message says what was being done. */
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The facts an error with code `C` carries in `detail` (see ErrorDetailSchemas). */
export type ErrorDetail<C extends ErrorCode = ErrorCode> = ErrorDetailOf<C>;

/** A problem with code `C` as it crosses a process boundary: plain, serialisable data. */
export interface ErrorDataOf<C extends ErrorCode> {
  /** Machine-readable code; shells branch on it. */
  code: C;
  /** One sentence an admin can read: what went wrong. */
  message: string;
  /** The next step the admin can take, when there is one. */
  hint?: string;
  /** Structured facts for display (for example both fingerprints of a changed host key), typed by code. */
  detail?: ErrorDetail<C>;
}

/** A problem as it crosses a process boundary: one {@link ErrorDataOf} per code, told apart by `code`. */
export type TwinlockErrorData = { [C in ErrorCode]: ErrorDataOf<C> }[ErrorCode];

/** The one error type the engine throws for expected problems. */
export class TwinlockError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly detail?: ErrorDetail;

  constructor(data: TwinlockErrorData, options?: { cause?: unknown }) {
    super(data.message, options);
    this.name = 'TwinlockError';
    this.code = data.code;
    if (data.hint !== undefined) this.hint = data.hint;
    if (data.detail !== undefined) this.detail = data.detail;
  }

  /** The plain-data form sent over IPC, HTTP and printed by the CLI with --json. */
  toData(): TwinlockErrorData {
    const data = { code: this.code, message: this.message } as TwinlockErrorData;
    if (this.hint !== undefined) data.hint = this.hint;
    if (this.detail !== undefined) data.detail = this.detail;
    return data;
  }
}

/** True for anything shaped like {@link TwinlockErrorData} (an error that crossed a boundary). */
export function isTwinlockErrorData(value: unknown): value is TwinlockErrorData {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.code === 'string' &&
    (ERROR_CODES as readonly string[]).includes(v.code) &&
    typeof v.message === 'string'
  );
}

/**
 * Turns anything thrown into {@link TwinlockErrorData}. Unexpected errors become `internal`
 * with a sentence saying what was being done; their stack never reaches the admin.
 */
export function toErrorData(err: unknown, doing = 'the operation'): TwinlockErrorData {
  if (err instanceof TwinlockError) return err.toData();
  if (isTwinlockErrorData(err)) return err;
  const reason = err instanceof Error ? err.message : String(err);
  return {
    code: 'internal',
    message: `Twinlock hit an unexpected problem during ${doing}: ${reason}`,
    hint: 'Try again; if it happens again, export the log from the Help menu and report it.',
  };
}
