/** A realistic Windows Server 2022 inventory, and a way to vary it field by field. */
import type { HostInventory } from '../../../engine/api/models';

/** One server of a matched pair; `overrides` replace whole sections. */
export function inventory(overrides: Partial<HostInventory> = {}, computerName = 'HV-A'): HostInventory {
  return {
    computerName,
    domain: 'CONTOSO',
    collectedAt: '2025-01-01T10:00:00.000Z',
    processor: {
      vendor: 'GenuineIntel',
      name: 'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz',
      family: 6,
      model: 106,
      stepping: 6,
      sockets: 2,
      cores: 64,
      threads: 128,
      maxClockMhz: 2000,
      virtualizationEnabled: true,
      slat: true,
      hypervisorPresent: true,
      microcode: '0xD0003B9',
    },
    memory: { totalBytes: 256 * 1024 ** 3, modules: 16, speedMhz: 3200 },
    os: {
      caption: 'Microsoft Windows Server 2022 Datacenter',
      build: 20348,
      ubr: 2762,
      installationType: 'Server',
      editionId: 'ServerDatacenter',
      locale: 'en-US',
      timeZone: 'W. Europe Standard Time',
      lastBootAt: '2024-12-29T10:00:00.000Z',
    },
    roles: { hyperV: true, failoverClustering: false },
    nics: [
      {
        name: 'Ethernet',
        description: 'Intel(R) Ethernet 10G 4P X710',
        linkSpeedMbps: 10000,
        status: 'Up',
        mac: '00-15-5D-00-01-01',
        ipv4: ['10.0.0.21'],
        gateway: '10.0.0.1',
        driverVersion: '1.13.97.0',
      },
      {
        name: 'Ethernet 2',
        description: 'Intel(R) Ethernet 25G 2P E810',
        linkSpeedMbps: 25000,
        status: 'Up',
        mac: '00-15-5D-00-01-02',
        ipv4: ['192.168.100.1'],
      },
      {
        name: 'Ethernet 3',
        description: 'Intel(R) Ethernet 25G 2P E810',
        linkSpeedMbps: 25000,
        status: 'Up',
        mac: '00-15-5D-00-01-03',
        ipv4: ['192.168.101.1'],
      },
      {
        name: 'Ethernet 4',
        description: 'Intel(R) Ethernet 10G 4P X710',
        linkSpeedMbps: 0,
        status: 'Disconnected',
        mac: '00-15-5D-00-01-04',
        ipv4: [],
      },
    ],
    vms: [
      { name: 'SQL01', state: 'Running', memoryBytes: 32 * 1024 ** 3 },
      { name: 'APP01', state: 'Running', memoryBytes: 16 * 1024 ** 3 },
    ],
    agentVersion: null,
    partOfDomain: true,
    system: { manufacturer: 'Dell Inc.', model: 'PowerEdge R750', serial: `SN-${computerName}` },
    bios: { vendor: 'Dell Inc.', version: '1.10.2', releaseDate: '2023-05-16' },
    hotfixes: [
      { id: 'KB5041160', description: 'Security Update', installedOn: '2024-08-14' },
      { id: 'KB5012170', description: 'Security Update', installedOn: '2022-08-10' },
    ],
    updateFiles: [],
    disks: [
      { number: 0, model: 'Dell BOSS-S2', sizeBytes: 447 * 1024 ** 3, busType: 'RAID', mediaType: 'SSD' },
      {
        number: 1,
        model: 'Dell Ent NVMe P5600 MU U.2 3.2TB',
        sizeBytes: 2980 * 1024 ** 3,
        busType: 'NVMe',
        mediaType: 'SSD',
      },
    ],
    volumes: [
      {
        driveLetter: 'C',
        label: '',
        fileSystem: 'NTFS',
        sizeBytes: 446 * 1024 ** 3,
        freeBytes: 371 * 1024 ** 3,
      },
      {
        driveLetter: 'D',
        label: 'VMs',
        fileSystem: 'ReFS',
        sizeBytes: 2979 * 1024 ** 3,
        freeBytes: 2410 * 1024 ** 3,
      },
    ],
    clockOffsetSeconds: 0.1,
    pendingReboot: { pending: false, reasons: [] },
    firewall: {
      profiles: [
        { name: 'Domain', enabled: true },
        { name: 'Private', enabled: true },
        { name: 'Public', enabled: true },
      ],
      agentPorts: [],
    },
    powerPlan: { name: 'High performance', guid: '8c5e7fda-e8bf-4a96-9a85-a6e23a8c635c' },
    sectionErrors: {},
    ...overrides,
  };
}

/** The matched second server: same hardware, its own name and addresses, no VMs. */
export function peerInventory(overrides: Partial<HostInventory> = {}): HostInventory {
  const base = inventory({}, 'HV-B');
  return {
    ...base,
    nics: base.nics.map((n) => ({
      ...n,
      ...(n.gateway ? { gateway: '10.0.0.1' } : {}),
      mac: n.mac.replace(/01-0(\d)$/, '02-0$1'),
      ipv4: n.ipv4.map((ip) => ip.replace(/\.(21|1)$/, (_m, last: string) => (last === '21' ? '.22' : '.2'))),
    })),
    vms: [],
    ...overrides,
  };
}
