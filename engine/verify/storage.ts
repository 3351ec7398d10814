/** Storage rules: room for Windows and the agent, and for mirroring the VMs' disks. */
import type { HostInventory } from '../api/models';
import type { RuleDef } from './rule';
import { atEveryLevel, formatBytes } from './rule';

const GiB = 1024 ** 3;
/** Free space the agent, its logs and the next cumulative update need on C:. */
export const SYSTEM_FREE_MIN_BYTES = 20 * GiB;

const systemVolume = (h: HostInventory) => h.volumes.find((v) => v.driveLetter.toUpperCase() === 'C');
const dataVolumes = (h: HostInventory) => h.volumes.filter((v) => v.driveLetter.toUpperCase() !== 'C');

/** Enough free space on C:. */
export const systemFree: RuleDef = {
  id: 'storage.system-free',
  category: 'Storage',
  title: 'Free space on C:',
  severity: atEveryLevel('blocker'),
  reason:
    'The agent, its logs and the next cumulative update need at least 20 GB free on the system drive; a full C: stops Windows and the protection.',
  remedy:
    'Free space on C: (Disk Cleanup → Clean up system files, move data elsewhere) or extend the volume, until at least 20 GB are free.',
  fixId: null,
  passReason: 'Both system drives have at least 20 GB free.',
  check: (a, b, level) => {
    const show = (h: HostInventory) => {
      const c = systemVolume(h);
      return c ? `${formatBytes(c.freeBytes)} free of ${formatBytes(c.sizeBytes)}` : 'Unknown';
    };
    const low = (h: HostInventory) => (systemVolume(h)?.freeBytes ?? Infinity) < SYSTEM_FREE_MIN_BYTES;
    const ok = !low(a) && !low(b);
    return {
      ok,
      values: [show(a), show(b)],
      ...(level === 1 && !ok
        ? {
            reason:
              'Failover Clustering’s logs and validation reports and the next cumulative update need at least 20 GB free on the system drive; a full C: stops Windows and the cluster with it.',
          }
        : {}),
    };
  },
};

/** Each server can hold what the other stores on its data volumes. */
export const mirrorCapacity: RuleDef = {
  id: 'storage.capacity',
  category: 'Storage',
  title: 'Storage for mirroring',
  // Level 1 mirrors nothing: the VMs stay on storage both servers reach (cluster.storage).
  severity: { 1: 'pass', 2: 'blocker', 3: 'blocker' },
  reason:
    'The VMs’ disks are mirrored to the other server, so each server’s data volumes must be able to hold what the other one stores.',
  remedy:
    'Add disks to the smaller server (or extend its data volume) until its capacity exceeds what the other server uses.',
  fixId: null,
  passReason: 'Each server’s data volumes can hold the other’s data.',
  check: (a, b) => {
    const size = (h: HostInventory) => dataVolumes(h).reduce((n, v) => n + v.sizeBytes, 0);
    const used = (h: HostInventory) => dataVolumes(h).reduce((n, v) => n + v.sizeBytes - v.freeBytes, 0);
    const show = (h: HostInventory) =>
      dataVolumes(h).length === 0
        ? 'No data volume'
        : `${formatBytes(used(h))} used of ${formatBytes(size(h))}`;
    const known = a.volumes.length > 0 && b.volumes.length > 0;
    return { ok: !known || (size(a) >= used(b) && size(b) >= used(a)), values: [show(a), show(b)] };
  },
};

/** Same disk models and buses. */
export const diskLayout: RuleDef = {
  id: 'storage.disks',
  category: 'Storage',
  title: 'Disks',
  severity: { 1: 'pass', 2: 'warning', 3: 'warning' },
  reason:
    'Mirrored writes complete at the pace of the slower disk, so different disks make every protected VM as slow as the slower server.',
  remedy: 'Use the same disk models on the same controller type (NVMe, SAS, SATA) in both servers.',
  fixId: null,
  passReason: 'Both servers have the same disks on the same buses.',
  check: (a, b) => {
    const layout = (h: HostInventory) =>
      h.disks
        .map((d) => `${d.model} (${d.busType}, ${formatBytes(d.sizeBytes)})`)
        .sort()
        .join('; ');
    const [x, y] = [layout(a), layout(b)];
    return { ok: x === '' || y === '' || x === y, values: [x || 'Unknown', y || 'Unknown'] };
  },
};

/** Every storage rule, in report order. */
export const storageRules: RuleDef[] = [systemFree, mirrorCapacity, diskLayout];
