/** Operating-system rules: both servers must run the same Windows build, edition and patch level. */
import type { HostInventory } from '../api/models';
import type { RuleDef } from './rule';
import { atEveryLevel, shown, where } from './rule';

/** The GUID of Windows' built-in High performance power plan. */
export const HIGH_PERFORMANCE_PLAN = '8c5e7fda-e8bf-4a96-9a85-a6e23a8c635c';

/** Same OS build (e.g. 20348 = Windows Server 2022). */
export const osBuild: RuleDef = {
  id: 'os.build',
  category: 'OS and updates',
  title: 'Windows build',
  severity: atEveryLevel('blocker'),
  reason: 'Servers on different Windows versions cannot take over each other’s VMs safely.',
  remedy: 'Install the same Windows Server version on both servers.',
  fixId: null,
  passReason: 'Both servers run the same Windows build.',
  check: (a, b) => ({
    ok: a.os.build === b.os.build,
    values: [`${a.os.caption} (build ${a.os.build})`, `${b.os.caption} (build ${b.os.build})`],
  }),
};

/** Same update build revision (monthly cumulative update). */
export const osUbr: RuleDef = {
  id: 'os.ubr',
  category: 'OS and updates',
  title: 'Windows updates (UBR)',
  severity: { 1: 'warning', 2: 'warning', 3: 'blocker' },
  reason:
    'Different cumulative updates change the hypervisor and drivers, which lockstep needs to be identical.',
  remedy:
    'Run Windows Update on both servers (or install the same cumulative update on each) and restart them.',
  fixId: null,
  passReason: 'Both servers have the same cumulative update installed.',
  check: (a, b) => ({
    ok: a.os.build === b.os.build && a.os.ubr === b.os.ubr,
    values: [`${a.os.build}.${a.os.ubr}`, `${b.os.build}.${b.os.ubr}`],
  }),
};

const editionName = (h: HostInventory) => shown(h.os.editionId.replace(/^Server/, ''));

/** Same edition (Datacenter vs Standard). */
export const osEdition: RuleDef = {
  id: 'os.edition',
  category: 'OS and updates',
  title: 'Windows edition',
  severity: atEveryLevel('warning'),
  reason:
    'Standard licenses two VMs per server while Datacenter licenses unlimited VMs, so after a failover a Standard server may not be licensed for every protected VM.',
  remedy:
    'Run the same edition on both servers; upgrade Standard to Datacenter with DISM /Online /Set-Edition and a Datacenter key if needed.',
  fixId: null,
  passReason: 'Both servers run the same Windows edition.',
  check: (a, b) => ({
    ok: a.os.editionId === '' || b.os.editionId === '' || a.os.editionId === b.os.editionId,
    values: [editionName(a), editionName(b)],
  }),
};

const installText = (t: string) => (t === 'Server' ? 'Desktop Experience' : shown(t));

/** Same installation type (Server Core vs Desktop Experience). */
export const osInstallationType: RuleDef = {
  id: 'os.installation-type',
  category: 'OS and updates',
  title: 'Installation type',
  severity: atEveryLevel('warning'),
  reason:
    'Server Core and Desktop Experience receive different updates and components, so the two servers drift apart with every patch.',
  remedy:
    'Install both servers the same way (Server Core or Desktop Experience); Windows Server 2016 and later cannot switch without reinstalling.',
  fixId: null,
  passReason: 'Both servers have the same installation type.',
  check: (a, b) => ({
    ok: a.os.installationType === b.os.installationType,
    values: [installText(a.os.installationType), installText(b.os.installationType)],
  }),
};

/** KBs one server has and the other lacks. */
function missingHotfixes(have: HostInventory, other: HostInventory): string[] {
  const mine = new Set(have.hotfixes.map((h) => h.id));
  return [...new Set(other.hotfixes.map((h) => h.id))].filter((id) => !mine.has(id)).sort();
}

