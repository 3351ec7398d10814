/**
 * The scanner against the lab on its own loopback addresses (127.0.0.11, 127.0.0.12) and its
 * decoys (127.0.0.21-23), plus ports that reset, hang, and names that do not resolve.
 */
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvent, DiscoveredHost, JobSnapshotOf, TwinlockEngine } from '../../../engine/api';
import { createEngine } from '../../../engine/engine';
import { DEFAULT_SCAN_PORTS } from '../../../engine/api/rules';
import { scan } from '../../../engine/discovery/scan';
import { planTargets } from '../../../engine/discovery/targets';
import { LINUX_SSH_IDENT, startLab } from '../../../lab/index';
import type { Lab } from '../../../lab/index';
import { waitFor } from '../../helpers/wait-for';

let lab: Lab;
let port: number;
let engine: TwinlockEngine;

/** A lab on 127.0.0.11+ with decoys, on a port free on every address it needs. */
async function startAddressedLab(): Promise<Lab> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 8; attempt++) {
    const candidate = 20_000 + Math.floor(Math.random() * 40_000);
    try {
      const started = await startLab({
        addressBase: '127.0.0.11',
        port: candidate,
        decoys: true,
        latencyMs: 0,
      });
      port = candidate;
      return started;
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

/** A loopback server whose connections each get `onSocket`; it sends `closed` as each one ends. */
async function server(onSocket: (s: Socket) => void): Promise<{
  port: number;
  /** Sends `connection` and `closed`. */
  events: Server;
  /** Connections open now. */
  open: () => number;
  close: () => Promise<void>;
}> {
  const sockets = new Set<Socket>();
  const srv: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => {
      sockets.delete(s);
      srv.emit('closed');
    });
    onSocket(s);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as AddressInfo).port,
    events: srv,
    open: () => sockets.size,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}

beforeAll(async () => {
  lab = await startAddressedLab();
  engine = createEngine({
    dataDir: await mkdtemp(join(tmpdir(), 'twinlock-discovery-')),
    lab: { hosts: lab.hosts },
  });
});
afterAll(async () => {
  await engine?.close();
  await lab?.close();
});

describe('the lab on its own addresses', () => {
  it('gives each server its own loopback address on the chosen port, and decoys above them', () => {
    expect(lab.hosts.map((h) => `${h.address}:${h.port}`)).toEqual([
      `127.0.0.11:${port}`,
      `127.0.0.12:${port}`,
    ]);
    expect(lab.decoys.map((d) => [d.role, d.address])).toEqual([
      ['windows-no-ssh', '127.0.0.21'],
      ['linux-ssh', '127.0.0.22'],
      ['silent', '127.0.0.23'],
    ]);
    expect(lab.decoys[0]!.ports).toEqual(expect.arrayContaining([3389, 5985]));
  });

  it('prefills the lab’s hosts', async () => {
    const s = await engine.api.suggestions({});
    expect(s.targets).toBe(`127.0.0.11:${port}, 127.0.0.12:${port}`);
  });
});

describe('scanning 127.0.0.0/24', () => {
  it('finds both lab servers with their banner and names, and classifies every decoy', async () => {
    const events: ApiEvent[] = [];
    const off = engine.subscribe((e) => events.push(e));
    const ref = await engine.api.scan({
      targets: '127.0.0.0/24',
      ports: [...DEFAULT_SCAN_PORTS, port],
      timeoutMs: 1000,
    });
    const job = (await engine.api.waitJob({ jobId: ref.jobId })) as JobSnapshotOf<'scan'>;
    off();
    expect(job.state).toBe('done');
    const by = new Map(job.result.map((h) => [h.address, h]));
    for (const [address, name] of [
      ['127.0.0.11', 'TL-NODE-A'],
      ['127.0.0.12', 'TL-NODE-B'],
    ] as const) {
      expect(by.get(address)).toMatchObject({
        port,
        name,
        kind: 'windows-ssh',
        banner: 'SSH-2.0-OpenSSH_for_Windows_8.1',
      });
      expect(by.get(address)!.rttMs).toBeGreaterThanOrEqual(0);
    }
    expect(by.get('127.0.0.21')).toMatchObject({ kind: 'windows-no-ssh' });
    expect(by.get('127.0.0.21')!.openPorts).toEqual(expect.arrayContaining([3389, 5985]));
    expect(by.get('127.0.0.21')!.fix?.[0]).toBe(
      'Add-WindowsCapability -Online -Name OpenSSH.Server~~~~0.0.1.0',
    );
    expect(by.get('127.0.0.22')).toMatchObject({ kind: 'ssh-not-windows', banner: LINUX_SSH_IDENT, port });
    expect(by.get('127.0.0.23')).toMatchObject({ kind: 'unknown', port, openPorts: [port] });
    expect(by.get('127.0.0.23')!.reason).toContain('sent no SSH identification');
    // Sorted by address; counts at the end; results streamed before the end.
    const addresses = job.result.map((h) => h.address);
    expect(addresses).toEqual(
      [...addresses].sort((a, b) => Number(a.split('.')[3]) - Number(b.split('.')[3])),
    );
    expect(job.counts).toEqual({ probed: 254, total: 254, found: job.result.length });
    const running = events.filter(
      (e): e is Extract<ApiEvent, { type: 'job' }> =>
        e.type === 'job' && e.job.id === ref.jobId && e.job.state === 'running',
    );
    expect(running.some((e) => e.job.kind === 'scan' && e.job.result.length > 0)).toBe(true);
  });

  it('excludes addresses', async () => {
    const outcome = await scan(planTargets('127.0.0.10-30 !127.0.0.12 !127.0.0.20-22'), {
      ports: [port],
      timeoutMs: 1000,
    });
    expect(outcome.hosts.map((h) => h.address)).toEqual(['127.0.0.11', '127.0.0.23']);
  });
});

