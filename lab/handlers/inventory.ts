/** get-inventory.ps1, section by section, in the shapes Windows PowerShell 5.1 prints. */
import type { LabHost } from '../host';
import { pipelineOutput, psDate } from '../powershell-shapes';
import { VM_STATE_NUMBER } from '../state';
import type { ScriptHandler } from './types';

/** The inventory's sections, in the order the script reads them. */
export const INVENTORY_SECTIONS = [
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
] as const;
export type InventorySection = (typeof INVENTORY_SECTIONS)[number];

const GiB = 1024 ** 3;

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
    memory: () => ({ modules: p.memory.modules, capacityBytes: p.memory.totalGiB * GiB }),
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
    features: () => [
      // InstallState: 0 Available, 1 Installed.
      { Name: 'Hyper-V', DisplayName: 'Hyper-V', Installed: p.roles.hyperV, InstallState: p.roles.hyperV ? 1 : 0 },
      {
        Name: 'Failover-Clustering',
        DisplayName: 'Failover Clustering',
        Installed: p.roles.failoverClustering,
        InstallState: p.roles.failoverClustering ? 1 : 0,
      },
    ],
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
        { InterfaceAlias: 'Loopback Pseudo-Interface 1', InterfaceIndex: 1, IPAddress: '127.0.0.1', PrefixLength: 8, PrefixOrigin: 2 },
      ]),
    vms: () =>
      hypervisor
        ? pipelineOutput(
            host.vms.map((vm) => ({
              Name: vm.name,
              State: VM_STATE_NUMBER[vm.state],
              MemoryStartup: vm.memoryBytes,
              MemoryAssigned: vm.state === 'Running' ? vm.memoryBytes : 0,
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
