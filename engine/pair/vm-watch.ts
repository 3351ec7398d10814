/**
 * Watching protected VMs from outside during a failover drill: each server's Get-VM (the
 * `get-vm-state` script, several exec channels in flight so that a slow answer never stretches
 * the interval) and, where the admin names one, a TCP port of the VM's service. The downtime is
 * the longest span in which no server showed the VM running (or its port refused).
 */
import { Socket } from 'node:net';
import { z } from 'zod';
import type { RemoteHost } from '../remote/types';

/** PowerShell 5.1 prints a one-item array as the item and an empty one as null. */
const listOf = (v: unknown): unknown[] => (v === null || v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Hyper-V's VMState numbers, as ConvertTo-Json prints the enum. */
const VM_STATES: Record<number, string> = {
  2: 'Running',
  3: 'Off',
  6: 'Saved',
  9: 'Paused',
  10: 'Starting',
  4: 'Stopping',
  32773: 'Saving',
  32776: 'Pausing',
  32777: 'Resuming',
};

export const VmStateAnswerSchema = z.object({
  computerName: z.string(),
  hyperV: z.boolean(),
  vms: z.preprocess(
    listOf,
    z.array(
      z.object({
        name: z.string(),
        found: z.boolean(),
        state: z
          .union([z.number(), z.string()])
          .nullable()
          .transform((s) => (s === null ? null : typeof s === 'number' ? (VM_STATES[s] ?? `State ${s}`) : s)),
        uptimeSeconds: z.number(),
        addresses: z.preprocess(listOf, z.array(z.string())),
      }),
    ),
  ),
});
export type VmStateAnswer = z.infer<typeof VmStateAnswerSchema>;

/** One server to watch. */
export interface WatchedServer {
  computerName: string;
  host: RemoteHost;
}

/** One look: when (ms on the watch's clock, the middle of the round trip) and what it showed. */
export interface Sample {
  at: number;
  server: string;
  /** VM name → running there (false when absent, stopped, or the server did not answer). */
  running: Record<string, boolean>;
  addresses: Record<string, string[]>;
}

/** One TCP probe of a VM's service port. */
export interface PortSample {
  at: number;
  vm: string;
  reached: boolean;
}

export interface WatchOptions {
  servers: WatchedServer[];
  vms: string[];
  /** VM name → TCP port of its service. */
  watchPorts?: Record<string, number>;
  /** Milliseconds between looks (at most 100). */
  intervalMs?: number;
  /** Exec channels in flight per server at most (OpenSSH allows 10 sessions per connection). */
  inFlight?: number;
  now?: () => number;
  /** Connects to address:port; resolves true when it connected (the engine's TCP probe by default). */
  probe?: (address: string, port: number, timeoutMs: number) => Promise<boolean>;
}

export interface Watch {
  /** Resolves once every server answered at least once. */
  ready(): Promise<void>;
  /** Stops looking; resolves once the looks in flight are in. */
  stop(): Promise<{ samples: Sample[]; ports: PortSample[] }>;
  /** Called with every sample as it comes in (for the timeline). */
  onSample(fn: (s: Sample) => void): void;
}

/** A TCP connect to address:port within `timeoutMs`: true when it connected. */
export function tcpProbe(address: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setNoDelay(true);
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, address, () => done(true));
  });
}

