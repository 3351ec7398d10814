/** Role and software rules: what must (or must not) be installed on both servers. */
import type { RuleDef } from './rule';
import { atEveryLevel, where, yesNo } from './rule';

/** Hyper-V role installed on both. */
export const hyperVRole: RuleDef = {
  id: 'roles.hyperv',
  category: 'Roles',
  title: 'Hyper-V role',
  severity: atEveryLevel('blocker'),
  reason: 'The VMs Twinlock protects run on Hyper-V, so both servers need the role.',
  remedy:
    'On the server marked No, run Server Manager → Add Roles and Features → Hyper-V (or Install-WindowsFeature Hyper-V -IncludeManagementTools) and restart.',
  fixId: 'install-hyperv',
  passReason: 'Hyper-V is installed on both servers.',
  check: (a, b) => ({
    ok: a.roles.hyperV && b.roles.hyperV,
    values: [yesNo(a.roles.hyperV), yesNo(b.roles.hyperV)],
    // Windows refuses the role while virtualization is off in firmware: that needs a visit to the BIOS first.
    fixOn: where(a, b, (h) => !h.roles.hyperV && h.processor.virtualizationEnabled),
  }),
};

/** Failover Clustering absent at the lockstep levels. */
export const clusteringRole: RuleDef = {
  id: 'roles.clustering',
  category: 'Roles',
  title: 'Failover Clustering',
  severity: { 1: 'pass', 2: 'warning', 3: 'warning' },
  reason:
    'At Levels 2 and 3 the agent owns the VMs; a Windows failover cluster on the same servers would try to move them too.',
  remedy:
    'Remove the VMs from the failover cluster (Failover Cluster Manager → Roles) and uninstall Failover Clustering, or choose Level 1.',
  fixId: null,
  passReason: 'No failover cluster competes with the agent for the VMs.',
  check: (a, b, level) => ({
    ok: level === 1 || (!a.roles.failoverClustering && !b.roles.failoverClustering),
    values: [
      a.roles.failoverClustering ? 'Installed' : 'Not installed',
      b.roles.failoverClustering ? 'Installed' : 'Not installed',
    ],
    ...(level === 1
      ? {
          reason:
            'Level 1 is built on Failover Clustering; the Install step enables it where it is not installed.',
        }
      : {}),
  }),
};

/** No VM name on both servers. */
export const vmNames: RuleDef = {
  id: 'roles.vm-names',
  category: 'Roles',
  title: 'VM names',
  severity: atEveryLevel('warning'),
  reason:
    'A protected VM is recreated under its own name on the other server, which fails when a VM of that name already exists there.',
  remedy: 'Rename or remove one of the VMs that share a name (Hyper-V Manager → Rename) before pairing.',
  fixId: null,
  passReason: 'No VM name exists on both servers.',
  check: (a, b) => {
    const names = new Set(a.vms.map((v) => v.name.toLowerCase()));
    const both = b.vms.filter((v) => names.has(v.name.toLowerCase())).map((v) => v.name);
    const show = (n: number) =>
      both.length === 0 ? `${n} VMs` : `${n} VMs, also on the other: ${both.join(', ')}`;
    return { ok: both.length === 0, values: [show(a.vms.length), show(b.vms.length)] };
  },
};

/**
 * The lockstep agent already present. Never a problem: installation skips the same version and
 * upgrades an older one; the finding tells the admin which will happen.
 */
export const agentInstalled: RuleDef = {
  id: 'agent.installed',
  category: 'Roles',
  title: 'Twinlock agent',
  severity: atEveryLevel('pass'),
  reason:
    'The agent is already installed; the Install step keeps the same version and upgrades an older one.',
  remedy: '',
  fixId: null,
  passReason:
    'The agent is already installed; the Install step keeps the same version and upgrades an older one.',
  check: (a, b, level) => ({
    ok: true,
    values: [a.agentVersion ?? 'Not installed', b.agentVersion ?? 'Not installed'],
    ...(level === 1
      ? {
          reason:
            'Level 1 needs no agent: Windows’ own Failover Clustering protects the VMs, and the Install step enables it instead.',
        }
      : a.agentVersion === null && b.agentVersion === null
        ? { reason: 'The agent is not installed yet; the Install step adds it to both servers.' }
        : {}),
  }),
};

/** Every role rule, in report order. */
export const roleRules: RuleDef[] = [hyperVRole, clusteringRole, vmNames, agentInstalled];
