/** Inventory: what Twinlock reads of one server's hardware and software. */
import { z } from 'zod';

/** One network adapter. */
export const NicSchema = z.object({
  name: z.string(),
  description: z.string(),
  /** Link speed in Mbit/s (0 when down). */
  linkSpeedMbps: z.number(),
  /** `Up`, `Disconnected`, `Disabled`. */
  status: z.string(),
  mac: z.string(),
  /** IPv4 addresses bound to it. */
  ipv4: z.array(z.string()),
  /** Driver version, e.g. `22.0.9.0` ('' when unknown). */
  driverVersion: z.string().optional(),
  /** IPv4 default gateway reached through it (absent or '' when none): the business network's adapter has one. */
  gateway: z.string().optional(),
});
export type Nic = z.infer<typeof NicSchema>;

/** One IPv4 route of the server's routing table (Get-NetRoute). */
export const RouteSchema = z.object({
  /** Destination as a CIDR prefix, e.g. `0.0.0.0/0` (the default route) or `10.10.1.0/24`. */
  destinationPrefix: z.string(),
  /** Next hop; `0.0.0.0` for a subnet reached directly on the adapter (on-link). */
  nextHop: z.string(),
  /** Adapter the route goes out of (InterfaceAlias), verbatim. */
  interfaceAlias: z.string(),
});
export type Route = z.infer<typeof RouteSchema>;

/** A virtual machine on the host. */
export const VmSchema = z.object({
  name: z.string(),
  /** `Running`, `Off`, … */
  state: z.string(),
  memoryBytes: z.number(),
});
export type Vm = z.infer<typeof VmSchema>;

/** An installed update. */
export const HotfixSchema = z.object({
  /** e.g. `KB5041160`. */
  id: z.string(),
  /** `Update`, `Security Update`, … */
  description: z.string(),
  /** ISO 8601 date ('' when Windows does not know). */
  installedOn: z.string(),
});
export type Hotfix = z.infer<typeof HotfixSchema>;

/** An update package found on the server's disk. */
export const UpdateFileSchema = z.object({
  /** Windows path of the .msu file. */
  path: z.string(),
  /** The KB number its name carries, e.g. `KB5041160`. */
  kb: z.string(),
});
export type UpdateFile = z.infer<typeof UpdateFileSchema>;

/** A physical disk. */
export const DiskSchema = z.object({
  number: z.number(),
  model: z.string(),
  sizeBytes: z.number(),
  /** `NVMe`, `SAS`, `SATA`, `RAID`, `iSCSI`, … */
  busType: z.string(),
  /** `SSD`, `HDD` or `Unspecified`. */
  mediaType: z.string(),
});
export type Disk = z.infer<typeof DiskSchema>;

/** A fixed volume. */
export const VolumeSchema = z.object({
  /** `C`, or '' for a volume without a letter. */
  driveLetter: z.string(),
  label: z.string(),
  fileSystem: z.string(),
  sizeBytes: z.number(),
  freeBytes: z.number(),
});
export type Volume = z.infer<typeof VolumeSchema>;

/** What Twinlock knows about one server's hardware and software. */
export const HostInventorySchema = z.object({
  computerName: z.string(),
  /** Domain or workgroup name. */
  domain: z.string(),
  /** When the inventory was read, ISO 8601 UTC (server clock). */
  collectedAt: z.string(),
  processor: z.object({
    vendor: z.string(),
    /** Brand string, e.g. `Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz`. */
    name: z.string(),
    family: z.number(),
    model: z.number(),
    stepping: z.number(),
    sockets: z.number(),
    cores: z.number(),
    threads: z.number(),
    maxClockMhz: z.number(),
    /** VT-x/AMD-V enabled in firmware, or a hypervisor already runs (which hides the flag). */
    virtualizationEnabled: z.boolean(),
    slat: z.boolean(),
    hypervisorPresent: z.boolean(),
    /** Microcode revision loaded by firmware/Windows, e.g. `0xD0003B9` ('' when unread). */
    microcode: z.string().default(''),
  }),
  memory: z.object({
    totalBytes: z.number(),
    modules: z.number(),
    /** Configured speed of the slowest module in MT/s (0 when unread). */
    speedMhz: z.number().default(0),
  }),
  os: z.object({
    caption: z.string(),
    build: z.number(),
    /** Update build revision (the number after the build). */
    ubr: z.number(),
    /** `Server` (Desktop Experience) or `Server Core`. */
    installationType: z.string(),
    /** Edition id, e.g. `ServerDatacenter`, `ServerStandard`. */
    editionId: z.string().default(''),
    /** System locale, e.g. `en-US`. */
    locale: z.string().default(''),
    /** Windows time zone id, e.g. `W. Europe Standard Time`. */
    timeZone: z.string().default(''),
    /** Last boot, ISO 8601 UTC ('' when unread). */
    lastBootAt: z.string().default(''),
  }),
  roles: z.object({ hyperV: z.boolean(), failoverClustering: z.boolean() }),
  nics: z.array(NicSchema),
  /** The IPv4 routing table; absent in inventories read before Twinlock read it (get-inventory version 2). */
  routes: z.array(RouteSchema).optional(),
  vms: z.array(VmSchema),
  /** The lockstep agent's installed version, or null. */
  agentVersion: z.string().nullable(),
  /** True when the server is joined to the Active Directory domain in `domain`. */
  partOfDomain: z.boolean().default(false),
  /** The chassis: Win32_ComputerSystem and the BIOS serial number. */
  system: z
    .object({ manufacturer: z.string(), model: z.string(), serial: z.string() })
    .default({ manufacturer: '', model: '', serial: '' }),
  /** System firmware. */
  bios: z
    .object({
      vendor: z.string(),
      /** SMBIOSBIOSVersion, e.g. `1.10.2`. */
      version: z.string(),
      /** Release date, `YYYY-MM-DD` ('' when unread). */
      releaseDate: z.string(),
    })
    .default({ vendor: '', version: '', releaseDate: '' }),
  /** Installed updates (Get-HotFix). */
  hotfixes: z.array(HotfixSchema).default([]),
  /** Update packages (.msu) staged in `C:\ProgramData\Twinlock\updates`, which a fix can install. */
  updateFiles: z.array(UpdateFileSchema).default([]),
  disks: z.array(DiskSchema).default([]),
  volumes: z.array(VolumeSchema).default([]),
  /** Seconds the server's clock is ahead of this workstation's (null when not measured). */
  clockOffsetSeconds: z.number().nullable().default(null),
  /** A restart is pending, and why (`Component Based Servicing`, `Windows Update`, `File rename`). */
  pendingReboot: z
    .object({ pending: z.boolean(), reasons: z.array(z.string()) })
    .default({ pending: false, reasons: [] }),
  /** Windows Defender Firewall. */
  firewall: z
    .object({
      /** `Domain`, `Private`, `Public` and whether each is on. */
      profiles: z.array(z.object({ name: z.string(), enabled: z.boolean() })),
      /** TCP ports opened inbound by the `Twinlock Agent` rule group. */
      agentPorts: z.array(z.number()),
    })
    .default({ profiles: [], agentPorts: [] }),
  /** Active power plan, e.g. `High performance` and its GUID. */
  powerPlan: z.object({ name: z.string(), guid: z.string() }).default({ name: '', guid: '' }),
  /** Inventory sections the server could not read, with its message (e.g. `{ hotfixes: 'Access is denied' }`). */
  sectionErrors: z.record(z.string(), z.string()).default({}),
});
export type HostInventory = z.infer<typeof HostInventorySchema>;
