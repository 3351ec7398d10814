import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiscoveredHost } from '../../../engine/api/models';
import {
  ENABLE_OPENSSH_STEPS,
  HostTable,
  classify,
  compareHosts,
  mergeHosts,
} from '../../../engine/discovery/classify';
import { probePort } from '../../../engine/discovery/probe';
import type { PortProbe } from '../../../engine/discovery/probe';
import { runScan, scan } from '../../../engine/discovery/scan';
import type { NameResolver } from '../../../engine/discovery/resolve';
import { planTargets } from '../../../engine/discovery/targets';
import { fakeContext } from '../agent/fakes';
import { bannerServer } from './banner-server';

let windows: Awaited<ReturnType<typeof bannerServer>>;
let linux: Awaited<ReturnType<typeof bannerServer>>;
let silent: Awaited<ReturnType<typeof bannerServer>>;

/** Resolves nothing, without a query leaving the machine. */
const noDns: NameResolver = {
  lookup: (name) => Promise.reject(Object.assign(new Error(name), { code: 'ENOTFOUND' })),
  reverse: () => Promise.resolve([]),
  cancel: () => undefined,
};

beforeAll(async () => {
  windows = await bannerServer('SSH-2.0-OpenSSH_for_Windows_8.1');
  linux = await bannerServer('SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13');
  silent = await bannerServer(null);
});
afterAll(async () => {
  await Promise.all([windows.close(), linux.close(), silent.close()]);
});

const p = (port: number, state: PortProbe['state'], extra: Partial<PortProbe> = {}): PortProbe => ({
  port,
  state,
  rttMs: state === 'open' || state === 'closed' ? 1 : null,
  banner: null,
  note: null,
  ...extra,
});
const evidence = (probes: PortProbe[]) => ({ sshPort: 22, probes, timeoutMs: 1000, bannerMs: 1500 });
const host = (address: string, extra: Partial<DiscoveredHost> = {}): DiscoveredHost => ({
  address,
  port: 22,
  name: null,
  kind: 'unknown',
  banner: null,
  openPorts: [],
  rttMs: null,
  reason: 'r',
  ...extra,
});

describe('probe', () => {
  it('reads the SSH identification line and the connect time', async () => {
    const r = await probePort('127.0.0.1', windows.port, {
      timeoutMs: 1000,
      bannerMs: 1000,
      sockets: new Set(),
    });
    expect(r).toMatchObject({ state: 'open', banner: 'SSH-2.0-OpenSSH_for_Windows_8.1' });
    expect(r.rttMs).toBeGreaterThanOrEqual(0);
  });

  it('tells a silent port and a refused one apart', async () => {
    const sockets = new Set<never>();
    expect(
      await probePort('127.0.0.1', silent.port, { timeoutMs: 1000, bannerMs: 100, sockets }),
    ).toMatchObject({ state: 'open', note: 'silent', banner: null });
    expect(await probePort('127.0.0.1', 1, { timeoutMs: 1000, bannerMs: 100, sockets })).toMatchObject({
      state: 'closed',
      code: 'ECONNREFUSED',
    });
    expect(sockets.size).toBe(0);
  });
});

describe('classify', () => {
  it('a Windows OpenSSH banner is ready', () => {
    expect(
      classify(evidence([p(22, 'open', { banner: 'SSH-2.0-OpenSSH_for_Windows_8.1' }), p(445, 'open')])).kind,
    ).toBe('windows-ssh');
  });

  it('Windows services without SSH get the OpenSSH steps', () => {
    const c = classify(evidence([p(22, 'closed'), p(445, 'open'), p(3389, 'open'), p(5985, 'timeout')]));
    expect(c.kind).toBe('windows-no-ssh');
    expect(c.reason).toContain('SMB (445) and RDP (3389)');
    expect(c.reason).toContain('enable the OpenSSH Server');
    expect(c.fix).toEqual([...ENABLE_OPENSSH_STEPS]);
    expect(c.fix?.join('\n')).toMatch(
      /Start-Service sshd[\s\S]*StartupType 'Automatic'[\s\S]*New-NetFirewallRule/,
    );
  });

  it('another SSH server is not Windows', () => {
    const c = classify(evidence([p(22, 'open', { banner: 'SSH-2.0-OpenSSH_9.2p1 Debian-2' })]));
    expect(c).toMatchObject({ kind: 'ssh-not-windows' });
    expect(c.reason).toContain('OpenSSH_9.2p1 Debian-2');
  });

  it('silent, resetting, refusing and dead hosts are unknown, each with its reason', () => {
    expect(classify(evidence([p(22, 'open', { note: 'silent' })])).reason).toContain(
      'sent no SSH identification within 1500 ms',
    );
    expect(classify(evidence([p(22, 'open', { note: 'reset' })])).reason).toContain(
      'closes them before identifying itself',
    );
    expect(classify(evidence([p(22, 'closed'), p(445, 'closed')])).reason).toContain(
      'refuses ports 22 and 445',
    );
    expect(classify(evidence([p(22, 'timeout')])).reason).toContain(
      'Nothing answered on port 22 within 1000 ms',
    );
    expect(classify(evidence([p(22, 'closed'), p(8080, 'open')])).reason).toContain('Only TCP 8080 answers');
    for (const probes of [[p(22, 'open', { note: 'silent' })], [p(22, 'timeout')]]) {
      const c = classify(evidence(probes));
      expect(c.kind).toBe('unknown');
      expect(c.reason.split(/[.!?]\s/)).toHaveLength(1);
    }
  });
});

