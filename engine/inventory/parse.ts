/**
 * Turns the raw output of get-inventory.ps1 and get-identity.ps1 (PowerShell 5.1 shapes, see
 * ps-json.ts) into Twinlock's models. Names stay exactly as Windows reports them (`psString`);
 * only descriptive WMI texts, which WMI pads, are trimmed (`psText`). A missing or failed section yields neutral values, never an
 * exception: one unreadable WMI class must not stop the comparison of everything else.
 */
import type { Disk, Hotfix, HostInventory, Nic, Route, UpdateFile, Vm, Volume } from '../api/models';
import {
  isObject,
  isSectionError,
  psArray,
  psBool,
  psDate,
  psNumber,
  psObject,
  psString,
  psText,
} from './ps-json';

/** Who a server says it is (get-identity). */
export interface HostIdentity {
  computerName: string;
  domain: string;
  osCaption: string;
  osBuild: number;
  /** True only for an elevated administrator token. */
  isAdmin: boolean;
}

/** Hyper-V's VMState enum, which ConvertTo-Json prints as a number. */
const VM_STATES: Record<number, string> = {
  1: 'Other',
  2: 'Running',
  3: 'Off',
  4: 'Stopping',
  6: 'Saved',
  9: 'Paused',
  10: 'Starting',
  11: 'Reset',
  32773: 'Saving',
  32776: 'Pausing',
  32777: 'Resuming',
  32779: 'FastSaved',
  32780: 'FastSaving',
};

/** The script's data, whether given bare or inside the bootstrap's `{ok, data}` envelope. */
function unwrap(raw: unknown): Record<string, unknown> {
  if (isObject(raw) && raw.ok === true && 'data' in raw) return psObject(raw.data);
  return psObject(raw);
}

/** Family, model and stepping from "Intel64 Family 6 Model 106 Stepping 6", or from ProcessorId. */
function cpuIdentity(cpu: Record<string, unknown>): { family: number; model: number; stepping: number } {
  for (const text of [cpu.Caption, cpu.Description]) {
    const m = /Family\s+(\d+)\s+Model\s+(\d+)\s+Stepping\s+(\d+)/i.exec(psText(text));
    if (m) return { family: Number(m[1]), model: Number(m[2]), stepping: Number(m[3]) };
  }
  // ProcessorId ends with the CPUID signature (EAX of leaf 1) in hex.
  const id = psText(cpu.ProcessorId);
  if (/^[0-9A-F]{16}$/i.test(id)) {
    const sig = parseInt(id.slice(8), 16);
    const baseFamily = (sig >> 8) & 0xf;
    const family = baseFamily === 0xf ? baseFamily + ((sig >> 20) & 0xff) : baseFamily;
    const baseModel = (sig >> 4) & 0xf;
    const model =
      baseFamily === 0x6 || baseFamily === 0xf ? (((sig >> 16) & 0xf) << 4) | baseModel : baseModel;
    return { family, model, stepping: sig & 0xf };
  }
  return { family: 0, model: 0, stepping: 0 };
}

