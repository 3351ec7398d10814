/** Processor rules: lockstep replays the same instruction stream on both CPUs, so they must match. */
import type { HostInventory } from '../api/models';
import type { RuleDef } from './rule';
import { atEveryLevel, shown, where, yesNo } from './rule';

type Cpu = HostInventory['processor'];

/** Same CPU vendor (Intel vs AMD). */
export const cpuVendor: RuleDef = {
  id: 'cpu.vendor',
  category: 'Processor',
  title: 'Processor vendor',
  severity: { 1: 'warning', 2: 'blocker', 3: 'blocker' },
  reason:
    'Intel and AMD processors have different instruction sets, so a VM cannot move or be mirrored between them.',
  remedy: 'Use two servers with processors from the same vendor.',
  fixId: null,
  passReason: 'Both servers use the same processor vendor, so VMs can move between them.',
  check: (a, b, level) => ({
    ok: a.processor.vendor === b.processor.vendor,
    values: [a.processor.vendor, b.processor.vendor],
    ...(level === 1 && a.processor.vendor !== b.processor.vendor
      ? {
          reason:
            'A failover cluster restarts a failed server’s VMs on the other even across Intel and AMD, but a running VM can never live-migrate between them.',
          remedy:
            'Use two servers with processors from the same vendor if the VMs must move without a restart; failover itself works as it is.',
        }
      : {}),
  }),
};

/** Same processor model (brand string). */
export const cpuModel: RuleDef = {
  id: 'cpu.model',
  category: 'Processor',
  title: 'Processor model',
  severity: { 1: 'warning', 2: 'warning', 3: 'blocker' },
  reason:
    'Different processor models expose different features and speeds, which breaks lockstep and slows a failover.',
  remedy: 'Fit both servers with the same processor model (same brand string in System Information).',
  fixId: null,
  passReason: 'Both servers have the same processor model.',
  check: (a, b, level) => ({
    ok: a.processor.name.trim() === b.processor.name.trim(),
    values: [a.processor.name, b.processor.name],
    // A cluster restarts VMs on any model; only live migration needs the processors to look alike.
    ...(level === 1 && a.processor.name.trim() !== b.processor.name.trim()
      ? {
          reason:
            'A failover restarts the VMs on the other model without trouble, but a running VM live-migrates between different processor models only with Hyper-V’s processor compatibility turned on.',
          remedy:
            'Turn on processor compatibility for each VM that should live-migrate (with the VM off: Hyper-V Manager → Settings → Processor → Compatibility, or Set-VMProcessor -VMName <vm> -CompatibilityForMigrationEnabled $true), or fit both servers with the same model.',
        }
      : {}),
  }),
};

const signature = (p: Cpu) => `Family ${p.family}, model ${p.model}, stepping ${p.stepping}`;

/** Same family, model and stepping (the CPUID signature). */
export const cpuSignature: RuleDef = {
  id: 'cpu.signature',
  category: 'Processor',
  title: 'Processor family, model and stepping',
  severity: { 1: 'pass', 2: 'warning', 3: 'blocker' },
  reason:
    'Lockstep needs processors of the same family, model and stepping, because they must execute every instruction identically.',
  remedy:
    'Use processors from the same production batch (same stepping), or choose a lower protection level.',
  fixId: null,
  passReason: 'Both processors share the same family, model and stepping.',
  check: (a, b, level) => ({
    ok:
      a.processor.family === b.processor.family &&
      a.processor.model === b.processor.model &&
      a.processor.stepping === b.processor.stepping,
    values: [signature(a.processor), signature(b.processor)],
    ...(level === 1 && signature(a.processor) !== signature(b.processor)
      ? {
          reason:
            'The processors differ in stepping or model; failover clustering tolerates this, lockstep would not.',
        }
      : {}),
  }),
};

/** Same microcode revision. */
export const cpuMicrocode: RuleDef = {
  id: 'cpu.microcode',
  category: 'Processor',
  title: 'Processor microcode',
  severity: { 1: 'pass', 2: 'warning', 3: 'blocker' },
  reason:
    'Microcode changes how some instructions behave and which errata are worked around, so lockstep processors must run the same revision.',
  remedy:
    'Install the same BIOS/UEFI version (which carries the microcode) and the same Windows cumulative update on both servers, then restart them.',
  fixId: null,
  passReason: 'Both processors run the same microcode revision.',
  check: (a, b) => {
    const [x, y] = [a.processor.microcode, b.processor.microcode];
    return { ok: x === '' || y === '' || x === y, values: [shown(x), shown(y)] };
  },
};

