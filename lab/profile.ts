/**
 * Lab profiles: the simulated servers' hardware and software, as JSON files in lab/profiles/.
 * A profile gives `defaults` shared by every host and a list of `hosts` that override them
 * (objects merge deeply, arrays replace), so a mismatch reads as the one field that differs.
 * lab/profiles/README.md documents every field.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { appPaths } from '../engine/app-paths';
import { LinkProfileSchema } from './links';
import type { LinkProfile } from './links';
import type { LabWitness } from './world';

const Ipv4Schema = z.object({
  address: z.ipv4(),
  prefixLength: z.number().int().min(0).max(32),
});

export const NicProfileSchema = z.object({
  /** Adapter name as Get-NetAdapter shows it, e.g. `SLOT 3 Port 1`. */
  name: z.string().min(1),
  /** InterfaceDescription, the driver's name for the adapter. */
  description: z.string(),
  /** Link speed in Mbit/s (reported as 0 when the adapter is not Up). */
  speedMbps: z.number().int().min(0),
  status: z.enum(['Up', 'Disconnected', 'Disabled']),
  /** MAC address with dashes, as Windows prints it. */
  mac: z.string().regex(/^([0-9A-F]{2}-){5}[0-9A-F]{2}$/),
  ipv4: z.array(Ipv4Schema).default([]),
  /** Default gateway through this adapter; when no adapter names one, the first addressed adapter gets `<network>.1`. */
  gateway: z.ipv4().optional(),
  /** DriverVersion as Get-NetAdapter shows it. */
  driverVersion: z.string().default('22.5.7.0'),
  /** Static routes out of this adapter (besides its default route and on-link subnets), as Get-NetRoute lists them. */
  routes: z.array(z.object({ destinationPrefix: z.cidrv4(), nextHop: z.ipv4() })).default([]),
});
export type NicProfile = z.infer<typeof NicProfileSchema>;

export const VmProfileSchema = z.object({
  name: z.string().min(1),
  state: z.enum(['Running', 'Off', 'Saved', 'Paused']),
  memoryGiB: z.number().positive(),
  processorCount: z.number().int().positive().default(4),
  generation: z.union([z.literal(1), z.literal(2)]).default(2),
});
export type VmProfile = z.infer<typeof VmProfileSchema>;

export const AccountProfileSchema = z.object({
  username: z.string().min(1),
  /** Omitted: the lab's generated shared password. */
  password: z.string().min(1).optional(),
  /** Member of Administrators (the SSH session then runs elevated). */
  admin: z.boolean().default(true),
});

