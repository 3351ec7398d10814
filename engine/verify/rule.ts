/** The shape every verification rule shares, and the helpers that keep findings uniform. */
import type { Finding, FixId, HostInventory, ProtectionLevel, Severity } from '../api/models';
import { explanationOf } from './explanations';

/** The groups findings are shown in, in report order. */
export const CATEGORIES = [
  'Processor',
  'Memory',
  'Firmware',
  'OS and updates',
  'Network',
  'Storage',
  'Roles',
  'Time',
  'Security',
  'Cluster',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** What a rule's check says about the two servers. */
export interface Check {
  /** True when the servers pass this rule. */
  ok: boolean;
  /** What each server has, as shown side by side. */
  values: [string, string];
  /** Replaces the rule's severity when the mismatch is milder or worse than usual (e.g. one spare adapter instead of none). */
  severity?: Severity;
  /** Replaces the rule's reason for this outcome. */
  reason?: string;
  /** Replaces the rule's remedy for this outcome. */
  remedy?: string;
  /** Which servers the rule's fix applies to; the fix is offered only when this is not empty. */
  fixOn?: Array<0 | 1>;
}

/**
 * One rule of the catalogue. `check` is pure: no I/O, no clock, so the same inventories always
 * give the same report.
 */
export interface RuleDef {
  /** Stable id, e.g. `cpu.model`; used by the UI, the CLI and exported reports. */
  id: string;
  category: Category;
  /** Short title, e.g. `Processor model`. */
  title: string;
  /** Severity of a failed check at Level 1, 2 and 3 (Level 3, lockstep, is the strictest). */
  severity: Record<ProtectionLevel, Severity>;
  /** Why the rule matters, in one sentence. */
  reason: string;
  /** What to do when it fires, in plain steps. */
  remedy: string;
  /** The fix Twinlock can run for it, or null. */
  fixId: FixId | null;
  /** What passing says, in one sentence. */
  passReason: string;
  check(a: HostInventory, b: HostInventory, level: ProtectionLevel): Check;
}

/** Severity `s` at every level. */
export function atEveryLevel(s: Severity): Record<ProtectionLevel, Severity> {
  return { 1: s, 2: s, 3: s };
}

/** Runs one rule; a pass carries no remedy and no fix. `checked` reuses a check made at another level. */
export function evaluate(
  rule: RuleDef,
  a: HostInventory,
  b: HostInventory,
  level: ProtectionLevel,
  checked?: Check,
): Finding {
  const c = checked ?? rule.check(a, b, level);
  const severity: Severity = c.ok ? 'pass' : (c.severity ?? rule.severity[level]);
  const info = {
    ruleId: rule.id,
    category: rule.category,
    title: rule.title,
    values: c.values,
    explain: explanationOf(rule.id),
  };
  if (severity === 'pass') {
    return {
      ...info,
      severity,
      reason: c.ok ? (c.reason ?? rule.passReason) : (c.reason ?? rule.reason),
      remedy: '',
      fixId: null,
      fixOn: [],
    };
  }
  const fixOn = rule.fixId && c.fixOn && c.fixOn.length > 0 ? c.fixOn : [];
  return {
    ...info,
    severity,
    reason: c.reason ?? rule.reason,
    remedy: c.remedy ?? rule.remedy,
    fixId: fixOn.length > 0 ? rule.fixId : null,
    fixOn,
  };
}

/** The servers (0, 1) for which `bad` holds. */
export function where(
  a: HostInventory,
  b: HostInventory,
  bad: (inv: HostInventory) => boolean,
): Array<0 | 1> {
  return ([0, 1] as const).filter((i) => bad(i === 0 ? a : b));
}

/** `1,073,741,824 bytes` → `1.0 GB` (binary units, as Windows shows them). */
export function formatBytes(bytes: number): string {
  const tib = bytes / 1024 ** 4;
  if (tib >= 10) return `${tib.toFixed(1)} TB`;
  const gib = bytes / 1024 ** 3;
  if (gib >= 1) return `${gib.toFixed(gib >= 100 ? 0 : 1)} GB`;
  return `${(bytes / 1024 ** 2).toFixed(0)} MB`;
}

/** `yes` / `no` for side-by-side values. */
export function yesNo(value: boolean): string {
  return value ? 'Yes' : 'No';
}

/** `Unknown` for a value the server did not report. */
export function shown(value: string): string {
  return value === '' ? 'Unknown' : value;
}
