import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiscoveredHost } from '../../../engine/api/models';
import { classify, probe, runScan } from '../../../engine/discovery/scan';
import { parseTargets } from '../../../engine/discovery/targets';
import { fakeContext } from '../agent/fakes';
import { bannerServer } from './banner-server';

let windows: Awaited<ReturnType<typeof bannerServer>>;
let linux: Awaited<ReturnType<typeof bannerServer>>;
let silent: Awaited<ReturnType<typeof bannerServer>>;

beforeAll(async () => {
  windows = await bannerServer('SSH-2.0-OpenSSH_for_Windows_8.1');
  linux = await bannerServer('SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13');
  silent = await bannerServer(null);
});
afterAll(async () => {
  await Promise.all([windows.close(), linux.close(), silent.close()]);
});

describe('scan', () => {
  it('reads the SSH identification line', async () => {
    const r = await probe('127.0.0.1', windows.port, 1000);
    expect(r).toMatchObject({ open: true, banner: 'SSH-2.0-OpenSSH_for_Windows_8.1' });
    expect(r.rttMs).toBeGreaterThanOrEqual(0);
  });

  it('classifies Windows, other SSH, silent and closed ports', async () => {
    const ctx = fakeContext<'scan'>();
    const closedPort = 1; // tcpmux: never listening on a build machine
    const targets = parseTargets(
      `127.0.0.1:${windows.port} 127.0.0.1:${linux.port} 127.0.0.1:${silent.port} 127.0.0.1:${closedPort}`,
    );
    const found = await runScan(ctx, targets, { timeoutMs: 300 });
    expect(found.map((h) => [h.port, h.kind])).toEqual([
      [windows.port, 'windows-ssh'],
      [linux.port, 'ssh-not-windows'],
      [silent.port, 'unknown'],
      [closedPort, 'unknown'],
    ]);
    expect(found[3]).toMatchObject({ openPorts: [], rttMs: null });
    expect(found[3]?.reason).toContain('Did not answer');
    expect((ctx.partials.at(-1) as DiscoveredHost[]).length).toBe(4);
    expect(ctx.progressLog.at(-1)?.percent).toBe(100);
  });

  it('leaves silent addresses of a range out', async () => {
    const ctx = fakeContext<'scan'>();
    const found = await runScan(ctx, parseTargets('127.0.0.1-3'), { ports: [1], timeoutMs: 200 });
    expect(found).toEqual([]);
  });

  it('explains each kind', () => {
    expect(classify({ open: false, rttMs: null, banner: null }, 22).reason).toContain('port 22');
  });
});