export const HostProfileSchema = z.object({
  computerName: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,15}$/, 'a NetBIOS name: up to 15 letters, digits or dashes'),
  /** Domain (when partOfDomain) or workgroup name. */
  domain: z.string().default('WORKGROUP'),
  partOfDomain: z.boolean().default(false),
  /**
   * The primary DNS suffix (Tcpip\Parameters `NV Domain`); omitted: the domain of a member, none
   * in a workgroup (a workgroup cluster needs one).
   */
  dnsSuffix: z.string().optional(),
  /** Accounts that may log on; the default is Administrator with the lab's shared password. */
  accounts: z
    .array(AccountProfileSchema)
    .min(1)
    .default([{ username: 'Administrator', admin: true }]),
  os: z.object({
    caption: z.string(),
    version: z.string(),
    build: z.number().int(),
    ubr: z.number().int(),
    installationType: z.enum(['Server', 'Server Core']),
    editionId: z.string(),
    displayVersion: z.string(),
    architecture: z.string().default('64-bit'),
    locale: z.string().default('en-US'),
    timeZone: z.string().default('UTC'),
  }),
  /** Installed updates (Get-HotFix). */
  hotfixes: z
    .array(
      z.object({
        id: z.string().regex(/^KB\d+$/),
        description: z.string().default('Update'),
        installedOn: z.iso.date(),
      }),
    )
    .default([]),
  /** .msu files staged in C:\ProgramData\Twinlock\updates (file names, e.g. `windows10.0-kb5041160-x64.msu`). */
  stagedUpdates: z.array(z.string().regex(/^[\w.-]+\.msu$/)).default([]),
  disks: z
    .array(
      z.object({
        model: z.string(),
        sizeGiB: z.number().positive(),
        busType: z.string(),
        mediaType: z.enum(['SSD', 'HDD', 'Unspecified']),
        /** Get-PhysicalDisk CanPool: blank and unpartitioned, so Storage Spaces (Direct) may pool it. */
        canPool: z.boolean().default(false),
      }),
    )
    .default([
      { model: 'Dell BOSS-S2', sizeGiB: 447, busType: 'RAID', mediaType: 'SSD', canPool: false },
      {
        model: 'Dell Ent NVMe P5600 MU U.2 3.2TB',
        sizeGiB: 2980,
        busType: 'NVMe',
        mediaType: 'SSD',
        canPool: false,
      },
    ]),
  volumes: z
    .array(
      z.object({
        letter: z.string().regex(/^[A-Z]?$/),
        label: z.string(),
        fileSystem: z.string(),
        sizeGiB: z.number().positive(),
        freeGiB: z.number().min(0),
      }),
    )
    .default([
      { letter: 'C', label: '', fileSystem: 'NTFS', sizeGiB: 446, freeGiB: 371 },
      { letter: 'D', label: 'VMs', fileSystem: 'ReFS', sizeGiB: 2979, freeGiB: 2410 },
    ]),
  /** A restart is pending when the lab starts (Component Based Servicing). */
  pendingReboot: z.boolean().default(false),
  /** Windows Defender Firewall profiles switched on. */
  firewall: z
    .object({ domain: z.boolean(), private: z.boolean(), public: z.boolean() })
    .default({ domain: true, private: true, public: true }),
  powerPlan: z.enum(['Balanced', 'High performance', 'Power saver']).default('High performance'),
  system: z.object({
    manufacturer: z.string(),
    model: z.string(),
    /** Service tag / serial number (Win32_BIOS.SerialNumber); derived from the computer name when omitted. */
    serial: z.string().optional(),
  }),
  bios: z
    .object({ vendor: z.string(), version: z.string(), releaseDate: z.iso.date() })
    .default({ vendor: 'Dell Inc.', version: '1.10.2', releaseDate: '2023-05-16' }),
  processor: z.object({
    /** Win32_Processor.Manufacturer: GenuineIntel or AuthenticAMD. */
    manufacturer: z.string(),
    name: z.string(),
    family: z.number().int(),
    model: z.number().int(),
    stepping: z.number().int(),
    /** Win32_Processor.Family code (179 = Intel Xeon, 107 = AMD Zen). */
    wmiFamily: z.number().int().default(179),
    sockets: z.number().int().min(1),
    coresPerSocket: z.number().int().min(1),
    threadsPerSocket: z.number().int().min(1),
    maxClockMhz: z.number().int(),
    virtualizationFirmwareEnabled: z.boolean(),
    slat: z.boolean(),
    /** Microcode revision (registry `Update Revision`), e.g. 0xD0003B9. */
    microcode: z.number().int().min(0).default(0xd0003b9),
  }),
  memory: z.object({
    totalGiB: z.number().positive(),
    modules: z.number().int().min(1),
    /** Firmware-reserved memory that Win32_ComputerSystem.TotalPhysicalMemory leaves out. */
    reservedMiB: z.number().int().min(0).default(334),
    /** Configured module speed in MT/s. */
    speedMhz: z.number().int().positive().default(3200),
  }),
  roles: z.object({ hyperV: z.boolean(), failoverClustering: z.boolean().default(false) }),
  /**
   * Where the VMs' files are and what storage the servers share (Level 1: a failover cluster
   * restarts a VM on the other server only when that server reaches its files). By default the
   * VMs live on an SMB 3 share both servers write, and a small iSCSI disk both see can serve as a
   * disk witness.
   */
  storage: z
    .object({
      /** The folder VMs are created in (Get-VM .Path is `<vmPath>\<name>`), unless `vmPaths` names one. */
      vmPath: z.string().default('\\\\TL-FS01\\VMs'),
      /** A VM's own folder, by VM name. */
      vmPaths: z.record(z.string(), z.string()).default({}),
      /** SMB shares this server reaches, by UNC path: whether they speak SMB 3 and this server may write there. */
      shares: z
        .array(
          z.object({
            path: z.string(),
            smb3: z.boolean().default(true),
            writable: z.boolean().default(true),
          }),
        )
        .default([{ path: '\\\\TL-FS01\\VMs', smb3: true, writable: true }]),
      /** Disks on a shared bus; the same unique id on both servers is the same disk. */
      sharedDisks: z
        .array(
          z.object({
            uniqueId: z.string().regex(/^[0-9A-F]{32}$/),
            busType: z.enum(['iSCSI', 'SAS', 'Fibre Channel']),
            sizeGiB: z.number().positive(),
          }),
        )
        .default([{ uniqueId: '6000C29A1B2C3D4E5F60718293A4B5C6', busType: 'iSCSI', sizeGiB: 1 }]),
    })
    .default({
      vmPath: '\\\\TL-FS01\\VMs',
      vmPaths: {},
      shares: [{ path: '\\\\TL-FS01\\VMs', smb3: true, writable: true }],
      sharedDisks: [{ uniqueId: '6000C29A1B2C3D4E5F60718293A4B5C6', busType: 'iSCSI', sizeGiB: 1 }],
    }),
  /**
   * The server's sshd_config: `passwordAuthentication: false` (PasswordAuthentication no) lets
   * accounts log on with a key only; a password is refused as Windows OpenSSH refuses it.
   */
  ssh: z
    .object({ passwordAuthentication: z.boolean().default(true) })
    .default({ passwordAuthentication: true }),
  nics: z.array(NicProfileSchema).min(1),
  vms: z.array(VmProfileSchema).default([]),
  /** Seconds the server's clock is ahead (negative: behind). */
  clockSkewSeconds: z.number().default(0),
  /** How long ago the server booted. */
  uptimeHours: z.number().min(0).default(72),
});
export type HostProfile = z.infer<typeof HostProfileSchema>;

