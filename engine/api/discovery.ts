/**
 * What the engine and the shells share about discovery, as plain values (no schema is loaded):
 * the ports a scan probes when none are given, and the key that names one host in its results.
 */
import type { DiscoveredHost } from './models';

/** SSH, WinRM (HTTP, HTTPS), SMB, RDP: what a scan probes when no ports are given. */
export const DEFAULT_SCAN_PORTS: readonly number[] = [22, 5985, 5986, 445, 3389];

/** The key under which results merge: the address, and the SSH port when it is not 22. */
export function hostKey(host: Pick<DiscoveredHost, 'address' | 'port'>): string {
  return `${host.address.toLowerCase()}|${host.port}`;
}

/**
 * The bounds of a scan's numbers, as plain values for a shell that checks them before it calls
 * (the command line's flags); `ScanRequestSchema` enforces the same ones.
 */
export const SCAN_LIMITS = {
  /** Per-probe timeout, milliseconds. */
  timeoutMs: { min: 50, max: 60_000 },
  /** Sockets open at once. */
  concurrency: { min: 1, max: 4096 },
  /** The whole scan's time limit, milliseconds. */
  deadlineMs: { min: 100, max: 86_400_000 },
} as const;
