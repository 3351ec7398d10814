/** Role and software rules: what must (or may already) be installed on both servers. */
import type { Rule } from './rule';
import { finding, yesNo } from './rule';

/** Hyper-V role installed on both. */
export const hyperVRole: Rule = (a, b) => {
  const info = { ruleId: 'roles.hyperv', category: 'Roles', title: 'Hyper-V role' };
  const ok = a.roles.hyperV && b.roles.hyperV;
  return finding(
    info,
    ok ? 'pass' : 'blocker',
    [yesNo(a.roles.hyperV), yesNo(b.roles.hyperV)],
    ok ? 'Hyper-V is installed on both servers.' : 'The VMs Twinlock protects run on Hyper-V, so both servers need the role.',
    'On the server marked No, run Server Manager → Add Roles and Features → Hyper-V (or Install-WindowsFeature Hyper-V -IncludeManagementTools) and restart.',
  );
};

/**
 * The lockstep agent already present. Never a problem: installation skips the same version and
 * upgrades an older one; the finding tells the admin which will happen.
 */
export const agentInstalled: Rule = (a, b) => {
  const info = { ruleId: 'agent.installed', category: 'Roles', title: 'Twinlock agent' };
  const show = (v: string | null) => v ?? 'Not installed';
  const reason =
    a.agentVersion === null && b.agentVersion === null
      ? 'The agent is not installed yet; the Install step adds it to both servers.'
      : 'The agent is already installed; the Install step keeps the same version and upgrades an older one.';
  return finding(info, 'pass', [show(a.agentVersion), show(b.agentVersion)], reason, '');
};

/** Every role rule, in report order. */
export const roleRules: Rule[] = [hyperVRole, agentInstalled];
