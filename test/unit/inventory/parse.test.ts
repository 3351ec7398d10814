import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HostInventorySchema } from '../../../engine/api/models';
import { inventorySectionErrors, parseIdentity, parseInventory } from '../../../engine/inventory/parse';

const FIXTURES = join(import.meta.dirname, '../../fixtures');
const read = (path: string): unknown => JSON.parse(readFileSync(join(FIXTURES, path), 'utf8'));
const inventories = readdirSync(join(FIXTURES, 'inventory')).filter(
  (f) => f.endsWith('.json') && !f.endsWith('.expected.json'),
);

describe('parseInventory golden fixtures', () => {
  for (const file of inventories) {
    it(file, () => {
      const parsed = parseInventory(read(`inventory/${file}`));
      expect(parsed).toEqual(read(`inventory/${file.replace(/\.json$/, '.expected.json')}`));
      expect(HostInventorySchema.safeParse(parsed).success).toBe(true);
    });
  }
});

describe('parseInventory', () => {
  it('reads the matched pair host as the profile describes it', () => {
    const inv = parseInventory(read('inventory/matched-node-a.json'));
    expect(inv.processor).toMatchObject({
      family: 6,
      model: 106,
      stepping: 6,
      sockets: 2,
      cores: 64,
      threads: 128,
    });
    // WMI reports both flags False under Hyper-V; the running hypervisor proves them.
    expect(inv.processor).toMatchObject({ virtualizationEnabled: true, slat: true, hypervisorPresent: true });
    expect(inv.memory.totalBytes).toBe(512 * 1024 ** 3);
    expect(inv.os).toMatchObject({
      caption: 'Microsoft Windows Server 2022 Datacenter',
      build: 20348,
      ubr: 2762,
      installationType: 'Server',
      editionId: 'ServerDatacenter',
      locale: 'en-US',
    });
    expect(inv.processor.microcode).toBe('0xD0003B9');
    expect(inv.bios).toEqual({ vendor: 'Dell Inc.', version: '1.10.2', releaseDate: '2023-05-16' });
    expect(inv.nics[0]).toMatchObject({
      name: 'Embedded NIC 1',
      gateway: '192.168.50.1',
      driverVersion: '22.5.7.0',
    });
    expect(inv.disks.map((d) => d.busType)).toEqual(['RAID', 'NVMe']);
    expect(inv.volumes[0]).toMatchObject({ driveLetter: 'C', fileSystem: 'NTFS' });
    expect(inv.firewall.profiles.every((p) => p.enabled)).toBe(true);
    expect(inv.powerPlan.name).toBe('High performance');
    expect(inv.pendingReboot).toEqual({ pending: false, reasons: [] });
    expect(inv.nics.filter((n) => n.ipv4.some((ip) => ip.startsWith('10.10.')))).toHaveLength(2);
    expect(inv.vms.map((v) => v.state)).toEqual(['Running', 'Running', 'Off']);
    expect(inv.collectedAt).toBe('2025-11-29T14:50:12.345Z');
  });

  it('handles single objects, wrapped arrays, string numbers and date objects', () => {
    const inv = parseInventory(read('inventory/quirks.json'));
    expect(inv.collectedAt).toBe('2025-11-29T14:50:12.345Z');
    expect(inv.processor).toMatchObject({
      vendor: 'AuthenticAMD',
      name: 'AMD EPYC 7543 32-Core Processor',
      family: 25,
      model: 1,
      stepping: 1,
      cores: 32,
    });
    expect(inv.roles.hyperV).toBe(true);
    expect(inv.os.ubr).toBe(6659);
    expect(inv.memory.totalBytes).toBe(274524119040);
    expect(inv.nics[1]).toMatchObject({ status: 'Disconnected', linkSpeedMbps: 0, ipv4: [] });
    expect(inv.vms).toEqual([{ name: 'DC01', state: 'Off', memoryBytes: 4 * 1024 ** 3 }]);
    // Versions compare numerically: 3.10.0 is newer than 3.2.1.
    expect(inv.agentVersion).toBe('3.10.0');
  });

  it('reports failed sections', () => {
    expect(inventorySectionErrors(read('inventory/quirks.json'))).toEqual({ memory: 'Access denied ' });
    expect(Object.keys(inventorySectionErrors(read('inventory/sections-failed.json'))).sort()).toEqual([
      'computerSystem',
      'currentVersion',
      'features',
      'os',
      'processor',
    ]);
  });

  it('accepts the data without its envelope', () => {
    const envelope = read('inventory/matched-node-b.json') as { data: unknown };
    expect(parseInventory(envelope.data)).toEqual(parseInventory(envelope));
  });

  it('reads microcode from REG_BINARY bytes, enums as numbers, and gateways from routes', () => {
    const inv = parseInventory({
      cpuRegistry: { 'Update Revision': [0, 0, 0, 0, 0xb9, 0x03, 0x00, 0x0d] },
      disks: { DeviceId: '0', Model: 'x', Size: 10, BusType: 11, MediaType: 3 },
      volumes: { DriveLetter: 67, Size: 100, SizeRemaining: 50 },
      firewall: [
        { Name: 'Domain', Enabled: 0 },
        { Name: 'Public', Enabled: 2 },
      ],
      agentFirewall: { Name: 'r', Direction: 'Inbound', Action: 'Allow', LocalPort: '7440' },
      adapters: { Name: 'LAN', ifIndex: 4, Status: 'Up', Speed: 1e9 },
      routes: { InterfaceIndex: 4, NextHop: '10.0.0.1' },
      pendingReboot: { componentBasedServicing: 'True', windowsUpdate: false, fileRename: false },
      hotfixes: {
        HotFixID: 'kb5041160',
        Description: 'Security Update',
        InstalledOn: { value: '/Date(1723593600000)/', DateTime: 'x' },
      },
      updateFiles: {
        FullName: 'C:\\ProgramData\\Twinlock\\updates\\windows10.0-kb5041160-x64.msu',
        Name: 'windows10.0-kb5041160-x64.msu',
      },
    });
    expect(inv.processor.microcode).toBe('0xD0003B9');
    expect(inv.disks[0]).toMatchObject({ busType: 'SATA', mediaType: 'HDD' });
    expect(inv.volumes[0]!.driveLetter).toBe('C');
    expect(inv.firewall).toEqual({
      profiles: [
        { name: 'Domain', enabled: false },
        { name: 'Public', enabled: true },
      ],
      agentPorts: [7440],
    });
    expect(inv.nics[0]!.gateway).toBe('10.0.0.1');
    expect(inv.pendingReboot).toEqual({ pending: true, reasons: ['Component Based Servicing'] });
    expect(inv.hotfixes).toEqual([
      { id: 'KB5041160', description: 'Security Update', installedOn: '2024-08-14' },
    ]);
    expect(inv.updateFiles[0]!.kb).toBe('KB5041160');
  });

  it('reports failed sections in the inventory itself', () => {
    expect(parseInventory({ hotfixes: { error: 'Access is denied' } }).sectionErrors).toEqual({
      hotfixes: 'Access is denied',
    });
  });

  it('reads a processor from ProcessorId when Caption is missing', () => {
    const inv = parseInventory({ processor: { ProcessorId: 'BFEBFBFF000606A6' } });
    expect(inv.processor).toMatchObject({ family: 6, model: 106, stepping: 6 });
  });

  it('reads LinkSpeed text when Speed is absent', () => {
    const inv = parseInventory({ adapters: { Name: 'x', Status: 'Up', LinkSpeed: '2.5 Gbps' } });
    expect(inv.nics[0]!.linkSpeedMbps).toBe(2500);
  });

  it('keeps names exactly as Windows reports them, and trims only padded WMI descriptions', () => {
    const inv = parseInventory({
      processor: { Name: 'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz  ', Manufacturer: 'GenuineIntel' },
      adapters: [
        {
          Name: ' Sync 1 ',
          ifIndex: 7,
          Status: 'Up',
          Speed: 25e9,
          InterfaceDescription: 'Mellanox ConnectX-6 Dx  ',
        },
      ],
      addresses: [{ InterfaceAlias: ' Sync 1 ', IPAddress: '10.10.1.21' }],
      vms: [
        { Name: ' x ', State: 2 },
        { Name: 'x', State: 3 },
        { Name: 'SQL 01\\', State: 2 },
      ],
      updateFiles: {
        FullName: 'C:\\ProgramData\\Twinlock\\updates\\ kb5041160 .msu',
        Name: ' kb5041160 .msu',
      },
    });
    expect(inv.vms.map((v) => v.name)).toEqual([' x ', 'x', 'SQL 01\\']);
    expect(inv.nics[0]).toMatchObject({
      name: ' Sync 1 ',
      ipv4: ['10.10.1.21'],
      description: 'Mellanox ConnectX-6 Dx',
    });
    expect(inv.processor.name).toBe('Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz');
    expect(inv.updateFiles).toEqual([
      { path: 'C:\\ProgramData\\Twinlock\\updates\\ kb5041160 .msu', kb: 'KB5041160' },
    ]);
  });

  it('never throws, whatever arrives', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const inv = parseInventory(value);
        expect(HostInventorySchema.safeParse(inv).success).toBe(true);
      }),
    );
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom(
            'processor',
            'computerSystem',
            'memory',
            'os',
            'currentVersion',
            'features',
            'adapters',
            'addresses',
            'vms',
            'agent',
            'collectedAtUtc',
          ),
          fc.jsonValue(),
        ),
        (data) => {
          expect(HostInventorySchema.safeParse(parseInventory({ ok: true, data })).success).toBe(true);
        },
      ),
    );
  });
});