/** Starts watching `vms` on every server. */
export function watchVms(options: WatchOptions): Watch {
  const interval = Math.min(100, options.intervalMs ?? 50);
  const inFlight = options.inFlight ?? 4;
  const now = options.now ?? (() => performance.now());
  const probe = options.probe ?? tcpProbe;
  const samples: Sample[] = [];
  const ports: PortSample[] = [];
  const listeners: Array<(s: Sample) => void> = [];
  const pending = new Set<Promise<void>>();
  const busy = new Map<string, number>();
  const answered = new Set<string>();
  let readyResolve: () => void = () => undefined;
  const readyPromise = new Promise<void>((r) => (readyResolve = r));
  /** The addresses Hyper-V last reported per VM. */
  const addresses = new Map<string, string[]>();

  const track = (p: Promise<void>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  const look = (server: WatchedServer) => {
    const n = busy.get(server.computerName) ?? 0;
    if (n >= inFlight) return;
    busy.set(server.computerName, n + 1);
    const sent = now();
    track(
      server.host
        .runScript('get-vm-state', { names: options.vms }, { timeoutMs: 10_000 })
        .then((raw) => VmStateAnswerSchema.parse(raw))
        .then(
          (answer) => {
            const running: Record<string, boolean> = {};
            const addr: Record<string, string[]> = {};
            for (const vm of options.vms) {
              const seen = answer.vms.find((v) => v.name === vm);
              running[vm] = seen?.found === true && seen.state === 'Running';
              addr[vm] = seen?.addresses ?? [];
              if (running[vm] && addr[vm].length > 0) addresses.set(vm, addr[vm]);
            }
            return { running, addr };
          },
          // A server that does not answer shows nothing running.
          () => ({
            running: Object.fromEntries(options.vms.map((vm) => [vm, false])),
            addr: {} as Record<string, string[]>,
          }),
        )
        .then(({ running, addr }) => {
          const sample: Sample = {
            at: (sent + now()) / 2,
            server: server.computerName,
            running,
            addresses: addr,
          };
          samples.push(sample);
          for (const l of listeners) l(sample);
          answered.add(server.computerName);
          if (answered.size === options.servers.length) readyResolve();
        })
        .finally(() => busy.set(server.computerName, (busy.get(server.computerName) ?? 1) - 1)),
    );
  };

  const probePorts = () => {
    for (const [vm, port] of Object.entries(options.watchPorts ?? {})) {
      const address = addresses.get(vm)?.find((a) => !a.includes(':')) ?? addresses.get(vm)?.[0];
      if (!address || busy.get(`port:${vm}`)) continue;
      busy.set(`port:${vm}`, 1);
      const sent = now();
      track(
        probe(address, port, Math.max(interval * 3, 250))
          .then((reached) => {
            ports.push({ at: (sent + now()) / 2, vm, reached });
          })
          .finally(() => busy.set(`port:${vm}`, 0)),
      );
    }
  };

  const tick = () => {
    for (const s of options.servers) look(s);
    probePorts();
  };
  tick();
  const timer = setInterval(tick, interval);

  return {
    ready: () => readyPromise,
    onSample: (fn) => listeners.push(fn),
    async stop() {
      clearInterval(timer);
      while (pending.size > 0) await Promise.allSettled([...pending]);
      samples.sort((a, b) => a.at - b.at);
      ports.sort((a, b) => a.at - b.at);
      return { samples, ports };
    },
  };
}

/** A span in which a VM ran nowhere (or its port refused), in the watch's milliseconds. */
export interface Outage {
  from: number;
  to: number;
}

/**
 * The spans in which `vm` was down: from the first look that showed it running on no server
 * (each server's latest look counts, once every server answered) or its port refusing, to the
 * first look that showed it back. An outage still open at the end lasts to the last look.
 */
export function outagesOf(vm: string, samples: Sample[], ports: PortSample[], servers: string[]): Outage[] {
  type Look = { at: number; server?: string; running?: boolean; reached?: boolean };
  const looks: Look[] = [
    ...samples.map((s) => ({ at: s.at, server: s.server, running: s.running[vm] === true })),
    ...ports.filter((p) => p.vm === vm).map((p) => ({ at: p.at, reached: p.reached })),
  ].sort((a, b) => a.at - b.at);
  const latest = new Map<string, boolean>();
  let port: boolean | null = null;
  let downSince: number | null = null;
  let last = 0;
  const outages: Outage[] = [];
  for (const look of looks) {
    if (look.server !== undefined) latest.set(look.server, look.running === true);
    else port = look.reached === true;
    last = look.at;
    if (!servers.every((s) => latest.has(s))) continue;
    const up = [...latest.values()].some(Boolean) && port !== false;
    if (!up && downSince === null) downSince = look.at;
    else if (up && downSince !== null) {
      outages.push({ from: downSince, to: look.at });
      downSince = null;
    }
  }
  if (downSince !== null) outages.push({ from: downSince, to: last });
  return outages;
}

/** The longest outage, milliseconds (0 when none). */
export function longestOutageMs(outages: Outage[]): number {
  return outages.reduce((m, o) => Math.max(m, o.to - o.from), 0);
}

/** The mean time between looks at one server, the slowest server's (ms). */
export function achievedIntervalMs(samples: Sample[], servers: string[]): number {
  let worst = 0;
  for (const server of servers) {
    const at = samples.filter((s) => s.server === server).map((s) => s.at);
    if (at.length < 2) continue;
    worst = Math.max(worst, (at[at.length - 1]! - at[0]!) / (at.length - 1));
  }
  return Math.round(worst * 10) / 10;
}
