/** The rule engine: runs every rule over two inventories and sums the result up for the banner. */
import type { Finding, HostInventory, ProtectionLevel, VerifyReport } from '../api/models';
import { memoryRules } from './memory';
import { networkRules } from './network';
import { osRules } from './os';
import { processorRules } from './processor';
import type { Rule } from './rule';
import { roleRules } from './roles';

/** Every rule, in report order. */
export const RULES: readonly Rule[] = [...processorRules, ...memoryRules, ...osRules, ...roleRules, ...networkRules];

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Outcome and one-line verdict for a list of findings. */
export function summarize(
  findings: readonly Finding[],
  level: ProtectionLevel,
): Pick<VerifyReport, 'outcome' | 'verdict'> {
  const blockers = findings.filter((f) => f.severity === 'blocker').length;
  const warnings = findings.filter((f) => f.severity === 'warning').length;
  if (blockers > 0) return { outcome: 'blocked', verdict: `Not ready for Level ${level}: ${plural(blockers, 'blocker')}` };
  if (warnings > 0) return { outcome: 'warnings', verdict: `Ready for Level ${level} with ${plural(warnings, 'warning')}` };
  return { outcome: 'ready', verdict: `Ready for Level ${level}` };
}

/** Compares two servers for a protection level. The caller stamps `ranAt`. */
export function verifyPair(a: HostInventory, b: HostInventory, level: ProtectionLevel): Omit<VerifyReport, 'ranAt'> {
  const findings = RULES.map((rule) => rule(a, b, level));
  return { level, ...summarize(findings, level), hosts: [a, b], findings };
}

/** The highest level with no blocker, or null when even Level 1 is blocked. */
export function highestReadyLevel(a: HostInventory, b: HostInventory): ProtectionLevel | null {
  for (const level of [3, 2, 1] as const) {
    if (verifyPair(a, b, level).outcome !== 'blocked') return level;
  }
  return null;
}
