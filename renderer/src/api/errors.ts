/** Errors as the page shows them: a sentence and a hint, never a stack trace. */
import type { TwinlockErrorData } from '../../../engine/api';
import { isErrorData } from '../../../engine/api/wire';

/** Turns anything a call rejected with into TwinlockErrorData. */
export function toUiError(err: unknown, doing = 'this step'): TwinlockErrorData {
  if (isErrorData(err)) {
    const data: TwinlockErrorData = { code: err.code, message: err.message };
    if (typeof err.hint === 'string') data.hint = err.hint;
    if (err.detail !== undefined) data.detail = err.detail;
    return data;
  }
  // An error of a code outside the contract's closed list (a newer engine?) keeps its sentence.
  const message = (err as { message?: unknown } | null)?.message;
  const reason = typeof message === 'string' ? message : String(err);
  return {
    code: 'internal',
    message: `Twinlock hit an unexpected problem during ${doing}: ${reason}`,
    hint: 'Try again; if it happens again, restart Twinlock.',
  };
}

/** A string from an error's detail, when present. */
export function detailString(error: TwinlockErrorData | null | undefined, key: string): string | null {
  const value = error?.detail?.[key];
  return typeof value === 'string' ? value : null;
}
