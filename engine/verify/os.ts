/** Operating-system rules: both servers must run the same Windows build and patch level. */
import type { Rule } from './rule';
import { byLevel, finding } from './rule';

/** Same OS build (e.g. 20348 = Windows Server 2022). */
export const osBuild: Rule = (a, b) => {
  const info = { ruleId: 'os.build', category: 'Operating system', title: 'Windows build' };
  const same = a.os.build === b.os.build;
  return finding(
    info,
    same ? 'pass' : 'blocker',
    [`${a.os.caption} (build ${a.os.build})`, `${b.os.caption} (build ${b.os.build})`],
    same
      ? 'Both servers run the same Windows build.'
      : 'Servers on different Windows versions cannot take over each other’s VMs safely.',
    'Install the same Windows Server version on both servers.',
  );
};

/** Same update build revision (monthly cumulative update). */
export const osUbr: Rule = (a, b, level) => {
  const info = { ruleId: 'os.ubr', category: 'Operating system', title: 'Windows updates (UBR)' };
  const same = a.os.build === b.os.build && a.os.ubr === b.os.ubr;
  return finding(
    info,
    same ? 'pass' : byLevel(level, { 1: 'warning', 2: 'warning', 3: 'blocker' }),
    [`${a.os.build}.${a.os.ubr}`, `${b.os.build}.${b.os.ubr}`],
    same
      ? 'Both servers have the same cumulative update installed.'
      : 'Different cumulative updates change the hypervisor and drivers, which lockstep needs to be identical.',
    'Run Windows Update on both servers (or install the same cumulative update on each) and restart them.',
  );
};

/** Every operating-system rule, in report order. */
export const osRules: Rule[] = [osBuild, osUbr];
