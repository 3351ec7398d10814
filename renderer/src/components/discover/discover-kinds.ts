/** How each kind of discovered host is labelled, and the services its open ports stand for. */
import type { HostKind } from '../../../../engine/api';

/** Tag text and colour per kind (`added` for a host typed by hand that nothing checked yet). */
export const KIND_TAGS: Record<
  HostKind | 'added',
  { label: string; type: 'success' | 'warning' | 'error' | 'default' }
> = {
  'windows-ssh': { label: 'Windows · ready', type: 'success' },
  'windows-no-ssh': { label: 'Windows · no SSH', type: 'warning' },
  'ssh-not-windows': { label: 'Not Windows', type: 'error' },
  unknown: { label: 'Unknown', type: 'default' },
  added: { label: 'Not checked yet', type: 'default' },
};

const SERVICES: Record<number, string> = {
  22: 'SSH',
  445: 'SMB',
  3389: 'RDP',
  5985: 'WinRM',
  5986: 'WinRM/TLS',
};

/** `SSH 22`, `SMB 445`, `TCP 2222` (a port carrying an SSH banner is SSH whatever its number). */
export function serviceLabel(port: number, sshPort: number | null): string {
  if (port === sshPort) return `SSH ${port}`;
  const name = SERVICES[port];
  return name ? `${name} ${port}` : `TCP ${port}`;
}

/** `<1 ms`, `3 ms`, `—`. */
export function formatRtt(ms: number | null): string {
  if (ms === null) return '—';
  return ms < 1 ? '<1 ms' : `${Math.round(ms)} ms`;
}
