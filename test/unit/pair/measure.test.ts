/** Judging measured sync links against a level, and one direction's failure never throwing. */
import { describe, expect, it } from 'vitest';
import { LINK_THRESHOLDS, judgeLink, measureLinks } from '../../../engine/pair/measure';
import type { RemoteHost } from '../../../engine/remote/types';
import { TwinlockError } from '../../../engine/api/errors';

const dir = (over: Partial<Parameters<typeof judgeLink>[0][0]> = {}) => ({
  from: 'TL-NODE-A',
  to: 'TL-NODE-B',
  reached: true,
  rttMs: 0.09,
  mbps: 9_400,
  lossPct: 0,
  ...over,
});
const back = (over = {}) => dir({ from: 'TL-NODE-B', to: 'TL-NODE-A', ...over });

describe('LINK_THRESHOLDS', () => {
  it('want 10 Gbit/s class, sub-millisecond and lossless links at Levels 3 and 2, 1 Gbit/s class at Level 1', () => {
    for (const level of [2, 3] as const)
      expect(LINK_THRESHOLDS[level]).toMatchObject({ minMbps: 9000, maxRttMs: 1, maxLossPct: 0.1 });
    expect(LINK_THRESHOLDS[1]).toMatchObject({ minMbps: 900, maxRttMs: 5, maxLossPct: 1 });
  });
});

describe('judgeLink', () => {
  it('passes a 10 GbE link at Level 3', () => {
    expect(judgeLink([dir(), back()], 3)).toEqual({ verdict: 'ok', reasons: [] });
  });

  it('warns about a 1 GbE link at Level 3 with the figure and what the level wants, and passes it at Level 1', () => {
    const j = judgeLink([dir({ mbps: 938.4, rttMs: 0.21 }), back({ mbps: 941 })], 3);
    expect(j.verdict).toBe('warning');
    expect(j.reasons[0]).toBe(
      'Throughput from TL-NODE-A to TL-NODE-B is 938 Mbit/s; Level 3 wants a 10 Gbit/s class link (at least 9,000 Mbit/s measured).',
    );
    expect(j.reasons).toHaveLength(2);
    expect(judgeLink([dir({ mbps: 938.4, rttMs: 0.21 }), back({ mbps: 941 })], 1).verdict).toBe('ok');
  });

  it('warns about round trips at the threshold and above, and loss at the threshold and above', () => {
    const slow = judgeLink([dir({ rttMs: 1 }), back()], 2);
    expect(slow.reasons).toEqual([
      'Round trip from TL-NODE-A to TL-NODE-B is 1.00 ms; Level 2 wants under 1 ms.',
    ]);
    expect(judgeLink([dir({ rttMs: 0.99 }), back()], 2).verdict).toBe('ok');
    const lossy = judgeLink([dir(), back({ lossPct: 0.5 })], 3);
    expect(lossy.reasons).toEqual([
      '0.5 % of probes from TL-NODE-B to TL-NODE-A were lost; Level 3 wants under 0.1 %.',
    ]);
    expect(judgeLink([dir({ lossPct: 0.05 }), back()], 3).verdict).toBe('ok');
    expect(judgeLink([dir({ lossPct: 1, rttMs: 4.9, mbps: 900 }), back()], 1).reasons).toHaveLength(1);
  });

  it('blocks a link that one direction does not reach, with the reason', () => {
    const j = judgeLink(
      [dir(), back({ reached: false, rttMs: null, mbps: null, lossPct: null, reason: 'no answer' })],
      1,
    );
    expect(j.verdict).toBe('blocker');
    expect(j.reasons[0]).toMatch(/^Nothing from TL-NODE-B reached TL-NODE-A: no answer\./);
  });
});

function fakeHost(answer: (params: any) => unknown): RemoteHost {
  return {
    label: 'x',
    address: 'x',
    port: 22,
    username: 'a',
    fingerprint: 'f',
    runScript: async (_name: string, params: any) => answer(params),
    upload: async () => {},
    mkdirp: async () => {},
    isConnected: () => true,
    close: async () => {},
  } as unknown as RemoteHost;
}

describe('measureLinks', () => {
  const link = {
    localNic: 'SLOT 3 Port 1',
    remoteNic: 'SLOT 3 Port 1',
    localAddress: '10.10.1.21',
    remoteAddress: '10.10.1.22',
  };

  it('runs a listener and a sender per direction, and a script failure becomes reached:false', async () => {
    const calls: any[] = [];
    const a = fakeHost((p) => {
      calls.push({ on: 'A', ...p });
      if (p.mode === 'listen') return { connected: true };
      return { reached: true, reason: null, rttMs: 0.08, mbps: 9_390.2, lossPct: 0 };
    });
    const b = fakeHost((p) => {
      calls.push({ on: 'B', ...p });
      if (p.mode === 'send')
        throw new TwinlockError({
          code: 'script-failed',
          message: "This server has no adapter named 'SLOT 3 Port 1'.",
        });
      return { connected: false };
    });
    const r = await measureLinks(
      { host: a, computerName: 'TL-NODE-A' },
      { host: b, computerName: 'TL-NODE-B' },
      { links: [link], level: 3, seconds: 1 },
    );
    expect(calls.map((c) => `${c.on}:${c.mode}`)).toEqual(['B:listen', 'A:send', 'A:listen', 'B:send']);
    expect(calls[1]).toMatchObject({
      localAddress: '10.10.1.21',
      remoteAddress: '10.10.1.22',
      prefixLength: 24,
    });
    expect(r.verdict).toBe('blocker');
    expect(r.links[0]!.directions[0]).toMatchObject({ reached: true, mbps: 9_390.2 });
    expect(r.links[0]!.directions[1]).toMatchObject({ reached: false, mbps: null });
    expect(r.links[0]!.reasons[0]).toContain(
      "the sender on TL-NODE-B failed: This server has no adapter named 'SLOT 3 Port 1'.",
    );
  });
});
