/** Firmware rules: the BIOS/UEFI settings and versions that decide what the processors expose. */
import type { HostInventory } from '../api/models';
import type { RuleDef } from './rule';
import { atEveryLevel, shown, yesNo } from './rule';

/** Hardware virtualization (VT-x / AMD-V) enabled in firmware on both. */
export const cpuVirtualization: RuleDef = {
  id: 'cpu.virtualization',
  category: 'Firmware',
  title: 'Virtualization in firmware',
  severity: atEveryLevel('blocker'),
  reason: 'Hyper-V cannot run VMs unless Intel VT-x or AMD-V is enabled in the server’s firmware.',
  remedy:
    'Restart the server marked No, enter its BIOS/UEFI setup, enable Intel VT-x (Virtualization Technology) or AMD-V (SVM), save and restart.',
  fixId: null,
  passReason: 'Hardware virtualization is available on both servers.',
  check: (a, b) => ({
    ok: a.processor.virtualizationEnabled && b.processor.virtualizationEnabled,
    values: [yesNo(a.processor.virtualizationEnabled), yesNo(b.processor.virtualizationEnabled)],
  }),
};

const biosText = (h: HostInventory) =>
  h.bios.version === ''
    ? 'Unknown'
    : `${h.bios.vendor} ${h.bios.version}${h.bios.releaseDate ? ` (${h.bios.releaseDate})` : ''}`;

/** Same BIOS/UEFI version. */
export const biosVersion: RuleDef = {
  id: 'firmware.bios-version',
  category: 'Firmware',
  title: 'BIOS/UEFI version',
  severity: { 1: 'pass', 2: 'warning', 3: 'blocker' },
  reason:
    'The firmware sets processor features, power states and microcode, so lockstep servers must run the same BIOS/UEFI version.',
  remedy:
    'Update both servers to the same (latest) BIOS/UEFI version with the vendor’s tool (for example Dell iDRAC or HPE iLO), then restart them.',
  fixId: null,
  passReason: 'Both servers run the same BIOS/UEFI version.',
  check: (a, b) => ({
    ok:
      a.bios.version === '' ||
      b.bios.version === '' ||
      (a.bios.vendor === b.bios.vendor && a.bios.version === b.bios.version),
    values: [biosText(a), biosText(b)],
  }),
};

/** Same server model. */
export const systemModel: RuleDef = {
  id: 'firmware.system-model',
  category: 'Firmware',
  title: 'Server model',
  severity: { 1: 'pass', 2: 'warning', 3: 'warning' },
  reason:
    'Two servers of the same model behave alike under load and failure, which lockstep relies on; different models often differ in firmware and devices.',
  remedy:
    'Prefer two servers of the same make and model; if that is not possible, match their processors, memory and firmware settings by hand.',
  fixId: null,
  passReason: 'Both servers are the same make and model.',
  check: (a, b) => {
    const text = (h: HostInventory) => shown(`${h.system.manufacturer} ${h.system.model}`.trim());
    return {
      ok:
        a.system.model === '' ||
        b.system.model === '' ||
        (a.system.manufacturer === b.system.manufacturer && a.system.model === b.system.model),
      values: [text(a), text(b)],
    };
  },
};

/** Every firmware rule, in report order. */
export const firmwareRules: RuleDef[] = [cpuVirtualization, biosVersion, systemModel];
