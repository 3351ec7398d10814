/**
 * One TCP connect probe: open or not, how fast, and (for SSH candidates) the identification line.
 * Every socket is registered in a set owned by the scan, so a cancel can destroy them all at once
 * instead of hanging one abort listener per socket on the scan's signal.
 */
import { Socket } from 'node:net';

/** What became of one connect. */
export type PortState = 'open' | 'closed' | 'timeout' | 'unreachable';

/** What one TCP probe learned. */
export interface PortProbe {
  port: number;
  state: PortState;
  /** Connect round trip (or time to the refusal) in milliseconds. */
  rttMs: number | null;
  /** The SSH identification line, when the port sent one. */
  banner: string | null;
  /** Why an open port gave no banner: it said nothing, reset, or spoke something else. */
  note: 'silent' | 'reset' | 'not-ssh' | null;
  /** The system error code, for refused and unreachable ports. */
  code?: string;
}

export interface ProbeOptions {
  /** Connect timeout in milliseconds. */
  timeoutMs: number;
  /** Wait this long for the SSH identification line; 0 closes the socket as soon as it connects. */
  bannerMs: number;
  /** The scan's live sockets, destroyed together on cancel. */
  sockets: Set<Socket>;
}

/** Errors about this workstation's own resources (descriptors, ephemeral ports): worth a retry. */
const LOCAL_ERRORS = new Set(['EMFILE', 'ENFILE', 'ENOBUFS', 'EADDRNOTAVAIL', 'EAGAIN', 'EADDRINUSE']);
const MAX_LOCAL_RETRIES = 20;

const round = (ms: number): number => Math.round(ms * 10) / 10;

function once(address: string, port: number, options: ProbeOptions): Promise<PortProbe> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = new Socket();
    options.sockets.add(socket);
    let rttMs: number | null = null;
    let buffer = '';
    let settled = false;
    let timer: ReturnType<typeof setTimeout>;
    const finish = (result: PortProbe): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.sockets.delete(socket);
      socket.destroy();
      resolve(result);
    };
    const open = (banner: string | null, note: PortProbe['note']): void =>
      finish({ port, state: 'open', rttMs, banner, note });
    timer = setTimeout(
      () => finish({ port, state: 'timeout', rttMs: null, banner: null, note: null }),
      options.timeoutMs,
    );
    // `on`, not `once`: every probe settles once anyway, and `once` allocates a wrapper per listener.
    socket.on('connect', () => {
      rttMs = round(performance.now() - started);
      clearTimeout(timer);
      if (options.bannerMs <= 0) {
        open(null, null);
        return;
      }
      timer = setTimeout(() => open(null, buffer.length > 0 ? 'not-ssh' : 'silent'), options.bannerMs);
    });
    // Ports whose banner is not read never get a data listener: a /16 makes hundreds of thousands.
    if (options.bannerMs > 0)
      socket.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('latin1');
        // RFC 4253 §4.2: a server may send other lines before the one starting `SSH-`.
        const lines = buffer.split(/\r?\n/);
        const ssh = lines.slice(0, -1).find((l) => l.startsWith('SSH-'));
        if (ssh) open(ssh.replace(/[^\x20-\x7e]/g, '').slice(0, 255), null);
        else if (buffer.length > 8192 || lines.length > 20) open(null, 'not-ssh');
      });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'EUNKNOWN';
      // A reset right after the handshake can beat the connect callback: the port did accept.
      if (rttMs === null && (code === 'ECONNRESET' || code === 'EPIPE'))
        rttMs = round(performance.now() - started);
      if (rttMs !== null) {
        open(null, 'reset');
        return;
      }
      const elapsed = round(performance.now() - started);
      if (code === 'ECONNREFUSED')
        finish({ port, state: 'closed', rttMs: elapsed, banner: null, note: null, code });
      else finish({ port, state: 'unreachable', rttMs: null, banner: null, note: null, code });
    });
    // A socket destroyed by a cancel closes without an error.
    socket.on('close', () =>
      rttMs !== null
        ? open(null, buffer.length > 0 ? 'not-ssh' : 'reset')
        : finish({ port, state: 'timeout', rttMs: null, banner: null, note: null }),
    );
    socket.connect({ host: address, port });
  });
}

/**
 * Connects to address:port; when `bannerMs` is above zero, reads the SSH identification line.
 * Never rejects. Retries a few times when this workstation runs out of sockets.
 */
export async function probePort(
  address: string,
  port: number,
  options: ProbeOptions,
  signal?: AbortSignal,
): Promise<PortProbe> {
  for (let attempt = 0; ; attempt++) {
    const result = await once(address, port, options);
    const local =
      result.state === 'unreachable' && result.code !== undefined && LOCAL_ERRORS.has(result.code);
    if (!local || attempt >= MAX_LOCAL_RETRIES || signal?.aborted) return result;
    await new Promise((r) => setTimeout(r, 20 + attempt * 10));
  }
}