/** Link speed in Mbit/s from Speed (bit/s) or the LinkSpeed text ("25 Gbps"). */
function linkSpeedMbps(adapter: Record<string, unknown>): number {
  const bits = psNumber(adapter.Speed, -1);
  // Disconnected adapters may report a huge placeholder speed; only Up links count.
  if (psString(adapter.Status) !== '' && psString(adapter.Status) !== 'Up') return 0;
  if (bits >= 0) return Math.round(bits / 1_000_000);
  const m = /^([\d.]+)\s*([KMG]?)bps$/i.exec(psString(adapter.LinkSpeed));
  if (!m) return 0;
  const unit = { '': 1e-6, K: 1e-3, M: 1, G: 1000 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G'];
  return Math.round(Number(m[1]) * unit);
}

/**
 * Default routes: version 2 of get-inventory read only those (no DestinationPrefix); version 3
 * reads the whole table.
 */
function defaultRoutes(data: Record<string, unknown>): Array<Record<string, unknown>> {
  return psArray(data.routes).filter((r) => {
    const prefix = psString(r.DestinationPrefix);
    return prefix === '' || prefix === '0.0.0.0/0';
  });
}

/** The routing table, when the inventory read it (version 3 and later); undefined otherwise. */
function routeTable(data: Record<string, unknown>): Route[] | undefined {
  const raw = psArray(data.routes);
  if (!raw.some((r) => psString(r.DestinationPrefix) !== '')) return undefined;
  return raw
    .map((r) => ({
      destinationPrefix: psString(r.DestinationPrefix),
      nextHop: psString(r.NextHop),
      interfaceAlias: psString(r.InterfaceAlias),
    }))
    .filter((r) => r.destinationPrefix !== '');
}

function nics(data: Record<string, unknown>): Nic[] {
  const addresses = psArray(data.addresses);
  const routes = defaultRoutes(data);
  return psArray(data.adapters).map((a) => {
    const name = psString(a.Name);
    const index = psNumber(a.ifIndex, -1);
    const route = routes.find(
      (r) => psString(r.InterfaceAlias) === name || (index >= 0 && psNumber(r.InterfaceIndex, -2) === index),
    );
    return {
      driverVersion: psString(a.DriverVersion),
      gateway: route ? psString(route.NextHop) : '',
      name,
      description: psText(a.InterfaceDescription),
      linkSpeedMbps: linkSpeedMbps(a),
      status: psString(a.Status, 'Unknown'),
      mac: psString(a.MacAddress),
      ipv4: addresses
        .filter(
          (ip) =>
            psString(ip.InterfaceAlias) === name || (index >= 0 && psNumber(ip.InterfaceIndex, -2) === index),
        )
        .map((ip) => psString(ip.IPAddress))
        .filter((ip) => ip !== ''),
    };
  });
}

function vms(data: Record<string, unknown>): Vm[] {
  return psArray(data.vms).map((vm) => {
    const state =
      typeof vm.State === 'number'
        ? (VM_STATES[vm.State] ?? `State ${vm.State}`)
        : psString(vm.State, 'Unknown');
    const assigned = psNumber(vm.MemoryAssigned);
    return {
      name: psString(vm.Name),
      state,
      memoryBytes: assigned > 0 ? assigned : psNumber(vm.MemoryStartup),
    };
  });
}

function featureInstalled(data: Record<string, unknown>, name: string): boolean {
  const feature = psArray(data.features).find((f) => psString(f.Name).toLowerCase() === name.toLowerCase());
  if (!feature) return false;
  if (feature.Installed !== undefined && feature.Installed !== null) return psBool(feature.Installed);
  // InstallState: 1 is Installed (0 Available, 2 Removed).
  return feature.InstallState === 1 || psString(feature.InstallState) === 'Installed';
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** MSFT_PhysicalDisk's BusType enum, which ConvertTo-Json prints as a number. */
const BUS_TYPES: Record<number, string> = {
  0: 'Unknown',
  1: 'SCSI',
  2: 'ATAPI',
  3: 'ATA',
  4: '1394',
  5: 'SSA',
  6: 'Fibre Channel',
  7: 'USB',
  8: 'RAID',
  9: 'iSCSI',
  10: 'SAS',
  11: 'SATA',
  12: 'SD',
  13: 'MMC',
  14: 'Virtual',
  15: 'File Backed Virtual',
  16: 'Storage Spaces',
  17: 'NVMe',
};
/** MSFT_PhysicalDisk's MediaType enum. */
const MEDIA_TYPES: Record<number, string> = { 0: 'Unspecified', 3: 'HDD', 4: 'SSD', 5: 'SCM' };

/** An enum printed as its number (or, by a newer PowerShell, its name). */
function psEnum(value: unknown, names: Record<number, string>, fallback = 'Unknown'): string {
  if (typeof value === 'number') return names[value] ?? `${fallback} (${value})`;
  return psString(value, fallback) || fallback;
}

/**
 * The microcode revision from the registry's REG_BINARY 'Update Revision' (8 bytes; Intel keeps
 * the revision in the high four, little-endian), or from a number or hex text.
 */
function microcode(value: unknown): string {
  let revision = 0;
  if (Array.isArray(value)) {
    const bytes = value.map((b) => psNumber(b) & 0xff);
    const dword = (at: number) =>
      (bytes[at] ?? 0) +
      (bytes[at + 1] ?? 0) * 0x100 +
      (bytes[at + 2] ?? 0) * 0x10000 +
      (bytes[at + 3] ?? 0) * 0x1000000;
    revision = dword(4) || dword(0);
  } else if (typeof value === 'string' && /^(0x)?[0-9a-f]+$/i.test(value.trim())) {
    revision = parseInt(value.trim().replace(/^0x/i, ''), 16);
  } else {
    revision = psNumber(value);
  }
  return revision > 0 ? `0x${revision.toString(16).toUpperCase()}` : '';
}

function hotfixes(data: Record<string, unknown>): Hotfix[] {
  return psArray(data.hotfixes)
    .map((h) => ({
      id: psString(h.HotFixID).toUpperCase(),
      description: psText(h.Description),
      installedOn: psDate(h.InstalledOn)?.slice(0, 10) ?? '',
    }))
    .filter((h) => h.id !== '');
}

function updateFiles(data: Record<string, unknown>): UpdateFile[] {
  return psArray(data.updateFiles).flatMap((f) => {
    const path = psString(f.FullName);
    const kb = /kb(\d{6,8})/i.exec(psString(f.Name) || path);
    return path && kb ? [{ path, kb: `KB${kb[1]}` }] : [];
  });
}

function disks(data: Record<string, unknown>): Disk[] {
  return psArray(data.disks).map((d, i) => ({
    number: psNumber(d.DeviceId, i),
    model: psText(d.Model) || psText(d.FriendlyName),
    sizeBytes: psNumber(d.Size),
    busType: psEnum(d.BusType, BUS_TYPES),
    mediaType: psEnum(d.MediaType, MEDIA_TYPES, 'Unspecified'),
  }));
}

function volumes(data: Record<string, unknown>): Volume[] {
  return psArray(data.volumes).map((v) => ({
    // DriveLetter is a [char]: a one-letter string, or its code point from some serializers.
    driveLetter:
      typeof v.DriveLetter === 'number' && v.DriveLetter > 0
        ? String.fromCharCode(v.DriveLetter)
        : psString(v.DriveLetter),
    label: psString(v.FileSystemLabel),
    fileSystem: psString(v.FileSystem),
    sizeBytes: psNumber(v.Size),
    freeBytes: psNumber(v.SizeRemaining),
  }));
}

function firewall(data: Record<string, unknown>): HostInventory['firewall'] {
  const ports = new Set<number>();
  for (const rule of psArray(data.agentFirewall)) {
    if (psString(rule.Direction, 'Inbound') !== 'Inbound' || psString(rule.Action, 'Allow') !== 'Allow')
      continue;
    const raw = rule.LocalPort;
    for (const p of Array.isArray(raw) ? raw : [raw]) {
      const n = psNumber(p, -1);
      if (n > 0) ports.add(n);
    }
  }
  return {
    // GpoBoolean: 0 False, 1 True, 2 NotConfigured (the default, which is on).
    profiles: psArray(data.firewall).map((f) => ({
      name: psString(f.Name),
      enabled: f.Enabled === 0 ? false : psString(f.Enabled) === 'False' ? false : true,
    })),
    agentPorts: [...ports].sort((a, b) => a - b),
  };
}

function pendingReboot(data: Record<string, unknown>): HostInventory['pendingReboot'] {
  const pr = psObject(data.pendingReboot);
  const reasons = [
    psBool(pr.componentBasedServicing) ? 'Component Based Servicing' : '',
    psBool(pr.windowsUpdate) ? 'Windows Update' : '',
    psBool(pr.fileRename) ? 'File rename' : '',
  ].filter((r) => r !== '');
  return { pending: reasons.length > 0, reasons };
}

function powerPlan(data: Record<string, unknown>): HostInventory['powerPlan'] {
  const plan = psObject(data.powerPlan);
  const guid = /\{([0-9a-f-]{36})\}/i.exec(psString(plan.InstanceID))?.[1]?.toLowerCase() ?? '';
  return { name: psString(plan.ElementName), guid };
}

/** The names of the inventory sections the server could not read, with its messages. */
export function inventorySectionErrors(raw: unknown): Record<string, string> {
  const data = unwrap(raw);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(data)) if (isSectionError(value)) out[key] = value.error;
  return out;
}

/** Parses get-inventory's output into a {@link HostInventory}; never throws. */
export function parseInventory(raw: unknown): HostInventory {
  const data = unwrap(raw);
  const cpus = psArray(data.processor);
  const cpuRegistry = psObject(data.cpuRegistry);
  const bios = psObject(data.bios);
  const regional = psObject(data.regional);
  const cpu = cpus[0] ?? {};
  const cs = psObject(data.computerSystem);
  const os = psObject(data.os);
  const cv = psObject(data.currentVersion);
  const memory = psObject(data.memory);
  const hypervisorPresent = psBool(cs.HypervisorPresent);
  const sum = (key: string): number => cpus.reduce((n, c) => n + psNumber(c[key]), 0);
  const routes = routeTable(data);
  const agentVersions = psArray(data.agent)
    .map((p) => psString(p.DisplayVersion))
    .filter((v) => v !== '')
    .sort(compareVersions);

  return {
    computerName: psString(data.computerName),
    domain: psString(cs.Domain),
    collectedAt: psDate(data.collectedAtUtc) ?? psDate(os.LocalDateTime) ?? '',
    processor: {
      vendor: psText(cpu.Manufacturer),
      name: psText(cpu.Name),
      ...cpuIdentity(cpu),
      sockets: psNumber(cs.NumberOfProcessors, cpus.length),
      cores: sum('NumberOfCores'),
      threads: sum('NumberOfLogicalProcessors') || psNumber(cs.NumberOfLogicalProcessors),
      maxClockMhz: psNumber(cpu.MaxClockSpeed),
      // A running hypervisor hides both flags from WMI, yet proves they are on.
      virtualizationEnabled: cpus.some((c) => psBool(c.VirtualizationFirmwareEnabled)) || hypervisorPresent,
      slat: cpus.some((c) => psBool(c.SecondLevelAddressTranslationExtensions)) || hypervisorPresent,
      hypervisorPresent,
      microcode: microcode(cpuRegistry['Update Revision']),
    },
    memory: {
      totalBytes: psNumber(memory.capacityBytes) || psNumber(cs.TotalPhysicalMemory),
      modules: psNumber(memory.modules),
      speedMhz: psNumber(memory.speedMhz),
    },
    os: {
      caption: psText(os.Caption) || (psText(cv.ProductName) ? `Microsoft ${psText(cv.ProductName)}` : ''),
      build: psNumber(os.BuildNumber) || psNumber(cv.CurrentBuild),
      ubr: psNumber(cv.UBR),
      installationType: psString(cv.InstallationType),
      editionId: psString(cv.EditionID),
      locale: psString(regional.systemLocale),
      timeZone: psString(regional.timeZone),
      lastBootAt: psDate(os.LastBootUpTime) ?? '',
    },
    roles: {
      hyperV: featureInstalled(data, 'Hyper-V'),
      failoverClustering: featureInstalled(data, 'Failover-Clustering'),
    },
    nics: nics(data),
    ...(routes ? { routes } : {}),
    vms: vms(data),
    agentVersion: agentVersions[agentVersions.length - 1] ?? null,
    partOfDomain: psBool(cs.PartOfDomain),
    system: {
      manufacturer: psText(cs.Manufacturer),
      model: psText(cs.Model),
      serial: psText(bios.SerialNumber),
    },
    bios: {
      vendor: psText(bios.Manufacturer),
      version: psText(bios.SMBIOSBIOSVersion),
      releaseDate: psDate(bios.ReleaseDate)?.slice(0, 10) ?? '',
    },
    hotfixes: hotfixes(data),
    updateFiles: updateFiles(data),
    disks: disks(data),
    volumes: volumes(data),
    clockOffsetSeconds: null,
    pendingReboot: pendingReboot(data),
    firewall: firewall(data),
    powerPlan: powerPlan(data),
    sectionErrors: inventorySectionErrors(raw),
  };
}

/** Parses get-identity's output; never throws (unknown fields read as empty, isAdmin as false). */
export function parseIdentity(raw: unknown): HostIdentity {
  const data = unwrap(raw);
  return {
    computerName: psString(data.computerName),
    domain: psString(data.domain),
    osCaption: psText(data.osCaption),
    osBuild: psNumber(data.osBuild),
    isAdmin: data.isAdmin === true || psString(data.isAdmin).toLowerCase() === 'true',
  };
}

/** Seconds the server's clock is ahead of this one, from a reading taken between `sentAt` and `receivedAt`. */
export function clockOffset(inv: HostInventory, sentAt: number, receivedAt: number): HostInventory {
  const server = Date.parse(inv.collectedAt);
  if (Number.isNaN(server)) return inv;
  const offset = (server - (sentAt + receivedAt) / 2) / 1000;
  return { ...inv, clockOffsetSeconds: Math.round(offset * 10) / 10 };
}
