/**
 * A first scanner: TCP connect to the SSH port of each target, read the SSH identification line,
 * and classify. Bounded concurrency and short timeouts keep a /24 to a few seconds.
 */
import { connect } from 'node:net';
import { TwinlockError } from '../api/errors';
import type { DiscoveredHost, HostKind, ScanRequest } from '../api/models';
import type { JobContext } from '../jobs/types';
import type { ScanTarget } from './targets';

/** How many probes run at once. */
export const SCAN_CONCURRENCY = 64;
const DEFAULT_TIMEOUT_MS = 1500;
/** An SSH server sends its identification line at once; anything slower is not worth waiting for. */
const BANNER_TIMEOUT_MS = 1500;

/** What one TCP probe learned. */
export interface ProbeResult {
  open: boolean;
  rttMs: number | null;
  banner: string | null;
}

/** Connects to address:port and reads the first line the server sends. */
export function probe(address: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const started = performance.now();
    let rttMs: number | null = null;
    let buffer = '';
    let settled = false;
    const socket = connect({ host: address, port });
    const finish = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = () => finish({ open: rttMs !== null, rttMs, banner: null });
    signal?.addEventListener('abort', onAbort, { once: true });
    let timer = setTimeout(() => finish({ open: false, rttMs: null, banner: null }), timeoutMs);
    socket.setNoDelay(true);
    socket.once('connect', () => {
      rttMs = Math.round((performance.now() - started) * 10) / 10;
      clearTimeout(timer);
      timer = setTimeout(() => finish({ open: true, rttMs, banner: null }), Math.min(BANNER_TIMEOUT_MS, timeoutMs));
    });
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      // RFC 4253 §4.2: the server may send other lines first; the one starting SSH- identifies it.
      const lines = buffer.split(/\r?\n/);
      const ssh = lines.slice(0, -1).find((l) => l.startsWith('SSH-'));
      if (ssh) finish({ open: true, rttMs, banner: ssh.slice(0, 255) });
      else if (buffer.length > 8192) finish({ open: true, rttMs, banner: null });
    });
    socket.once('error', () => finish({ open: rttMs !== null, rttMs, banner: null }));
    socket.once('close', () => finish({ open: rttMs !== null, rttMs, banner: null }));
  });
}

/** Classifies a host by its SSH banner. */
export function classify(result: ProbeResult, port: number): { kind: HostKind; reason: string } {
  if (!result.open) return { kind: 'unknown', reason: `Did not answer on port ${port}: check the address, that the server is on, and that its firewall allows SSH.` };
  if (result.banner?.includes('OpenSSH_for_Windows')) return { kind: 'windows-ssh', reason: 'Windows server with OpenSSH: ready to connect.' };
  if (result.banner) {
    return { kind: 'ssh-not-windows', reason: `Answers SSH but is not a Windows server (${result.banner}); Twinlock pairs Windows servers only.` };
  }
  return { kind: 'unknown', reason: `Port ${port} is open but did not identify itself as SSH.` };
}

/** Runs the scan as a job's work, streaming hosts as they are found. */
export async function runScan(ctx: JobContext<'scan'>, targets: ScanTarget[], request: Pick<ScanRequest, 'ports' | 'timeoutMs'>): Promise<DiscoveredHost[]> {
  const defaultPort = request.ports?.[0] ?? 22;
  const timeoutMs = request.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const found: Array<DiscoveredHost | undefined> = new Array(targets.length);
  let next = 0;
  let done = 0;
  const results = () => found.filter((h): h is DiscoveredHost => h !== undefined);
  ctx.progress(0, `Scanning ${targets.length} address${targets.length === 1 ? '' : 'es'}`);
  const worker = async () => {
    while (next < targets.length && !ctx.signal.aborted) {
      const i = next++;
      const target = targets[i]!;
      const port = target.port ?? defaultPort;
      const result = await probe(target.address, port, timeoutMs, ctx.signal);
      done++;
      if (result.open || target.explicit) {
        const { kind, reason } = classify(result, port);
        found[i] = {
          address: target.address,
          port,
          name: null,
          kind,
          banner: result.banner,
          openPorts: result.open ? [port] : [],
          rttMs: result.rttMs,
          reason,
        };
        ctx.partial(results());
      }
      ctx.progress(Math.round((done / targets.length) * 100), `Scanned ${done} of ${targets.length}; ${results().filter((h) => h.kind === 'windows-ssh').length} Windows server(s) found`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(SCAN_CONCURRENCY, targets.length) }, worker));
  if (ctx.signal.aborted) {
    throw new TwinlockError({ code: 'cancelled', message: 'The scan was cancelled.' });
  }
  return results();
}
