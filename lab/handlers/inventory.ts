/** get-inventory.ps1, section by section, in the shapes Windows PowerShell 5.1 prints. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { LabHost } from '../host';
import { pipelineOutput, psDate } from '../powershell-shapes';
import { AGENT_FIREWALL_GROUP, VM_STATE_NUMBER } from '../state';
import { clusterFeatureAvailable } from './cluster-feature';
import type { ScriptHandler } from './types';

/** The inventory's sections, in the order the script reads them. */
export const INVENTORY_SECTIONS = [
  'processor',
  'cpuRegistry',
  'computerSystem',
  'bios',
  'memory',
  'os',
  'currentVersion',
  'regional',
  'hotfixes',
  'updateFiles',
  'features',
  'adapters',
  'addresses',
  'routes',
  'disks',
  'volumes',
  'vms',
  'pendingReboot',
  'firewall',
  'agentFirewall',
  'powerPlan',
  'agent',
] as const;
export type InventorySection = (typeof INVENTORY_SECTIONS)[number];

const GiB = 1024 ** 3;

/** Where staged update packages live on a server (as get-inventory.ps1 looks for them). */
export const UPDATES_DIR = 'C:\\ProgramData\\Twinlock\\updates';

/** The .msu files in the updates folder (only that folder is read: the drive may hold large packages). */
function stagedUpdates(host: LabHost): Array<{ path: string; name: string; size: number }> {
  const dir = host.localPath(UPDATES_DIR);
  if (!dir || !existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.toLowerCase().endsWith('.msu'))
    .map((e) => ({ path: `${UPDATES_DIR}\\${e.name}`, name: e.name, size: statSync(join(dir, e.name)).size }))
    .sort((x, y) => x.name.localeCompare(y.name));
}

/** Power plan GUIDs Windows ships with. */
export const POWER_PLANS: Record<string, string> = {
  Balanced: '381b4222-f694-41f0-9685-ff5bb260df2e',
  'High performance': '8c5e7fda-e8bf-4a96-9a85-a6e23a8c635c',
  'Power saver': 'a1841308-3541-4fab-bc81-f71556f20b4a',
};

/** MSFT_PhysicalDisk BusType and MediaType numbers, as ConvertTo-Json prints the enums. */
const BUS_TYPE: Record<string, number> = {
  SCSI: 1,
  ATA: 3,
  'Fibre Channel': 6,
  USB: 7,
  RAID: 8,
  iSCSI: 9,
  SAS: 10,
  SATA: 11,
  NVMe: 17,
};
const MEDIA_TYPE: Record<string, number> = { Unspecified: 0, HDD: 3, SSD: 4 };

/** REG_BINARY 'Update Revision' of an Intel processor: the revision sits in the high four bytes. */
function updateRevisionBytes(revision: number): number[] {
  const bytes = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) bytes.push((revision >>> (8 * i)) & 0xff);
  return bytes;
}

function dateMs(isoDate: string): number {
  return Date.parse(`${isoDate}T00:00:00Z`);
}

function networkNumber(address: string, prefixLength: number): number {
  const n = address.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
  const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
  return (n & mask) >>> 0;
}

function dotted(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 0xff).join('.');
}

/** The network address of an IPv4 address with its prefix, e.g. 10.10.1.21/24 → 10.10.1.0. */
function networkOf(address: string, prefixLength: number): string {
  return dotted(networkNumber(address, prefixLength));
}

/** The address `<network>.1` of an IPv4 address with its prefix (the usual gateway). */
function firstHost(address: string, prefixLength: number): string {
  return dotted(networkNumber(address, prefixLength) + 1);
}