export const LabProfileSchema = z.object({
  name: z.string().min(1),
  description: z.string().default(''),
  /** Merged under every host. */
  defaults: z.record(z.string(), z.unknown()).default({}),
  hosts: z.array(z.record(z.string(), z.unknown())).min(1),
  /** The cables between the servers' adapters (lab/links.ts); adapters not named are wired port to port. */
  links: z.array(LinkProfileSchema).default([]),
  /**
   * The quorum witness the servers can reach: a host answering on `port`, and a file share
   * `\\host\share` (a real folder in the lab's data folder); null for none.
   */
  witness: z
    .object({
      host: z.string().regex(/^[A-Za-z0-9-]{1,15}$/, 'a NetBIOS name'),
      port: z.number().int().min(1).max(65535).default(7443),
      share: z.string().regex(/^[\w.-]+$/, 'a share name'),
    })
    .nullable()
    .default({ host: 'TL-WITNESS', port: 7443, share: 'twinlock-witness' }),
  /**
   * Failover Clustering (Level 1): how long a VM role takes to come online on the other node when
   * its node is lost (`failoverSeconds`), to come online after Add-ClusterVirtualMachineRole or a
   * graceful move (`onlineSeconds`), the pause a live migration causes, and the directory the
   * cluster's computer object goes in (names already taken by other computers, disabled objects
   * prestaged for a cluster, whether the servers' accounts may create computer objects).
   */
  cluster: z
    .object({
      failoverSeconds: z.number().min(0).default(40),
      onlineSeconds: z.number().min(0).default(5),
      liveMigrationPauseMs: z.number().int().min(0).default(150),
      directory: z
        .object({
          taken: z.array(z.string()).default([]),
          prestaged: z.array(z.string()).default([]),
          canCreateComputer: z.boolean().default(true),
        })
        .default({ taken: [], prestaged: [], canCreateComputer: true }),
    })
    .default({
      failoverSeconds: 40,
      onlineSeconds: 5,
      liveMigrationPauseMs: 150,
      directory: { taken: [], prestaged: [], canCreateComputer: true },
    }),
  /** What verifying the first two hosts must find (checked by the integration tests). */
  expect: z
    .object({
      level: z.union([z.literal(1), z.literal(2), z.literal(3)]).default(3),
      outcome: z.enum(['ready', 'warnings', 'blocked']),
      /** Every finding that is not a pass, by rule id. */
      findings: z.record(z.string(), z.enum(['warning', 'blocker'])).default({}),
    })
    .optional(),
});