describe('parseIdentity', () => {
  it('reads the lab administrator', () => {
    expect(parseIdentity(read('identity/matched-node-a.json'))).toEqual({
      computerName: 'TL-NODE-A',
      domain: 'contoso.local',
      osCaption: 'Microsoft Windows Server 2022 Datacenter',
      osBuild: 20348,
      isAdmin: true,
    });
  });

  it('reads a non-elevated account', () => {
    expect(parseIdentity(read('identity/not-admin.json')).isAdmin).toBe(false);
  });

  it('defaults to not admin when the field is missing or odd', () => {
    expect(parseIdentity({}).isAdmin).toBe(false);
    expect(parseIdentity({ isAdmin: 'yes' }).isAdmin).toBe(false);
    expect(parseIdentity(null)).toEqual({
      computerName: '',
      domain: '',
      osCaption: '',
      osBuild: 0,
      isAdmin: false,
    });
  });
});

describe('parseInventory: the routing table (get-inventory version 3)', () => {
  const raw = read('inventory/matched-node-a.json') as { ok: boolean; data: Record<string, unknown> };
  const withTable = {
    ...raw,
    data: {
      ...raw.data,
      routes: [
        {
          DestinationPrefix: '192.168.50.0/24',
          InterfaceAlias: 'Embedded NIC 1',
          InterfaceIndex: 4,
          NextHop: '0.0.0.0',
          RouteMetric: 256,
        },
        {
          DestinationPrefix: '0.0.0.0/0',
          InterfaceAlias: 'Embedded NIC 1',
          InterfaceIndex: 4,
          NextHop: '192.168.50.1',
          RouteMetric: 0,
        },
        { DestinationPrefix: '172.30.0.0/29', InterfaceAlias: 'Embedded NIC 1', NextHop: '192.168.50.1' },
      ],
    },
  };

  it('keeps every route and still takes the gateway from the default route only', () => {
    const inv = parseInventory(withTable);
    expect(inv.routes).toEqual([
      { destinationPrefix: '192.168.50.0/24', nextHop: '0.0.0.0', interfaceAlias: 'Embedded NIC 1' },
      { destinationPrefix: '0.0.0.0/0', nextHop: '192.168.50.1', interfaceAlias: 'Embedded NIC 1' },
      { destinationPrefix: '172.30.0.0/29', nextHop: '192.168.50.1', interfaceAlias: 'Embedded NIC 1' },
    ]);
    expect(inv.nics.find((n) => n.name === 'Embedded NIC 1')?.gateway).toBe('192.168.50.1');
    expect(HostInventorySchema.safeParse(inv).success).toBe(true);
  });

  it('leaves routes out of an inventory that read only the default route (version 2)', () => {
    const inv = parseInventory(raw);
    expect(inv.routes).toBeUndefined();
    expect(inv.nics.find((n) => n.name === 'Embedded NIC 1')?.gateway).toBe('192.168.50.1');
  });
});
