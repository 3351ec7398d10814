/**
 * The data Twinlock works with, as zod schemas (validated at every boundary) and the types
 * inferred from them. Models are plain data: no classes, no I/O.
 */
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { FIX_IDS } from './fix-ids';

// ---------------------------------------------------------------------------------------------
// Values that reach a server
//
// Names and addresses travel to the servers exactly as given: Twinlock never trims, re-cases or
// splits them (the agent takes them verbatim too). Each field decides what it accepts:
// - names Windows itself reports (VM names, adapter names) are taken verbatim, spaces at either
//   end included, so a VM named " x " is " x ";
// - what an admin types and Windows never pads (pair name, addresses, account name) is refused
//   with a space at either end, rather than silently trimmed;
// - nothing accepts control characters (NUL, line breaks, tabs, C1 controls) or broken Unicode
//   (a lone surrogate), which no server field can hold faithfully.

/** True when `s` holds a control character: C0 (NUL, tab, line breaks…), DEL or C1 (such as U+0085, next line). */
function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** No white space at either end (the empty string passes: `min(1)` says what is missing). */
const NO_EDGE_SPACE = /^(?!\s)[\s\S]*(?<!\s)$/;

/** A name Windows reports and Twinlock passes on verbatim (spaces at either end included). */
function windowsName(what: string, max: number, missing: string) {
  return z
    .string()
    .min(1, missing)
    .max(max, `A ${what} is at most ${max} characters.`)
    .refine(
      (s) => !hasControlCharacter(s),
      `The ${what} holds a control character (NUL, line break or tab): rename it on the server, then read the inventory again.`,
    )
    .refine(
      (s) => !LONE_SURROGATE.test(s),
      `The ${what} is not valid Unicode text: rename it on the server, then read the inventory again.`,
    );
}

/** A Hyper-V VM name, verbatim (Hyper-V allows 100 characters). */
export const VmNameSchema = windowsName(
  'VM name',
  100,
  'A VM name cannot be empty: choose VMs by the names Hyper-V shows.',
);

/** A network adapter name (interface alias), verbatim (Windows allows 256 characters). */
export const AdapterNameSchema = windowsName(
  'network adapter name',
  256,
  'Choose the network adapter by its name as Windows shows it.',
);

/** An IPv4 address in dotted decimal, or an IPv6 address; exactly as typed. */
export const IpAddressSchema = z
  .string()
  .min(1, 'Enter the IP address, for example 10.10.1.21.')
  .regex(NO_EDGE_SPACE, 'The address starts or ends with a space: remove it.')
  .refine(
    (s) => ipaddr.IPv4.isValidFourPartDecimal(s) || (s.includes(':') && ipaddr.IPv6.isValid(s)),
    'Use an IP address, for example 10.10.1.21 or fd00::21.',
  );

/** A host name or IP literal, as a witness or an SSH endpoint is named. */
const HOST_NAME = /^[A-Za-z0-9.:_\-[\]%]+$/;

/**
 * A UNC path `\\server\share[\folder…]`: the server a host name or address, each further part a
 * Windows file name (no `\ / : * ? " < > |`, no control characters).
 */
