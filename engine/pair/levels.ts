/**
 * Which protection levels two servers may be paired at: only a level verification passes (no
 * blocker), each other one with the findings that stop it, in one line each.
 */
import type { HostInventory, ProtectionLevel } from '../api/models';
import type { ClusterEvidence } from '../verify/cluster';
import { findingsAt } from '../verify/verify-pair';

/** One level's readiness. */
export interface LevelReadiness {
  level: ProtectionLevel;
  ready: boolean;
  /** Each blocker: its title, both servers' values, why it matters. */
  reasons: string[];
  /** The blocking rules' ids. */
  blockers: string[];
}

/**
 * Readiness at Levels 1, 2 and 3, for the primary `a` and the secondary `b`. `cluster`: Level 1's
 * prerequisites as the last verification at Level 1 read them, when it did; their blockers then
 * stop Level 1 too (each reason is the rule's own sentence, which names the servers).
 */
export function levelReadiness(
  a: HostInventory,
  b: HostInventory,
  cluster?: ClusterEvidence | null,
): LevelReadiness[] {
  return ([1, 2, 3] as const).map((level) => {
    const blocking = findingsAt(a, b, level, undefined, cluster).filter((f) => f.severity === 'blocker');
    return {
      level,
      ready: blocking.length === 0,
      reasons: blocking.map((f) =>
        f.category === 'Cluster'
          ? `${f.title}: ${f.reason}`
          : `${f.title} (${a.computerName}: ${f.values[0]}; ${b.computerName}: ${f.values[1]}): ${f.reason}`,
      ),
      blockers: blocking.map((f) => f.ruleId),
    };
  });
}

/** Why `level` cannot be chosen for these servers, in one sentence with the fix; null when it can. */
export function levelRefusal(
  a: HostInventory,
  b: HostInventory,
  level: ProtectionLevel,
  cluster?: ClusterEvidence | null,
): string | null {
  const levels = levelReadiness(a, b, cluster);
  const wanted = levels.find((l) => l.level === level);
  if (!wanted || wanted.ready) return null;
  const best = [...levels].reverse().find((l) => l.ready);
  const count = wanted.reasons.length;
  return (
    `${a.computerName} and ${b.computerName} do not pass verification at Level ${level} ` +
    `(${count} blocker${count === 1 ? '' : 's'}: ${wanted.reasons.join(' — ')}). ` +
    (best
      ? `Choose Level ${best.level}, the highest they pass, or fix the blockers and verify again.`
      : 'They pass no level yet: fix the blockers and verify again.')
  );
}
