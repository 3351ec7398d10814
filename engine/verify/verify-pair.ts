/** The rule engine: runs every rule over two inventories and sums the result up for the banner. */
import type { Finding, HostInventory, ProtectionLevel, Severity, VerifyReport } from '../api/models';
import type { ClusterEvidence } from './cluster';
import { SUPERSEDED_AT_LEVEL_1, clusterFindings } from './cluster';
import { firmwareRules } from './firmware';
import { memoryRules } from './memory';
import { networkRules } from './network';
import { osRules } from './os';
import { processorRules } from './processor';
import type { Category, Check, RuleDef } from './rule';
import { CATEGORIES, evaluate } from './rule';
import { roleRules } from './roles';
import { securityRules } from './security';
import { storageRules } from './storage';
import { timeRules } from './time';

/** Every rule, in report order (grouped by category). */
export const RULES: readonly RuleDef[] = [
  ...processorRules,
  ...memoryRules,
  ...firmwareRules,
  ...osRules,
  ...networkRules,
  ...storageRules,
  ...roleRules,
  ...timeRules,
  ...securityRules,
].sort((x, y) => CATEGORIES.indexOf(x.category) - CATEGORIES.indexOf(y.category));

/** The category of each inventory section, for a section the server could not read. */
const SECTION_CATEGORY: Record<string, Category> = {
  processor: 'Processor',
  cpuRegistry: 'Processor',
  computerSystem: 'Firmware',
  bios: 'Firmware',
  memory: 'Memory',
  os: 'OS and updates',
  currentVersion: 'OS and updates',
  regional: 'OS and updates',
  hotfixes: 'OS and updates',
  updateFiles: 'OS and updates',
  pendingReboot: 'OS and updates',
  powerPlan: 'OS and updates',
  features: 'Roles',
  vms: 'Roles',
  agent: 'Roles',
  adapters: 'Network',
  addresses: 'Network',
  routes: 'Network',
  disks: 'Storage',
  volumes: 'Storage',
  firewall: 'Security',
  agentFirewall: 'Security',
};

/**
 * A section a server could not read (access denied, a missing cmdlet) is a finding, not a crash:
 * what Twinlock cannot see it cannot vouch for at the fault-tolerant levels.
 */
export function unreadableSections(a: HostInventory, b: HostInventory, level: ProtectionLevel): Finding[] {
  const sections = [...new Set([...Object.keys(a.sectionErrors), ...Object.keys(b.sectionErrors)])].sort();
  return sections.map((section) => {
    const msg = (h: HostInventory) => h.sectionErrors[section] ?? 'Read';
    const severity: Severity = level === 1 ? 'warning' : 'blocker';
    return {
      ruleId: `inventory.${section}`,
      category: SECTION_CATEGORY[section] ?? 'Security',
      title: `Inventory: ${section}`,
      severity,
      values: [msg(a), msg(b)],
      reason:
        'Twinlock could not read this part of the server, so it cannot confirm that the two servers match there.',
      remedy:
        'Connect with an account in the local Administrators group, make sure the Windows feature or PowerShell module that provides it is present, and verify again.',
      explain:
        'Twinlock reads each server with Windows’ own commands. When one of them is refused or missing, that part stays unknown, and Twinlock only vouches for what it has seen on both servers.',
      fixId: null,
      fixOn: [],
    };
  });
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * Every finding for a level: the catalogue's, then unreadable sections, then at Level 1 the
 * cluster's rules when its prerequisites were read (`cluster`); those replace the inventory rules
 * they read more closely (the domain).
 */
export function findingsAt(
  a: HostInventory,
  b: HostInventory,
  level: ProtectionLevel,
  checks?: ReadonlyMap<RuleDef, Check>,
  cluster?: ClusterEvidence | null,
): Finding[] {
  const withCluster = level === 1 && cluster !== undefined && cluster !== null;
  return [
    ...RULES.filter((rule) => !withCluster || !SUPERSEDED_AT_LEVEL_1.has(rule.id)).map((rule) =>
      evaluate(rule, a, b, level, checks?.get(rule)),
    ),
    ...unreadableSections(a, b, level),
    ...(withCluster ? clusterFindings(a, b, cluster) : []),
  ];
}

/**
 * Checks that do not take the level (fewer than three parameters) give the same answer at every
 * level, so a report over three levels makes them once.
 */
function levelFreeChecks(a: HostInventory, b: HostInventory): Map<RuleDef, Check> {
  return new Map(RULES.filter((r) => r.check.length < 3).map((r) => [r, r.check(a, b, 3)] as const));
}

const blockers = (findings: readonly Finding[]) => findings.filter((f) => f.severity === 'blocker').length;

/**
 * Outcome and one-line verdict: `Ready for Level 3`, `Ready for Level 2 only — 1 blocker for
 * Level 3`, `Not ready: 2 blockers`. `blockersByLevel` holds the blockers at Levels 1, 2 and 3.
 */
export function summarize(
  findings: readonly Finding[],
  level: ProtectionLevel,
  blockersByLevel?: readonly [number, number, number],
): Pick<VerifyReport, 'outcome' | 'verdict'> {
  const count = blockers(findings);
  const warnings = findings.filter((f) => f.severity === 'warning').length;
  if (count > 0) {
    const lower = ([2, 1] as const).find(
      (l) => l < level && blockersByLevel !== undefined && blockersByLevel[l - 1] === 0,
    );
    return {
      outcome: 'blocked',
      verdict: lower
        ? `Ready for Level ${lower} only — ${plural(count, 'blocker')} for Level ${level}`
        : `Not ready: ${plural(count, 'blocker')}`,
    };
  }
  if (warnings > 0)
    return { outcome: 'warnings', verdict: `Ready for Level ${level} with ${plural(warnings, 'warning')}` };
  return { outcome: 'ready', verdict: `Ready for Level ${level}` };
}

/**
 * Compares two servers for a protection level. The caller stamps `ranAt` and `targets`.
 * `cluster`: what Level 1's prerequisites read on both servers, when they were read; its
 * blockers then count at Level 1 whatever level is verified.
 */
export function verifyPair(
  a: HostInventory,
  b: HostInventory,
  level: ProtectionLevel,
  cluster?: ClusterEvidence | null,
): Omit<VerifyReport, 'ranAt' | 'targets'> {
  const checks = levelFreeChecks(a, b);
  const findings = findingsAt(a, b, level, checks, cluster);
  const byLevel = ([1, 2, 3] as const).map((l) =>
    l === level ? blockers(findings) : blockers(findingsAt(a, b, l, checks, cluster)),
  ) as [number, number, number];
  return { level, ...summarize(findings, level, byLevel), hosts: [a, b], findings, blockersByLevel: byLevel };
}

/** The highest level with no blocker, or null when even Level 1 is blocked. */
export function highestReadyLevel(
  a: HostInventory,
  b: HostInventory,
  cluster?: ClusterEvidence | null,
): ProtectionLevel | null {
  for (const level of [3, 2, 1] as const) {
    if (blockers(findingsAt(a, b, level, undefined, cluster)) === 0) return level;
  }
  return null;
}
