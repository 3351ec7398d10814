/** The shape every verification rule shares, and the helpers that keep findings uniform. */
import type { Finding, HostInventory, ProtectionLevel, Severity } from '../api/models';

/**
 * A rule compares the two servers for a protection level. Pure: no I/O, no clock, so the same
 * inventories always give the same report.
 */
export type Rule = (a: HostInventory, b: HostInventory, level: ProtectionLevel) => Finding;

/** What a rule states about itself, whatever the outcome. */
export interface RuleInfo {
  /** Stable id, e.g. `cpu.model`; used by the UI, the CLI and exported reports. */
  ruleId: string;
  /** Family shown as a group heading, e.g. `Processor`. */
  category: string;
  /** Short title, e.g. `Processor model`. */
  title: string;
}

/** Builds a finding; a pass never carries a remedy. */
export function finding(
  info: RuleInfo,
  severity: Severity,
  values: [string, string],
  reason: string,
  remedy: string,
): Finding {
  return { ...info, severity, values, reason, remedy: severity === 'pass' ? '' : remedy };
}

/** Severity of a mismatch that matters more the higher the protection level. */
export function byLevel(level: ProtectionLevel, atLevel: Record<ProtectionLevel, Severity>): Severity {
  return atLevel[level];
}

/** `1,073,741,824 bytes` → `1.0 GB` (binary units, as Windows shows them). */
export function formatBytes(bytes: number): string {
  const gib = bytes / 1024 ** 3;
  if (gib >= 1) return `${gib.toFixed(gib >= 100 ? 0 : 1)} GB`;
  return `${(bytes / 1024 ** 2).toFixed(0)} MB`;
}

/** `yes` / `no` for side-by-side values. */
export function yesNo(value: boolean): string {
  return value ? 'Yes' : 'No';
}