const UNC_PATH = /^\\\\[A-Za-z0-9.:_\-[\]%]+(?:\\[^\\/:*?"<>|]+)+$/;

// ---------------------------------------------------------------------------------------------
// Hosts and discovery

/** A server's SSH endpoint as typed by the admin or found by a scan. */
export const HostAddressSchema = z.object({
  /** Host name, IPv4 or IPv6 literal. */
  address: z
    .string()
    .min(1, 'Enter the server’s name or IP address, for example 10.0.0.21.')
    .max(253, 'A host name is at most 253 characters.')
    .regex(HOST_NAME, 'Use a host name or an IP address, with no spaces or slashes.'),
  /** SSH port, 22 unless the server listens elsewhere. */
  port: z.number().int().min(1).max(65535).default(22),
});
export type HostAddress = z.infer<typeof HostAddressSchema>;

/** What Twinlock can do with a discovered host. */
export const HostKindSchema = z.enum(['windows-ssh', 'windows-no-ssh', 'ssh-not-windows', 'unknown']);
export type HostKind = z.infer<typeof HostKindSchema>;

/** A host found by discovery. */
export const DiscoveredHostSchema = z.object({
  /** IP address (or the name typed when it did not resolve). */
  address: z.string(),
  /** SSH port probed. */
  port: z.number().int(),
  /** Reverse-DNS or lab name, when known. */
  name: z.string().nullable(),
  /** Classification. */
  kind: HostKindSchema,
  /** The SSH identification line, e.g. `SSH-2.0-OpenSSH_for_Windows_8.1`. */
  banner: z.string().nullable(),
  /** Open TCP ports among those probed. */
  openPorts: z.array(z.number().int()),
  /** TCP connect round trip in milliseconds. */
  rttMs: z.number().nullable(),
  /** One sentence for the admin: why this host is (not) ready, and the fix. */
  reason: z.string(),
  /** PowerShell commands, run as administrator on the server, that make it ready (windows-no-ssh). */
  fix: z.array(z.string()).optional(),
});
export type DiscoveredHost = z.infer<typeof DiscoveredHostSchema>;

/** A scan request. */
export const ScanRequestSchema = z.object({
  /** Targets: addresses, names, CIDRs, ranges, comma- or space-separated. */
  targets: z.string().trim().min(1, 'Enter at least one address, name or range to scan.'),
  /** TCP ports to probe (default 22, 5985, 5986, 445, 3389); any port answering `SSH-` counts as SSH. */
  ports: z.array(z.number().int().min(1).max(65535)).max(64, 'Probe at most 64 ports at a time.').optional(),
  /** Per-probe timeout in milliseconds. */
  timeoutMs: z.number().int().min(50).max(60_000).optional(),
  /** Sockets open at once (default 1024). */
  concurrency: z.number().int().min(1).max(4096).optional(),
  /** The whole scan stops after this many milliseconds and reports what it found (default 10 minutes). */
  deadlineMs: z.number().int().min(100).max(86_400_000).optional(),
  /** Accept more than 65,536 addresses (a /16). */
  allowLarge: z.boolean().optional(),
});
export type ScanRequest = z.infer<typeof ScanRequestSchema>;

/** Targets to check as they are typed, before a scan. */
export const CheckTargetsRequestSchema = z.object({
  /** Targets as in a scan; empty is allowed and counts nothing. */
  targets: z
    .string()
    .max(100_000, 'Keep the targets under 100,000 characters; use ranges or CIDRs for long lists.'),
  allowLarge: z.boolean().optional(),
});
export type CheckTargetsRequest = z.infer<typeof CheckTargetsRequestSchema>;

/** What a scan of those targets would probe. */
export const TargetsCheckSchema = z.object({
  /** Addresses and names to probe (a name counts once, before it resolves). */
  count: z.number().int().min(0),
});
export type TargetsCheck = z.infer<typeof TargetsCheckSchema>;

/** What the Discover screen pre-fills. */
export const DiscoverySuggestionsSchema = z.object({
  /** Targets to pre-fill the scan box with. */
  targets: z.string(),
  /** Hosts already known (the lab's, when it runs). */
  hosts: z.array(DiscoveredHostSchema),
  /** Credentials hint: the lab's shared administrator account, when the lab runs. */
  labAccount: z.object({ username: z.string(), password: z.string() }).nullable(),
});
export type DiscoverySuggestions = z.infer<typeof DiscoverySuggestionsSchema>;

// ---------------------------------------------------------------------------------------------
// Connect

/** A request to open an SSH session to a server. The password lives in memory only. */
export const ConnectRequestSchema = HostAddressSchema.extend({
  /** Account with administrator rights, e.g. `Administrator` or `CONTOSO\admin`. */
  username: z
    .string()
    .min(1, 'Enter the administrator account’s user name.')
    .regex(
      NO_EDGE_SPACE,
      'The user name starts or ends with a space: remove it (Windows account names never do).',
    )
    .refine(
      (s) => !hasControlCharacter(s) && !LONE_SURROGATE.test(s),
      'The user name holds a control character or broken Unicode: type it again.',
    ),
  /** Password (never stored in clear, never logged). Either this or a private key. */
  password: z.string().min(1, 'Enter the password.').optional(),
  /** A private key in OpenSSH or PEM form, as read from the admin's key file (held in memory only). */
  privateKey: z
    .string()
    .min(1, 'Choose a private key file.')
    .max(
      65_536,
      'A private key file is a few kilobytes; this one is far larger. Choose the private key (for example id_ed25519).',
    )
    .optional(),
  /** The private key's passphrase, when it has one. */
  passphrase: z.string().min(1).optional(),
  /** Accept this SHA-256 fingerprint for a host seen for the first time (`SHA256:…`). */
  acceptFingerprint: z
    .string()
    .regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'A fingerprint looks like SHA256: followed by 43 characters.')
    .optional(),
  /** Connect timeout in milliseconds. */
  timeoutMs: z.number().int().min(500).max(120_000).optional(),
}).refine((r) => r.password !== undefined || r.privateKey !== undefined, {
  path: ['password'],
  message: 'Enter the password, or choose a private key file.',
});
export type ConnectRequest = z.input<typeof ConnectRequestSchema>;

/** An open session to one server. */
export const HostSessionSchema = z.object({
  /** Opaque id used by every later call. */
  sessionId: z.string(),
  address: z.string(),
  port: z.number().int(),
  username: z.string(),
  /** Pinned host-key fingerprint (`SHA256:…`). */
  fingerprint: z.string(),
  /** True when the key was pinned by this connection (first use). */
  newlyPinned: z.boolean(),
  /** The server's computer name. */
  computerName: z.string(),
  /** e.g. `Microsoft Windows Server 2022 Datacenter`. */
  osCaption: z.string(),
  /** True when the account is a member of the local Administrators group (elevated). */
  isAdmin: z.boolean(),
});
export type HostSession = z.infer<typeof HostSessionSchema>;

export const SessionRefSchema = z.object({ sessionId: z.string().min(1) });

/** A pinned host key. */
export const KnownHostEntrySchema = z.object({
  /** `address:port` (IPv6 in brackets). */
  host: z.string(),
  /** `SHA256:…` as OpenSSH prints it. */
  fingerprint: z.string(),
  keyType: z.string(),
  /** When the key was pinned, ISO 8601. */
  firstSeen: z.string(),
});
export type KnownHostEntry = z.infer<typeof KnownHostEntrySchema>;
export type SessionRef = z.infer<typeof SessionRefSchema>;

// ---------------------------------------------------------------------------------------------
// Inventory and verification

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

export const ProtectionLevelSchema = z.union([z.literal(1), z.literal(2), z.literal(3)]);
/** 1 failover clustering, 2 component-level fault tolerance, 3 system-level lockstep. */
export type ProtectionLevel = z.infer<typeof ProtectionLevelSchema>;

export const SeveritySchema = z.enum(['pass', 'warning', 'blocker']);
export type Severity = z.infer<typeof SeveritySchema>;

/** One rule's outcome over the two inventories. */
export const FindingSchema = z.object({
  /** Stable rule id, e.g. `cpu.model`. */
  ruleId: z.string(),
  category: z.string(),
  /** Short title, e.g. `Processor model`. */
  title: z.string(),
  severity: SeveritySchema,
  /** What each host has, as shown side by side. */
  values: z.tuple([z.string(), z.string()]),
  /** Why this matters, in one sentence. */
  reason: z.string(),
  /** What to do about it (empty on pass). */
  remedy: z.string(),
  /** The fix Twinlock can run for it (see `previewFix`), or null. */
  fixId: z.string().nullable().default(null),
  /** Which servers the fix applies to: 0 the first, 1 the second. */
  fixOn: z.array(z.number().int().min(0).max(1)).default([]),
});
export type Finding = z.infer<typeof FindingSchema>;

export const VerifyRequestSchema = z.object({
  sessions: z.tuple([z.string().min(1), z.string().min(1)]),
  level: ProtectionLevelSchema.default(3),
});
export type VerifyRequest = z.input<typeof VerifyRequestSchema>;

export const VerifyReportSchema = z.object({
  level: ProtectionLevelSchema,
  /** `ready`, or `blocked` when any finding is a blocker. */
  outcome: z.enum(['ready', 'warnings', 'blocked']),
  /** One line for the banner, e.g. `Ready for Level 3` or `Not ready: 2 blockers`. */
  verdict: z.string(),
  hosts: z.tuple([HostInventorySchema, HostInventorySchema]),
  findings: z.array(FindingSchema),
  ranAt: z.string(),
  /** Blockers the same servers have at Level 1, 2 and 3. */
  blockersByLevel: z.tuple([z.number(), z.number(), z.number()]).default([0, 0, 0]),
  /** `address:port` of each server, as connected. */
  targets: z.array(z.string()).default([]),
});
export type VerifyReport = z.infer<typeof VerifyReportSchema>;

/** The fixes Twinlock can run on a server for a finding. */
export const FixIdSchema = z.enum(FIX_IDS);
export type FixId = z.infer<typeof FixIdSchema>;

export const FixRequestSchema = z.object({
  sessionId: z.string().min(1),
  fixId: FixIdSchema,
});
export type FixRequest = z.infer<typeof FixRequestSchema>;

/** What a fix will do, before it runs. */
export const FixPreviewSchema = z.object({
  fixId: FixIdSchema,
  computerName: z.string(),
  /** One sentence: what changes on the server. */
  description: z.string(),
  /** The remote script's name and exact text. */
  scriptName: z.string(),
  script: z.string(),
  /** The parameters it receives as `$P`. */
  params: z.record(z.string(), z.unknown()),
  /** The server restarts afterwards (Twinlock waits for it to come back). */
  needsReboot: z.boolean(),
});
export type FixPreview = z.infer<typeof FixPreviewSchema>;

export const ApplyFixRequestSchema = FixRequestSchema.extend({
  /** Level to verify at afterwards; the last verification's when absent. */
  level: ProtectionLevelSchema.optional(),
});
export type ApplyFixRequest = z.input<typeof ApplyFixRequestSchema>;

/** What a fix did, and the verification that followed. */
export const FixResultSchema = z.object({
  fixId: FixIdSchema,
  computerName: z.string(),
  /** One sentence for the admin. */
  message: z.string(),
  /** The server restarted and came back. */
  rebooted: z.boolean(),
  elapsedMs: z.number(),
  /** The pair verified again, or null when this server was never verified with a peer. */
  report: VerifyReportSchema.nullable(),
});
export type FixResult = z.infer<typeof FixResultSchema>;

export const ReportFormatSchema = z.enum(['json', 'html', 'pdf']);
export type ReportFormat = z.infer<typeof ReportFormatSchema>;

export const ExportReportRequestSchema = z.object({
  report: VerifyReportSchema,
  format: ReportFormatSchema,
  /** Where to write; the data folder's reports/ when absent. */
  path: z.string().optional(),
});
export type ExportReportRequest = z.input<typeof ExportReportRequestSchema>;

export const ExportReportResultSchema = z.object({
  path: z.string(),
  format: ReportFormatSchema,
  bytes: z.number(),
});
export type ExportReportResult = z.infer<typeof ExportReportResultSchema>;

// ---------------------------------------------------------------------------------------------
// Agent install

export const InstallRequestSchema = z.object({
  sessions: z.tuple([z.string().min(1), z.string().min(1)]),
  /** Folder holding agent-manifest.json and the MSI; the bundled package when absent. */
  packageDir: z.string().optional(),
  /**
   * A configuration bundle whose agent (version and SHA-256) the package must be: the package is
   * taken from the `agent/` folder next to the bundle, else `packageDir`, else the bundled one.
   */
  bundlePath: z.string().optional(),
  /** Restart a server when msiexec asks for it (3010), wait for it to come back, and finish. */
  allowReboot: z.boolean().default(false),
  /** Install even over a newer agent (a downgrade). */
  force: z.boolean().default(false),
  /**
   * The thumbprint of the package's publisher, as the admin compared and confirmed it: pinned when
   * it is the package's (first use). Without it, a publisher not yet trusted stops with `publisher-untrusted`.
   */
  trustPublisher: z
    .string()
    .regex(/^[0-9A-Fa-f]{40}$/, 'A certificate thumbprint is 40 hexadecimal characters.')
    .optional(),
});
export type InstallRequest = z.input<typeof InstallRequestSchema>;

/** An install or a pairing interrupted by a crash or a closed window, from its journal on disk. */
export const ResumableJobSchema = z.object({
  jobId: z.string(),
  /** `install` (the agent) or `apply` (a pairing). */
  kind: z.enum(['install', 'apply']),
  startedAt: z.string(),
  /** When the journal was last written. */
  updatedAt: z.string(),
  /** The agent version being installed (for a pairing: the version on the primary). */
  version: z.string(),
  /** The pair being made (pairings only). */
  pair: z.lazy(() => PairPlanSchema).optional(),
  hosts: z.array(
    z.object({
      computerName: z.string(),
      address: z.string(),
      port: z.number().int(),
      username: z.string(),
      /** Steps already completed on this server (install: `upload`, `verify`, `msiexec`, `reboot`, `health`; pairing: `links`, `create`, `join`, `protect`…). */
      completed: z.array(z.string()),
    }),
  ),
  /** True when no open session can be reused: `resumeJob` then needs the password again. */
  needsPassword: z.boolean(),
});
export type ResumableJob = z.infer<typeof ResumableJobSchema>;

export const ResumeJobRequestSchema = z.object({
  jobId: z.string().min(1),
  /** The servers' password, when their sessions have to be opened again (held in memory only). */
  password: z.string().min(1).optional(),
  /** Or the private key (and its passphrase) to open them with. */
  privateKey: z.string().min(1).max(65_536).optional(),
  passphrase: z.string().min(1).optional(),
});
export type ResumeJobRequest = z.input<typeof ResumeJobRequestSchema>;

/** What a Roll back did on one server. */
export const RollbackOutcomeSchema = z.object({
  computerName: z.string(),
  /** The agent version removed, or null when none was installed. */
  removedVersion: z.string().nullable(),
  /** Firewall rules and uploaded files removed. */
  removedRules: z.number(),
  removedFiles: z.array(z.string()),
  /** One line for the admin. */
  message: z.string(),
});
export type RollbackOutcome = z.infer<typeof RollbackOutcomeSchema>;

/** What happened on one host. */
export const InstallOutcomeSchema = z.object({
  sessionId: z.string(),
  computerName: z.string(),
  /** `installed`, `upgraded`, `already-installed`. */
  action: z.enum(['installed', 'upgraded', 'already-installed']),
  version: z.string(),
  /** msiexec exit code (0 when nothing ran). */
  exitCode: z.number(),
  rebootRequired: z.boolean(),
  /** True when Twinlock restarted the server and saw it come back. */
  rebooted: z.boolean().optional(),
  /** A remark for the admin (e.g. why nothing was done). */
  note: z.string().optional(),
});
export type InstallOutcome = z.infer<typeof InstallOutcomeSchema>;

// ---------------------------------------------------------------------------------------------
// Pairing

/**
 * A private link between the two servers carrying lockstep traffic. Adapter names are verbatim
 * (Windows allows spaces at either end); addresses must be IP addresses, with no spaces.
 */
export const SyncLinkSchema = z.object({
  /** Adapter name on the primary. */
  localNic: AdapterNameSchema,
  /** Adapter name on the secondary. */
  remoteNic: AdapterNameSchema,
  /** Address on the primary side. */
  localAddress: IpAddressSchema,
  /** Address on the secondary side. */
  remoteAddress: IpAddressSchema,
});
export type SyncLink = z.infer<typeof SyncLinkSchema>;

/**
 * The third party that breaks ties when the two servers lose sight of each other. "No witness" is
 * `null` in the pair configuration, never an empty address. A host is a host name or IP address;
 * a file share a UNC path (`\\files\twinlock`, spaces allowed inside a share or folder name).
 * Neither may start or end with a space: it is refused, not trimmed.
 */
export const WitnessSchema = z
  .object({
    kind: z.enum(['host', 'file-share']),
    /** Host name/address, or UNC path for a file share. */
    address: z
      .string()
      .min(1, 'Enter the witness’s address or share path, or choose no witness.')
      .max(260, 'A witness address is at most 260 characters.')
      .refine(
        (s) => s === '' || s.trim() !== '',
        'The witness address is blank: enter it, or choose no witness.',
      )
      .regex(NO_EDGE_SPACE, 'The witness address starts or ends with a space: remove it.')
      .refine(
        (s) => !LONE_SURROGATE.test(s),
        'The witness address is not valid Unicode text: type it again.',
      ),
  })
  .superRefine((w, ctx) => {
    if (w.address === '' || !NO_EDGE_SPACE.test(w.address)) return;
    if (w.kind === 'host' && w.address.length > 253) {
      ctx.addIssue({ code: 'custom', path: ['address'], message: 'A host name is at most 253 characters.' });
    } else if (w.kind === 'host' && !HOST_NAME.test(w.address)) {
      ctx.addIssue({
        code: 'custom',
        path: ['address'],
        message:
          'Use the witness server’s host name or IP address, with no spaces or slashes, for example witness01 or 10.0.0.30.',
      });
    }
    if (w.kind === 'file-share' && (!UNC_PATH.test(w.address) || hasControlCharacter(w.address))) {
      ctx.addIssue({
        code: 'custom',
        path: ['address'],
        message:
          'Use a share path like \\\\files\\twinlock: a server name, then the share, with none of : * ? " < > | in it.',
      });
    }
  });
export type Witness = z.infer<typeof WitnessSchema>;

/**
 * What `apply` pairs. Every value is used exactly as given: the pair name is refused (not
 * trimmed) with a space at either end, VM and adapter names are verbatim (see
 * {@link VmNameSchema}), link addresses must be IP addresses, and the witness is `null` only when
 * the admin chose to run without one.
 */
export const PairConfigSchema = z.object({
  /** Name shown in status and exported in the bundle. */
  name: z
    .string()
    .min(1, 'Give the pair a name, for example PAIR-01.')
    .regex(NO_EDGE_SPACE, 'The pair name starts or ends with a space: remove it.')
    .max(40, 'Keep the pair name to 40 characters.')
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
      'Use letters, digits, dot, dash or underscore, starting with a letter or digit.',
    ),
  level: ProtectionLevelSchema,
  /** Session of the server that starts as primary. */
  primary: z.string().min(1),
  /** Session of the server that joins as secondary. */
  secondary: z.string().min(1),
  links: z.array(SyncLinkSchema).min(1, 'At least one sync link is needed.'),
  /** Null only when the admin explicitly accepts running without a witness. */
  witness: WitnessSchema.nullable(),
  /** Names of VMs to protect, exactly as Hyper-V reports them. */
  vms: z.array(VmNameSchema),
});
export type PairConfig = z.infer<typeof PairConfigSchema>;