/** Same number of sockets, cores and threads. */
export const cpuCores: RuleDef = {
  id: 'cpu.cores',
  category: 'Processor',
  title: 'Processor cores',
  severity: { 1: 'pass', 2: 'warning', 3: 'blocker' },
  reason:
    'A protected VM must find the same processor layout on either server, or it runs slower (or not at all) after a failover.',
  remedy:
    'Match the processor count and enable or disable hyper-threading the same way in both servers’ firmware.',
  fixId: null,
  passReason: 'Both servers have the same number of sockets, cores and threads.',
  check: (a, b, level) => {
    const shape = (p: Cpu) =>
      `${p.sockets} × ${p.cores / Math.max(p.sockets, 1)} cores, ${p.threads} threads`;
    const same =
      a.processor.sockets === b.processor.sockets &&
      a.processor.cores === b.processor.cores &&
      a.processor.threads === b.processor.threads;
    return {
      ok: same,
      values: [shape(a.processor), shape(b.processor)],
      ...(level === 1 && !same
        ? {
            reason:
              'A failed-over VM keeps its virtual processors on either server, so different core counts change only how much room the survivor has, not whether the VMs restart.',
          }
        : {}),
    };
  },
};

/** Same maximum clock. */
export const cpuClock: RuleDef = {
  id: 'cpu.clock',
  category: 'Processor',
  title: 'Processor clock speed',
  severity: { 1: 'pass', 2: 'warning', 3: 'warning' },
  reason: 'Lockstep runs at the pace of the slower processor, so a slower server slows every protected VM.',
  remedy:
    'Use processors with the same rated speed, and set the same performance profile in both servers’ firmware.',
  fixId: null,
  passReason: 'Both processors have the same maximum clock speed.',
  check: (a, b) => ({
    ok: a.processor.maxClockMhz === b.processor.maxClockMhz,
    values: [`${a.processor.maxClockMhz} MHz`, `${b.processor.maxClockMhz} MHz`],
  }),
};

/** Second Level Address Translation (EPT / RVI) on both. */
export const cpuSlat: RuleDef = {
  id: 'cpu.slat',
  category: 'Processor',
  title: 'Second Level Address Translation (SLAT)',
  severity: atEveryLevel('blocker'),
  reason: 'Hyper-V on Windows Server 2016 and later requires a processor with SLAT (Intel EPT or AMD RVI).',
  remedy:
    'Enable EPT/RVI in the firmware if it is switched off; otherwise this server’s processor cannot host protected VMs.',
  fixId: null,
  passReason: 'Both processors support SLAT, which Hyper-V requires.',
  check: (a, b) => ({
    ok: a.processor.slat && b.processor.slat,
    values: [yesNo(a.processor.slat), yesNo(b.processor.slat)],
  }),
};

/** The hypervisor runs wherever the Hyper-V role is installed. */
export const cpuHypervisor: RuleDef = {
  id: 'cpu.hypervisor',
  category: 'Processor',
  title: 'Hypervisor running',
  severity: atEveryLevel('blocker'),
  reason:
    'With the Hyper-V role installed but the hypervisor not running (a restart is missing, or it is switched off in the boot configuration), no VM can start.',
  remedy:
    'Restart the server; if the hypervisor still does not run, run `bcdedit /set hypervisorlaunchtype auto` as administrator and restart again.',
  fixId: 'restart',
  passReason: 'The hypervisor runs on every server that has the Hyper-V role.',
  check: (a, b) => {
    const bad = where(a, b, (h) => h.roles.hyperV && !h.processor.hypervisorPresent);
    const show = (h: HostInventory) =>
      h.roles.hyperV ? yesNo(h.processor.hypervisorPresent) : 'No (no Hyper-V role)';
    return { ok: bad.length === 0, values: [show(a), show(b)], fixOn: bad };
  },
};

/** Every processor rule, in report order. */
export const processorRules: RuleDef[] = [
  cpuVendor,
  cpuModel,
  cpuSignature,
  cpuMicrocode,
  cpuCores,
  cpuClock,
  cpuSlat,
  cpuHypervisor,
];