/** A profile's Failover Clustering timings and directory. */
export type LabClusterProfile = z.infer<typeof LabProfileSchema>['cluster'];

/** What verifying a profile's pair must find. */
export type ProfileExpectation = NonNullable<z.infer<typeof LabProfileSchema>['expect']>;

/** A profile with every host complete. */
export interface LabProfile {
  name: string;
  description: string;
  hosts: HostProfile[];
  /** The cables the profile states. */
  links: LinkProfile[];
  /** The witness the servers can reach, or null. */
  witness: { host: string; port: number; share: string } | null;
  /** Failover Clustering's timings and directory (Level 1). */
  cluster: LabClusterProfile;
  expect?: ProfileExpectation;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

/** Validates a parsed profile document; throws with the field path on the first problem. */
export function parseProfile(document: unknown, source = 'profile'): LabProfile {
  const raw = LabProfileSchema.parse(document);
  const hosts = raw.hosts.map((host, i) => {
    const parsed = HostProfileSchema.safeParse(deepMerge(raw.defaults, host));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${source}: host ${i + 1}: ${issue?.path.join('.')}: ${issue?.message}`);
    }
    return parsed.data;
  });
  return {
    name: raw.name,
    description: raw.description,
    hosts,
    links: raw.links,
    witness: raw.witness,
    cluster: raw.cluster,
    ...(raw.expect ? { expect: raw.expect } : {}),
  };
}

/** Loads `lab/profiles/<name>.json`, or the file given. */
export function loadProfile(options: { profile?: string; profileFile?: string }): LabProfile {
  const file =
    options.profileFile ?? join(appPaths().labProfiles, `${options.profile ?? 'matched-pair'}.json`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(
      `The lab profile ${options.profileFile ?? options.profile} was not found (looked for ${file}).`,
    );
  }
  return parseProfile(JSON.parse(text), file);
}

/** The profile's witness as the lab's world holds it, its share on a folder under `dataDir`. */
export function witnessOf(profile: LabProfile, dataDir: string): LabWitness | undefined {
  const w = profile.witness;
  if (!w) return undefined;
  const domain = profile.hosts[0]?.domain ?? '';
  const names = [w.host, ...(domain && domain !== 'WORKGROUP' ? [`${w.host}.${domain}`] : [])];
  const dir = join(dataDir, w.host, w.share);
  mkdirSync(dir, { recursive: true });
  return {
    hosts: names.map((address) => ({ address, port: w.port })),
    shares: names.map((name) => ({ path: `\\\\${name}\\${w.share}`, dir })),
  };
}

function shiftAddress(address: string, by: number): string {
  const parts = address.split('.').map(Number);
  parts[3] = ((parts[3] ?? 0) + by) % 254 || 1;
  return parts.join('.');
}

/**
 * The hosts of a lab of `count` servers: the profile's, then copies of its last host with the
 * next name (TL-NODE-C, …), addresses and MACs, when more are asked for than it describes.
 */
export function expandHosts(profile: LabProfile, count: number): HostProfile[] {
  const hosts = profile.hosts.slice(0, count);
  const last = profile.hosts[profile.hosts.length - 1]!;
  for (let i = hosts.length; i < count; i++) {
    const by = i - profile.hosts.length + 1;
    const stem = last.computerName.replace(/-[A-Z0-9]+$/, '');
    hosts.push({
      ...structuredClone(last),
      computerName: `${stem}-${String.fromCharCode(65 + i)}`,
      vms: [],
      nics: last.nics.map((nic) => ({
        ...nic,
        mac:
          nic.mac.slice(0, 15) +
          ((parseInt(nic.mac.slice(15), 16) + by) % 256).toString(16).toUpperCase().padStart(2, '0'),
        ipv4: nic.ipv4.map((ip) => ({ ...ip, address: shiftAddress(ip.address, by) })),
      })),
    });
  }
  return hosts;
}

/** Names of the bundled profiles. */
export function profileNames(): string[] {
  return readdirSync(appPaths().labProfiles)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.replace(/\.json$/, ''))
    .sort();
}