/** The parts of a pair configuration that do not depend on open sessions (what a pairing journal keeps). */
export const PairPlanSchema = z.object({
  name: z.string(),
  level: ProtectionLevelSchema,
  links: z.array(SyncLinkSchema),
  witness: WitnessSchema.nullable(),
  vms: z.array(z.string()),
});
export type PairPlan = z.infer<typeof PairPlanSchema>;

/** Two servers to take out of their pair. */
export const UnpairRequestSchema = z.object({
  sessions: z.tuple([z.string().min(1), z.string().min(1)]),
});
export type UnpairRequest = z.infer<typeof UnpairRequestSchema>;

/** What `unpair` did on one server. */
export const UnpairOutcomeSchema = z.object({
  computerName: z.string(),
  /** The pair the server was in, or null when it was in none. */
  pair: z.string().nullable(),
  /** VMs whose protection was removed. */
  unprotected: z.array(z.string()),
  /** True when `pair remove` ran on this server. */
  removed: z.boolean(),
});
export type UnpairOutcome = z.infer<typeof UnpairOutcomeSchema>;

export const ProposePairRequestSchema = z.object({
  primary: z.string().min(1),
  secondary: z.string().min(1),
});
export type ProposePairRequest = z.infer<typeof ProposePairRequestSchema>;

