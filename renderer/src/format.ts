/** Numbers in the words and units an admin expects. */
import type { ProtectionLevel } from '../../engine/api';

/** "1 min 12 s", "45 s", "1 h 3 min". */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return s > 0 ? `${m} min ${s} s` : `${m} min`;
  return `${s} s`;
}

/** "64 GB" (binary gigabytes, as Windows shows memory). */
export function formatMemory(bytes: number): string {
  const gib = bytes / 1024 ** 3;
  return `${gib >= 10 ? Math.round(gib) : gib.toFixed(1)} GB`;
}

/** "10 Gbit/s", "1 Gbit/s", "100 Mbit/s", "down". */
export function formatLinkSpeed(mbps: number): string {
  if (mbps <= 0) return 'down';
  return mbps >= 1000 ? `${mbps / 1000} Gbit/s` : `${mbps} Mbit/s`;
}

/** What each protection level means, in plain words. */
export const LEVELS: Record<ProtectionLevel, { title: string; summary: string; detail: string }> = {
  1: {
    title: 'Level 1 · Failover',
    summary: 'If a server fails, its VMs restart on the other one.',
    detail: 'A few minutes of downtime when a server fails. The two servers may differ.',
  },
  2: {
    title: 'Level 2 · Component fault tolerance',
    summary: 'A failed processor, network card or disk is survived without stopping.',
    detail:
      'Losing a whole server still means a restart on the other one. Processors must be of the same family.',
  },
  3: {
    title: 'Level 3 · Lockstep',
    summary: 'Both servers run the VMs in lockstep: any failure is survived with no downtime.',
    detail:
      'Memory and state are mirrored continuously. Needs closely matching hardware and fast sync links.',
  },
};
