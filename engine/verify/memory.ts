/** Memory rules: lockstep mirrors memory page for page, so both servers need the same amount. */
import type { HostInventory } from '../api/models';
import type { RuleDef } from './rule';
import { atEveryLevel, formatBytes } from './rule';

/**
 * Firmware reserves slightly different amounts on otherwise identical servers, so sizes within
 * this fraction of each other count as equal.
 */
export const MEMORY_TOLERANCE = 0.01;

/** Memory Windows itself keeps on a Hyper-V host, out of reach of VMs. */
export const HOST_RESERVE_BYTES = 8 * 1024 ** 3;

/** Installed memory within 1%. */
export const memorySize: RuleDef = {
  id: 'memory.size',
  category: 'Memory',
  title: 'Installed memory',
  // At Level 1 nothing is mirrored: whether the VMs fit after a failover is memory.vm-capacity's question.
  severity: { 1: 'pass', 2: 'blocker', 3: 'blocker' },
  reason: 'Memory is mirrored between the servers, so both must have the same amount installed (within 1%).',
  remedy:
    'Install the same memory modules in both servers, so that Task Manager shows the same total on each.',
  fixId: null,
  passReason: 'Both servers have the same amount of memory.',
  check: (a, b, level) => {
    const [x, y] = [a.memory.totalBytes, b.memory.totalBytes];
    const ok = Math.abs(x - y) <= MEMORY_TOLERANCE * Math.max(x, y);
    return {
      ok,
      values: [formatBytes(x), formatBytes(y)],
      ...(level === 1 && !ok
        ? {
            reason:
              'The servers have different amounts of memory; a failover cluster mirrors no memory, and whether every VM fits on one server is checked under Memory for the VMs.',
          }
        : {}),
    };
  },
};

/** Same number of modules. */
export const memoryModules: RuleDef = {
  id: 'memory.modules',
  category: 'Memory',
  title: 'Memory modules',
  severity: { 1: 'pass', 2: 'warning', 3: 'warning' },
  reason:
    'A different module layout changes memory bandwidth and interleaving, so the two servers run the same VMs at different speeds.',
  remedy:
    'Populate the same slots with the same modules in both servers (see the server’s memory population guide).',
  fixId: null,
  passReason: 'Both servers have the same number of memory modules.',
  check: (a, b) => ({
    ok: a.memory.modules === 0 || b.memory.modules === 0 || a.memory.modules === b.memory.modules,
    values: [`${a.memory.modules} modules`, `${b.memory.modules} modules`],
  }),
};

/** Same configured memory speed. */
export const memorySpeed: RuleDef = {
  id: 'memory.speed',
  category: 'Memory',
  title: 'Memory speed',
  severity: { 1: 'pass', 2: 'warning', 3: 'warning' },
  reason:
    'Mirrored memory runs at the pace of the slower server, so a slower memory configuration slows every protected VM.',
  remedy: 'Use modules of the same speed and set the same memory frequency in both servers’ firmware.',
  fixId: null,
  passReason: 'Memory runs at the same speed on both servers.',
  check: (a, b) => {
    const show = (h: HostInventory) => (h.memory.speedMhz > 0 ? `${h.memory.speedMhz} MT/s` : 'Unknown');
    return {
      ok: a.memory.speedMhz === 0 || b.memory.speedMhz === 0 || a.memory.speedMhz === b.memory.speedMhz,
      values: [show(a), show(b)],
    };
  },
};

const vmBytes = (h: HostInventory) => h.vms.reduce((n, vm) => n + vm.memoryBytes, 0);

/** Every VM of the pair fits in either server's memory. */
export const memoryVmCapacity: RuleDef = {
  id: 'memory.vm-capacity',
  category: 'Memory',
  title: 'Memory for the VMs',
  severity: atEveryLevel('blocker'),
  reason:
    'After a failure one server runs every protected VM, so the VMs of both servers must fit in the smaller server’s memory (leaving 8 GB for Windows).',
  remedy:
    'Add memory to the smaller server, lower the VMs’ startup memory in Hyper-V Manager, or protect fewer VMs.',
  fixId: null,
  passReason: 'Every VM of the pair fits in either server’s memory.',
  check: (a, b) => {
    const need = vmBytes(a) + vmBytes(b);
    const room = Math.min(a.memory.totalBytes, b.memory.totalBytes) - HOST_RESERVE_BYTES;
    const show = (h: HostInventory) =>
      `${formatBytes(vmBytes(h))} of VMs, ${formatBytes(h.memory.totalBytes)} installed`;
    return { ok: need === 0 || need <= room, values: [show(a), show(b)] };
  },
};

/** Every memory rule, in report order. */
export const memoryRules: RuleDef[] = [memorySize, memoryModules, memorySpeed, memoryVmCapacity];