/** Gateways by adapter index: the profile's, or `<network>.1` on the first addressed adapter when it names none. */
function gateways(host: LabHost): Map<number, string> {
  const out = new Map<number, string>();
  const nics = host.profile.nics;
  nics.forEach((nic, i) => {
    if (nic.gateway) out.set(i, nic.gateway);
  });
  if (out.size === 0) {
    const i = nics.findIndex((nic) => nic.status === 'Up' && nic.ipv4.length > 0);
    const ip = nics[i]?.ipv4[0];
    if (ip) out.set(i, firstHost(ip.address, ip.prefixLength));
  }
  return out;
}

/** A Dell-style seven-character service tag, stable per computer name. */
function serialOf(name: string): string {
  let h = 7;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h.toString(36).toUpperCase().padStart(7, '0').slice(-7);
}

function cpuSignature(family: number, model: number, stepping: number): string {
  const baseFamily = Math.min(family, 15);
  const extFamily = family > 15 ? family - 15 : 0;
  const sig = (extFamily << 20) | ((model >> 4) << 16) | (baseFamily << 8) | ((model & 0xf) << 4) | stepping;
  return sig.toString(16).toUpperCase().padStart(8, '0');
}

function linkSpeedText(mbps: number): string {
  if (mbps === 0) return '0 bps';
  return mbps >= 1000 ? `${mbps / 1000} Gbps` : `${mbps} Mbps`;
}