/** A proposal: sensible defaults plus what the admin can choose from. */
export const PairProposalSchema = z.object({
  config: PairConfigSchema,
  /** Adapters available for links on each side. */
  nics: z.tuple([z.array(NicSchema), z.array(NicSchema)]),
  /** VMs found on the primary. */
  vms: z.array(VmSchema),
});
export type PairProposal = z.infer<typeof PairProposalSchema>;

export const PairStateSchema = z.enum([
  'pairing',
  'mirroring',
  'syncing',
  'protected',
  'degraded',
  'failed-over',
  'broken',
]);
export type PairState = z.infer<typeof PairStateSchema>;

export const LinkStatusSchema = z.object({
  local: z.string(),
  remote: z.string(),
  up: z.boolean(),
  rttMs: z.number(),
  mbps: z.number(),
});

/** `twinlockctl status --input -`, as the agent reports it. */
export const AgentStatusSchema = z.object({
  nodeId: z.string(),
  role: z.enum(['primary', 'secondary', 'none']),
  pair: z
    .object({
      name: z.string(),
      peer: z.string(),
      state: PairStateSchema,
      progress: z.number(),
      links: z.array(LinkStatusSchema),
      witness: z.object({ address: z.string(), reachable: z.boolean() }).nullable(),
      level: ProtectionLevelSchema,
    })
    .nullable(),
  vms: z.array(z.object({ name: z.string(), state: z.string(), protected: z.boolean() })),
});
export type AgentStatus = z.infer<typeof AgentStatusSchema>;