describe('merge and sort', () => {
  it('sorts IPv4 numerically, then IPv6, then names', () => {
    const list = ['10.0.0.10', 'hv01', '10.0.0.9', 'fd00::1', '9.255.255.255', '::1'].map((a) => host(a));
    expect(list.sort(compareHosts).map((h) => h.address)).toEqual([
      '9.255.255.255',
      '10.0.0.9',
      '10.0.0.10',
      '::1',
      'fd00::1',
      'hv01',
    ]);
  });

  it('merges a name and its address into one host, keeping the best of both', () => {
    const a = host('10.0.0.5', {
      name: 'hv01.contoso.local',
      kind: 'windows-no-ssh',
      openPorts: [445],
      rttMs: 3,
    });
    const b = host('10.0.0.5', {
      kind: 'windows-ssh',
      banner: 'SSH-2.0-OpenSSH_for_Windows_8.1',
      openPorts: [22, 445],
      rttMs: 1.5,
    });
    expect(mergeHosts(a, b)).toMatchObject({
      name: 'hv01.contoso.local',
      kind: 'windows-ssh',
      openPorts: [22, 445],
      rttMs: 1.5,
    });
    const table = new HostTable();
    table.add(host('10.0.0.9'));
    table.add(a);
    table.add(b);
    table.add(host('10.0.0.5', { port: 2222 }));
    expect(table.list().map((h) => `${h.address}:${h.port}:${h.kind}`)).toEqual([
      '10.0.0.5:22:windows-ssh',
      '10.0.0.5:2222:unknown',
      '10.0.0.9:22:unknown',
    ]);
  });
});

describe('scan', () => {
  it('classifies Windows, other SSH, silent and closed ports typed with addresses, sorted', async () => {
    const ctx = fakeContext<'scan'>();
    const plan = planTargets(
      `127.0.0.1:1 127.0.0.1:${linux.port} 127.0.0.1:${windows.port} 127.0.0.1:${silent.port}`,
    );
    const found = await runScan(ctx, plan, { timeoutMs: 1000 }, { resolver: noDns });
    const byPort = new Map(found.map((h) => [h.port, h.kind]));
    expect(byPort).toEqual(
      new Map([
        [1, 'unknown'],
        [linux.port, 'ssh-not-windows'],
        [windows.port, 'windows-ssh'],
        [silent.port, 'unknown'],
      ]),
    );
    expect(found.map((h) => h.port)).toEqual([...found.map((h) => h.port)].sort((a, b) => a - b));
    expect(found.find((h) => h.port === 1)).toMatchObject({ openPorts: [], banner: null });
    expect((ctx.partials.at(-1) as DiscoveredHost[]).length).toBe(4);
    expect(ctx.progressLog.at(-1)?.percent).toBe(100);
  });

  it('leaves silent addresses of a range out and counts every target', async () => {
    const counts: Array<{ probed: number; total: number; found: number }> = [];
    const outcome = await scan(planTargets('127.0.0.1-3'), {
      ports: [1],
      timeoutMs: 500,
      resolver: noDns,
      onProgress: (c) => counts.push(c),
    });
    expect(outcome.hosts).toEqual([]);
    expect(counts.at(-1)).toEqual({ probed: 3, total: 3, found: 0 });
  });

  it('reports a name that does not resolve and goes on', async () => {
    const outcome = await scan(planTargets(`nothing.invalid 127.0.0.1:${windows.port}`), {
      timeoutMs: 500,
      resolver: noDns,
    });
    expect(outcome.hosts.map((h) => h.kind)).toEqual(['windows-ssh', 'unknown']);
    expect(outcome.hosts[1]).toMatchObject({ address: 'nothing.invalid', name: 'nothing.invalid' });
    expect(outcome.hosts[1]?.reason).toContain('does not resolve');
  });

  it('names hosts from the lab first, then reverse DNS', async () => {
    const resolver: NameResolver = { ...noDns, reverse: () => Promise.resolve(['from-ptr.example']) };
    const outcome = await scan(planTargets(`127.0.0.1:${windows.port} 127.0.0.1:${linux.port}`), {
      resolver,
      knownName: (_a, port) => (port === windows.port ? 'TL-NODE-A' : null),
    });
    expect(outcome.hosts.map((h) => h.name).sort()).toEqual(['TL-NODE-A', 'from-ptr.example']);
  });

  it('stops at the deadline with what it found', async () => {
    const outcome = await scan(planTargets(`127.0.0.1:${silent.port}`), {
      timeoutMs: 5000,
      bannerMs: 5000,
      deadlineMs: 200,
      resolver: noDns,
    });
    expect(outcome.deadlineReached).toBe(true);
    expect(outcome.counts.probed).toBe(0);
  });

  it('is cancelled by its signal', async () => {
    const controller = new AbortController();
    const running = scan(planTargets(`127.0.0.1:${silent.port}`), {
      timeoutMs: 5000,
      bannerMs: 5000,
      resolver: noDns,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 100);
    await expect(running).rejects.toMatchObject({ code: 'cancelled' });
  });
});