function sections(host: LabHost): Record<InventorySection, () => unknown> {
  const p = host.profile;
  const cpu = p.processor;
  // A running hypervisor hides VT-x and SLAT from WMI: both flags read False under Hyper-V.
  const hypervisor = p.roles.hyperV;
  const arch = cpu.manufacturer === 'AuthenticAMD' ? 'AMD64' : 'Intel64';
  const caption = `${arch} Family ${cpu.family} Model ${cpu.model} Stepping ${cpu.stepping}`;
  const idPrefix = cpu.manufacturer === 'AuthenticAMD' ? '178BFBFF' : 'BFEBFBFF';
  return {
    processor: () =>
      pipelineOutput(
        Array.from({ length: cpu.sockets }, (_, i) => ({
          Manufacturer: cpu.manufacturer,
          Name: cpu.name,
          Caption: caption,
          Description: caption,
          Family: cpu.wmiFamily,
          NumberOfCores: cpu.coresPerSocket,
          NumberOfLogicalProcessors: cpu.threadsPerSocket,
          MaxClockSpeed: cpu.maxClockMhz,
          VirtualizationFirmwareEnabled: hypervisor ? false : cpu.virtualizationFirmwareEnabled,
          SecondLevelAddressTranslationExtensions: hypervisor ? false : cpu.slat,
          ProcessorId: `${idPrefix}${cpuSignature(cpu.family, cpu.model, cpu.stepping)}`,
          SocketDesignation: `CPU${i + 1}`,
        })),
      ),
    cpuRegistry: () => ({
      'Update Revision': updateRevisionBytes(cpu.microcode),
      VendorIdentifier: cpu.manufacturer,
      Identifier: caption,
      ProcessorNameString: cpu.name,
      '~MHz': cpu.maxClockMhz,
    }),
    bios: () => ({
      Manufacturer: p.bios.vendor,
      SMBIOSBIOSVersion: p.bios.version,
      ReleaseDate: psDate(dateMs(p.bios.releaseDate)),
      SerialNumber: p.system.serial ?? serialOf(p.computerName),
    }),
    regional: () => ({ systemLocale: p.os.locale, timeZone: p.os.timeZone }),
    hotfixes: () =>
      pipelineOutput(
        p.hotfixes.map((h) => ({
          HotFixID: h.id,
          Description: h.description,
          // InstalledOn is a ScriptProperty: Select-Object keeps its DateTime with extended properties.
          InstalledOn: {
            value: psDate(dateMs(h.installedOn)),
            DateTime: new Date(dateMs(h.installedOn)).toUTCString(),
          },
        })),
      ),
    updateFiles: () =>
      pipelineOutput(stagedUpdates(host).map((f) => ({ FullName: f.path, Name: f.name, Length: f.size }))),
    routes: () => {
      // Get-NetRoute -AddressFamily IPv4: per adapter its default route (when it has a gateway),
      // the on-link subnet and host route of each address, and the profile's static routes; then loopback.
      const gw = gateways(host);
      const rows: Array<Record<string, unknown>> = [];
      const row = (i: number, destinationPrefix: string, nextHop: string, metric: number) =>
        rows.push({
          DestinationPrefix: destinationPrefix,
          InterfaceAlias: p.nics[i]!.name,
          InterfaceIndex: 4 + i * 3,
          NextHop: nextHop,
          RouteMetric: metric,
        });
      p.nics.forEach((nic, i) => {
        const nextHop = gw.get(i);
        if (nextHop) row(i, '0.0.0.0/0', nextHop, 0);
        for (const ip of nic.ipv4) {
          row(i, `${networkOf(ip.address, ip.prefixLength)}/${ip.prefixLength}`, '0.0.0.0', 256);
          row(i, `${ip.address}/32`, '0.0.0.0', 256);
        }
        for (const r of nic.routes) row(i, r.destinationPrefix, r.nextHop, 256);
      });
      rows.push({
        DestinationPrefix: '127.0.0.0/8',
        InterfaceAlias: 'Loopback Pseudo-Interface 1',
        InterfaceIndex: 1,
        NextHop: '0.0.0.0',
        RouteMetric: 256,
      });
      return pipelineOutput(rows);
    },
    disks: () =>
      pipelineOutput(
        p.disks.map((d, i) => ({
          DeviceId: String(i),
          FriendlyName: d.model,
          Model: d.model,
          Size: d.sizeGiB * GiB,
          BusType: BUS_TYPE[d.busType] ?? 0,
          MediaType: MEDIA_TYPE[d.mediaType] ?? 0,
        })),
      ),
    volumes: () =>
      pipelineOutput(
        p.volumes.map((v) => ({
          DriveLetter: v.letter === '' ? null : v.letter,
          FileSystemLabel: v.label,
          FileSystem: v.fileSystem,
          Size: v.sizeGiB * GiB,
          SizeRemaining: v.freeGiB * GiB,
        })),
      ),
    pendingReboot: () => ({
      componentBasedServicing: host.pendingReboot,
      windowsUpdate: false,
      fileRename: false,
    }),
    firewall: () =>
      (['Domain', 'Private', 'Public'] as const).map((name) => ({
        Name: name,
        // GpoBoolean: 1 True, 0 False. DefaultInboundAction: 4 Block.
        Enabled: p.firewall[name.toLowerCase() as 'domain' | 'private' | 'public'] ? 1 : 0,
        DefaultInboundAction: 4,
      })),
    agentFirewall: () =>
      pipelineOutput(
        host.firewallRules
          .filter((r) => r.group === AGENT_FIREWALL_GROUP && r.enabled)
          .map((r) => ({
            Name: r.name,
            Direction: r.direction,
            Action: r.action,
            LocalPort: r.localPorts.map(String),
          })),
      ),
    powerPlan: () => ({
      ElementName: p.powerPlan,
      InstanceID: `Microsoft:PowerPlan\\{${POWER_PLANS[p.powerPlan]}}`,
    }),
    computerSystem: () => ({
      Domain: p.domain,
      PartOfDomain: p.partOfDomain,
      Manufacturer: p.system.manufacturer,
      Model: p.system.model,
      NumberOfProcessors: cpu.sockets,
      NumberOfLogicalProcessors: cpu.sockets * cpu.threadsPerSocket,
      TotalPhysicalMemory: p.memory.totalGiB * GiB - p.memory.reservedMiB * 1024 ** 2,
      HypervisorPresent: hypervisor,
    }),
    memory: () => ({
      modules: p.memory.modules,
      capacityBytes: p.memory.totalGiB * GiB,
      speedMhz: p.memory.speedMhz,
    }),
    os: () => ({
      Caption: p.os.caption,
      Version: p.os.version,
      BuildNumber: String(p.os.build),
      OSArchitecture: p.os.architecture,
      LastBootUpTime: psDate(host.bootedAt + host.faults.clockSkewSeconds * 1000),
      LocalDateTime: psDate(host.now()),
    }),
    currentVersion: () => ({
      ProductName: p.os.caption.replace(/^Microsoft /, ''),
      EditionID: p.os.editionId,
      InstallationType: p.os.installationType,
      CurrentBuild: String(p.os.build),
      UBR: p.os.ubr,
      DisplayVersion: p.os.displayVersion,
    }),
    features: () =>
      pipelineOutput([
        // InstallState: 0 Available, 1 Installed.
        {
          Name: 'Hyper-V',
          DisplayName: 'Hyper-V',
          Installed: p.roles.hyperV,
          InstallState: p.roles.hyperV ? 1 : 0,
        },
        // An edition without the feature does not list it (Get-WindowsFeature -Name skips an unknown name).
        ...(clusterFeatureAvailable(p)
          ? [
              {
                Name: 'Failover-Clustering',
                DisplayName: 'Failover Clustering',
                Installed: p.roles.failoverClustering,
                InstallState: p.roles.failoverClustering ? 1 : 0,
              },
            ]
          : []),
      ]),
    adapters: () =>
      pipelineOutput(
        p.nics.map((nic, i) => {
          const mbps = nic.status === 'Up' ? nic.speedMbps : 0;
          return {
            Name: nic.name,
            InterfaceDescription: nic.description,
            ifIndex: 4 + i * 3,
            Status: nic.status,
            LinkSpeed: linkSpeedText(mbps),
            Speed: mbps * 1_000_000,
            MacAddress: nic.mac,
            // MediaConnectState: 1 Connected, 2 Disconnected.
            MediaConnectionState: nic.status === 'Up' ? 1 : 2,
            DriverVersion: nic.driverVersion,
          };
        }),
      ),
    addresses: () =>
      pipelineOutput([
        ...p.nics.flatMap((nic, i) =>
          nic.ipv4.map((ip) => ({
            InterfaceAlias: nic.name,
            InterfaceIndex: 4 + i * 3,
            IPAddress: ip.address,
            PrefixLength: ip.prefixLength,
            // PrefixOrigin: 1 Manual, 2 WellKnown.
            PrefixOrigin: 1,
          })),
        ),
        {
          InterfaceAlias: 'Loopback Pseudo-Interface 1',
          InterfaceIndex: 1,
          IPAddress: '127.0.0.1',
          PrefixLength: 8,
          PrefixOrigin: 2,
        },
      ]),
    vms: () =>
      hypervisor
        ? pipelineOutput(
            host.vms.map((vm) => ({
              Name: vm.name,
              State: VM_STATE_NUMBER[host.vmState(vm.name) ?? vm.state],
              MemoryStartup: vm.memoryBytes,
              MemoryAssigned: (host.vmState(vm.name) ?? vm.state) === 'Running' ? vm.memoryBytes : 0,
              ProcessorCount: vm.processorCount,
              Generation: vm.generation,
            })),
          )
        : null,
    agent: () =>
      pipelineOutput(
        host
          .installedProducts()
          .filter((prod) => /^Twinlock.*Agent/.test(prod.name))
          .map((prod) => ({
            DisplayName: prod.name,
            DisplayVersion: prod.version,
            PSChildName: prod.productCode,
            Publisher: prod.publisher,
          })),
      ),
  };
}

export const getInventory: ScriptHandler = ({ host }) => {
  const readers = sections(host);
  const out: Record<string, unknown> = { computerName: host.name, collectedAtUtc: psDate(host.now()) };
  for (const section of INVENTORY_SECTIONS) {
    const failure = host.faults.inventoryErrors[section];
    out[section] = failure ? { error: failure } : readers[section]();
  }
  return out;
};