export const ApplyOutcomeSchema = z.object({
  pairId: z.string(),
  state: PairStateSchema,
  /** Milliseconds from the start of the apply to `protected`. */
  elapsedMs: z.number(),
  status: z.tuple([AgentStatusSchema, AgentStatusSchema]),
});
export type ApplyOutcome = z.infer<typeof ApplyOutcomeSchema>;

// ---------------------------------------------------------------------------------------------
// Bundle

/** The replayable, signed configuration of a pair. Never holds a secret. */
export const BundleSchema = z.object({
  format: z.literal('twinlock-bundle/1'),
  createdAt: z.string(),
  /** The pair as exported, held to the rules of {@link PairConfigSchema}: nothing is trimmed on replay. */
  pair: z.object({
    name: PairConfigSchema.shape.name,
    level: ProtectionLevelSchema,
    links: z.array(SyncLinkSchema),
    witness: WitnessSchema.nullable(),
    vms: PairConfigSchema.shape.vms,
  }),
  hosts: z.tuple([
    z.object({
      role: z.literal('primary'),
      address: z.string(),
      port: z.number(),
      fingerprint: z.string(),
      computerName: z.string(),
    }),
    z.object({
      role: z.literal('secondary'),
      address: z.string(),
      port: z.number(),
      fingerprint: z.string(),
      computerName: z.string(),
    }),
  ]),
  agent: z.object({ version: z.string(), sha256: z.string() }),
  signature: z.object({
    algorithm: z.literal('ed25519'),
    /** Base64 SPKI DER of the signing key. */
    publicKey: z.string(),
    /** Base64 signature over the canonical JSON of every other field. */
    value: z.string(),
  }),
});
export type Bundle = z.infer<typeof BundleSchema>;