describe('bad hosts', () => {
  it('reports a resetting port, a hanging port and a name that does not resolve, and goes on', async () => {
    const resetting = await server((s) => s.resetAndDestroy());
    const hanging = await server(() => undefined);
    try {
      const targets = `127.0.0.1:${resetting.port} 127.0.0.1:${hanging.port} nowhere.twinlock.invalid 127.0.0.11:${port}`;
      const outcome = await scan(planTargets(targets), { timeoutMs: 1000, bannerMs: 500 });
      const by = new Map(outcome.hosts.map((h) => [`${h.address}:${h.port}`, h]));
      expect(by.get(`127.0.0.1:${resetting.port}`)?.reason).toMatch(
        /closes them before identifying itself|refuses/,
      );
      expect(by.get(`127.0.0.1:${hanging.port}`)).toMatchObject({
        kind: 'unknown',
        openPorts: [hanging.port],
      });
      expect(by.get(`127.0.0.1:${hanging.port}`)!.reason).toContain(
        'sent no SSH identification within 500 ms',
      );
      expect(by.get('nowhere.twinlock.invalid:22')).toMatchObject({
        kind: 'unknown',
        name: 'nowhere.twinlock.invalid',
      });
      expect(by.get('nowhere.twinlock.invalid:22')!.reason).toContain('does not resolve');
      expect(by.get(`127.0.0.11:${port}`)).toMatchObject({ kind: 'windows-ssh' });
    } finally {
      await Promise.all([resetting.close(), hanging.close()]);
    }
  });
});

describe('cancel', () => {
  it('leaves no socket open', async () => {
    const hanging = await Promise.all(Array.from({ length: 6 }, () => server(() => undefined)));
    try {
      const targets = hanging.map((h) => `127.0.0.1:${h.port}`).join(' ') + ' 127.0.0.0/24';
      const ref = await engine.api.scan({ targets, ports: [port], timeoutMs: 20_000 });
      // Every hanging server holds a probe's connection, waiting for the banner it never sends.
      await waitFor(
        hanging.map((h) => ({ emitter: h.events, events: ['connection'] })),
        () => hanging.every((h) => h.open() > 0),
      );
      await engine.api.cancelJob({ jobId: ref.jobId });
      const job = await engine.api.waitJob({ jobId: ref.jobId });
      expect(job.state).toBe('cancelled');
      // The scan closed each of its sockets: every server sees its end go away.
      await waitFor(
        hanging.map((h) => ({ emitter: h.events, events: ['closed'] })),
        () => hanging.every((h) => h.open() === 0),
      );
      expect(hanging.map((h) => h.open())).toEqual([0, 0, 0, 0, 0, 0]);
    } finally {
      await Promise.all(hanging.map((h) => h.close()));
    }
  });

  it('stops a direct scan at once, on any signal', async () => {
    let accepted!: (s: Socket) => void;
    const connection = new Promise<Socket>((r) => (accepted = r));
    const hanging = await server((s) => accepted(s));
    try {
      const controller = new AbortController();
      const running = scan(planTargets(`127.0.0.1:${hanging.port}`), {
        timeoutMs: 20_000,
        bannerMs: 20_000,
        signal: controller.signal,
      }).then(
        () => null,
        (err: unknown) => err,
      );
      const serverSide = await connection;
      const closed = new Promise<void>((r) => serverSide.once('close', () => r()));
      controller.abort();
      // The server sees the scan's end of the connection go away.
      await closed;
      expect(await running).toMatchObject({ code: 'cancelled' });
      expect(hanging.open()).toBe(0);
    } finally {
      await hanging.close();
    }
  });
});

export type { DiscoveredHost };
