/** Hosts and discovery: the SSH endpoints a scan probes and what it finds. */
import { z } from 'zod';
import {
  HOST_NAME,
  HOST_NAME_MAX,
  HOST_NAME_MESSAGES,
  MAX_SCAN_PORTS,
  MAX_SCAN_PORTS_MESSAGE,
  SCAN_LIMITS,
  hostNameProblem,
} from '../rules';
import { PortSchema } from './values';

/** A server's SSH endpoint as typed by the admin or found by a scan. */
export const HostAddressSchema = z.object({
  /** Host name, IPv4 or IPv6 literal. */
  address: z
    .string()
    .min(1, HOST_NAME_MESSAGES.missing)
    .max(HOST_NAME_MAX, HOST_NAME_MESSAGES.tooLong)
    .superRefine((address, ctx) => {
      // The same sentence the wizard shows, naming the character at fault.
      const problem = HOST_NAME.test(address) ? null : hostNameProblem(address);
      if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
    }),
  /** SSH port, 22 unless the server listens elsewhere. */
  port: PortSchema.default(22),
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
  ports: z.array(PortSchema).max(MAX_SCAN_PORTS, MAX_SCAN_PORTS_MESSAGE).optional(),
  /** Per-probe timeout in milliseconds. */
  timeoutMs: z.number().int().min(SCAN_LIMITS.timeoutMs.min).max(SCAN_LIMITS.timeoutMs.max).optional(),
  /** Sockets open at once (default 1024). */
  concurrency: z.number().int().min(SCAN_LIMITS.concurrency.min).max(SCAN_LIMITS.concurrency.max).optional(),
  /** The whole scan stops after this many milliseconds and reports what it found (default 10 minutes). */
  deadlineMs: z.number().int().min(SCAN_LIMITS.deadlineMs.min).max(SCAN_LIMITS.deadlineMs.max).optional(),
  /** Accept more than 65,536 addresses (a /16). */
  allowLarge: z.boolean().optional(),
});
export type ScanRequest = z.infer<typeof ScanRequestSchema>;

/** A scan reports no server by itself (its hosts are its result): its only step is `waiting`. */
export const ScanProgressStepSchema = z.enum(['waiting']);
export type ScanProgressStep = z.infer<typeof ScanProgressStepSchema>;

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