/** A bundle to replay on two servers: checked against them before anything changes. */
export const PreflightBundleRequestSchema = z.object({
  /** The .twinlock.json file. */
  path: z.string().min(1, 'Give the path of a .twinlock.json bundle.'),
  /** The new primary's session, then the new secondary's. */
  sessions: z.tuple([z.string().min(1), z.string().min(1)]),
  /** The new pair's name, when not the bundle's. */
  name: z.string().optional(),
  /** The agent package folder the replay installs; the shipped package when absent. */
  packageDir: z.string().optional(),
});
export type PreflightBundleRequest = z.input<typeof PreflightBundleRequestSchema>;

/** A bundle that passed its preflight: the configuration `apply` will run on the new pair. */
export const BundlePlanSchema = z.object({
  bundle: BundleSchema,
  config: PairConfigSchema,
  /** The agent package the replay installs. */
  agent: z.object({ version: z.string(), sha256: z.string() }),
});
export type BundlePlan = z.infer<typeof BundlePlanSchema>;

export const ExportBundleRequestSchema = z.object({
  config: PairConfigSchema,
  /** Where to write; the data folder's bundles/ when absent. */
  path: z.string().optional(),
});
export type ExportBundleRequest = z.input<typeof ExportBundleRequestSchema>;

export const ExportBundleResultSchema = z.object({
  path: z.string(),
  bundle: BundleSchema,
});
export type ExportBundleResult = z.infer<typeof ExportBundleResultSchema>;
