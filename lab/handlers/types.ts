/** What a lab script handler receives: the server it runs on and the decoded `$P`. */
import type { LabAccount, LabHost } from '../host';
import type { LabWorld } from '../world';

export interface ScriptContext {
  host: LabHost;
  world: LabWorld;
  /** The parameters object the bootstrap decoded into `$P`. */
  params: Record<string, unknown>;
  /** The account the SSH session logged on with. */
  account: LabAccount;
  /**
   * How the session logged on. A key-based logon to Windows' OpenSSH has no network credentials:
   * a script reaching another server as the admin (New-Cluster, Test-Cluster) is denied access.
   */
  logon: 'password' | 'key';
}

/** Answers one remote script with what it would return on Windows (throws PsError on failure). */
export type ScriptHandler = (ctx: ScriptContext) => unknown;

/** A string parameter, as PowerShell would coerce it (`[string]$null` is ''). */
export function str(params: Record<string, unknown>, key: string): string {
  const v = params[key];
  return v === null || v === undefined ? '' : String(v);
}

/** An array parameter (a lone value counts as one element, as PowerShell's `@()` makes it). */
export function list(params: Record<string, unknown>, key: string): string[] {
  const v = params[key];
  if (v === null || v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map((x) => String(x));
}