/** Same installed updates. */
export const osHotfixes: RuleDef = {
  id: 'os.hotfixes',
  category: 'OS and updates',
  title: 'Installed updates',
  severity: { 1: 'warning', 2: 'warning', 3: 'blocker' },
  reason:
    'An update on one server only changes drivers or the hypervisor there, and lockstep needs both servers to execute the same code.',
  remedy:
    'Install the missing updates (Windows Update or the .msu from the Microsoft Update Catalog) on the server that lacks them, then restart it.',
  fixId: 'install-hotfix',
  passReason: 'Both servers have the same updates installed.',
  check: (a, b) => {
    const missing: [string[], string[]] = [missingHotfixes(a, b), missingHotfixes(b, a)];
    const show = (i: 0 | 1, h: HostInventory) =>
      missing[i].length === 0
        ? `${h.hotfixes.length} updates`
        : `${h.hotfixes.length} updates; missing ${missing[i].join(', ')}`;
    // Twinlock installs only updates staged as files on the server that lacks them.
    const staged = (i: 0 | 1) => {
      const files = new Set((i === 0 ? a : b).updateFiles.map((f) => f.kb));
      return missing[i].length > 0 && missing[i].every((kb) => files.has(kb));
    };
    return {
      ok: missing[0].length === 0 && missing[1].length === 0,
      values: [show(0, a), show(1, b)],
      fixOn: ([0, 1] as const).filter(staged),
    };
  },
};

/** No restart pending. */
export const osPendingReboot: RuleDef = {
  id: 'os.pending-reboot',
  category: 'OS and updates',
  title: 'Restart pending',
  severity: { 1: 'warning', 2: 'blocker', 3: 'blocker' },
  reason:
    'A server waiting for a restart has updates or drivers half installed, so what Twinlock compares is not what will run after the restart.',
  remedy: 'Restart the server marked Yes at a convenient time, then verify again.',
  fixId: 'restart',
  passReason: 'Neither server is waiting for a restart.',
  check: (a, b) => {
    const show = (h: HostInventory) =>
      h.pendingReboot.pending ? `Yes (${h.pendingReboot.reasons.join(', ')})` : 'No';
    const bad = where(a, b, (h) => h.pendingReboot.pending);
    return { ok: bad.length === 0, values: [show(a), show(b)], fixOn: bad };
  },
};

/** High performance power plan. */
export const osPowerPlan: RuleDef = {
  id: 'os.power-plan',
  category: 'OS and updates',
  title: 'Power plan',
  severity: { 1: 'pass', 2: 'warning', 3: 'warning' },
  reason:
    'Power-saving plans let each server change processor speed on its own, which adds latency to every mirrored operation.',
  remedy:
    'Switch both servers to the High performance power plan (Control Panel → Power Options, or powercfg /setactive SCHEME_MIN).',
  fixId: 'power-plan-high',
  passReason: 'Both servers use the High performance power plan.',
  check: (a, b) => {
    const bad = where(a, b, (h) => h.powerPlan.guid !== '' && h.powerPlan.guid !== HIGH_PERFORMANCE_PLAN);
    return { ok: bad.length === 0, values: [shown(a.powerPlan.name), shown(b.powerPlan.name)], fixOn: bad };
  },
};

/** Same system locale. */
export const osLocale: RuleDef = {
  id: 'os.locale',
  category: 'OS and updates',
  title: 'System locale',
  severity: { 1: 'pass', 2: 'warning', 3: 'warning' },
  reason:
    'Applications in a VM read the host’s code page and formats, so a VM can behave differently after moving to a server with another locale.',
  remedy: 'Set the same system locale on both servers (Set-WinSystemLocale) and restart.',
  fixId: null,
  passReason: 'Both servers use the same system locale.',
  check: (a, b) => ({
    ok: a.os.locale === '' || b.os.locale === '' || a.os.locale === b.os.locale,
    values: [shown(a.os.locale), shown(b.os.locale)],
  }),
};

/** Every operating-system rule, in report order. */
export const osRules: RuleDef[] = [
  osBuild,
  osUbr,
  osEdition,
  osInstallationType,
  osHotfixes,
  osPendingReboot,
  osPowerPlan,
  osLocale,
];
