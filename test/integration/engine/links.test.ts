/**
 * `measureLinks` against the lab over real SSH: the measure-link scripts on both servers at once,
 * figures that follow each profile's link model, and verdicts against the level.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LinkMeasurements, SyncLink, TwinlockEngine } from '../../../engine/api';
import { createEngine } from '../../../engine/engine';
import type { Lab } from '../../../lab/index';
import { startLab } from '../../../lab/index';

const PORT1: SyncLink = {
  localNic: 'SLOT 3 Port 1',
  remoteNic: 'SLOT 3 Port 1',
  localAddress: '10.10.1.21',
  remoteAddress: '10.10.1.22',
};
const PORT2: SyncLink = {
  localNic: 'SLOT 3 Port 2',
  remoteNic: 'SLOT 3 Port 2',
  localAddress: '10.10.2.21',
  remoteAddress: '10.10.2.22',
};

interface Running {
  lab: Lab;
  engine: TwinlockEngine;
  ids: [string, string];
  dataDir: string;
}
const running: Running[] = [];

async function open(profile: string): Promise<Running> {
  const lab = await startLab({ profile, timeScale: 600, latencyMs: 2 });
  const dataDir = await mkdtemp(join(tmpdir(), 'twinlock-links-'));
  const engine = createEngine({ dataDir, lab: { hosts: lab.hosts } });
  const sessions = await Promise.all(
    lab.hosts.map((h) =>
      engine.api.connect({
        address: h.address,
        port: h.port,
        username: h.username,
        password: h.password,
        acceptFingerprint: h.fingerprint,
      }),
    ),
  );
  const r = { lab, engine, dataDir, ids: sessions.map((s) => s.sessionId) as [string, string] };
  running.push(r);
  return r;
}

afterAll(async () => {
  for (const r of running) {
    await r.engine.close();
    await r.lab.close();
    await rm(r.dataDir, { recursive: true, force: true });
  }
});

const measure = (r: Running, links: SyncLink[], level: 1 | 2 | 3 = 3): Promise<LinkMeasurements> =>
  r.engine.api.measureLinks({ primary: r.ids[0], secondary: r.ids[1], links, level, seconds: 1 });

const figures = (m: LinkMeasurements) =>
  m.links.map((l) => l.directions.map((d) => [d.rttMs, d.mbps, d.lossPct]));

describe('measureLinks against the lab', () => {
  const seen: Record<string, string> = {};

  it('matched-pair: both links ok at Level 3, both directions reached, 25 GbE figures', async () => {
    const r = await open('matched-pair');
    const m = await measure(r, [PORT1, PORT2]);
    expect(m.verdict, JSON.stringify(m)).toBe('ok');
    for (const l of m.links) {
      expect(l.directions.map((d) => `${d.from}>${d.to}`)).toEqual([
        'TL-NODE-A>TL-NODE-B',
        'TL-NODE-B>TL-NODE-A',
      ]);
      for (const d of l.directions) {
        expect(d.reached).toBe(true);
        expect(d.mbps).toBeGreaterThan(20_000);
        expect(d.rttMs).toBeLessThan(1);
        expect(d.lossPct).toBe(0);
      }
    }
    seen['matched-pair'] = JSON.stringify(figures(m));
    // A cut cable (one named link) is a blocker, and fails fast; the other link is still fine.
    r.lab.host('TL-NODE-B').faults.cutLinks = ['SLOT 3 Port 1'];
    try {
      const started = Date.now();
      const cut = await measure(r, [PORT1, PORT2]);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(cut.verdict).toBe('blocker');
      expect(cut.links[0]!.verdict).toBe('blocker');
      expect(cut.links[0]!.directions.every((d) => !d.reached)).toBe(true);
      expect(cut.links[0]!.reasons[0]).toMatch(
        /^Nothing from TL-NODE-A reached TL-NODE-B: no answer from 10\.10\.1\.22/,
      );
      expect(cut.links[1]!.verdict).toBe('ok');
    } finally {
      r.lab.host('TL-NODE-B').faults.cutLinks = [];
    }
  }, 60_000);

  it('slow-sync-links: a warning naming the throughput and what Level 3 wants; ok at Level 1', async () => {
    const r = await open('slow-sync-links');
    const m = await measure(r, [PORT1]);
    expect(m.verdict).toBe('warning');
    const mbps = m.links[0]!.directions[0]!.mbps!;
    expect(mbps).toBeGreaterThan(900);
    expect(mbps).toBeLessThan(1000);
    expect(m.links[0]!.reasons[0]).toMatch(
      /^Throughput from TL-NODE-A to TL-NODE-B is 9\d\d Mbit\/s; Level 3 wants a 10 Gbit\/s class link \(at least 9,000 Mbit\/s measured\)\.$/,
    );
    expect((await measure(r, [PORT1], 1)).verdict).toBe('ok');
    seen['slow-sync-links'] = JSON.stringify(figures(m));
  }, 60_000);

  it('lossy-sync-links: a warning naming the loss', async () => {
    const r = await open('lossy-sync-links');
    const m = await measure(r, [PORT1]);
    expect(m.verdict).toBe('warning');
    expect(m.links[0]!.directions[0]!.lossPct).toBeGreaterThan(0);
    expect(m.links[0]!.reasons.join(' ')).toMatch(
      /\d\.\d % of probes from TL-NODE-A to TL-NODE-B were lost; Level 3 wants under 0\.1 %\./,
    );
    seen['lossy-sync-links'] = JSON.stringify(figures(m));
  }, 60_000);

  it('long-latency-sync-links: a warning naming the round trip; ok at Level 1', async () => {
    const r = await open('long-latency-sync-links');
    const m = await measure(r, [PORT1]);
    expect(m.verdict).toBe('warning');
    expect(m.links[0]!.reasons[0]).toMatch(
      /^Round trip from TL-NODE-A to TL-NODE-B is 3\.\d\d ms; Level 3 wants under 1 ms\.$/,
    );
    expect((await measure(r, [PORT1], 1)).verdict).toBe('ok');
    seen['long-latency-sync-links'] = JSON.stringify(figures(m));
  }, 60_000);

  it('uncabled-sync-link: the link without a cable is a blocker; addresses added for it are removed', async () => {
    const r = await open('uncabled-sync-link');
    // Links usually come without addresses: measure over ones the adapters do not have.
    const bare: SyncLink = {
      ...PORT2,
      localAddress: '172.31.9.1',
      remoteAddress: '172.31.9.2',
      prefixLength: 30,
    };
    const m = await measure(r, [PORT1, bare]);
    expect(m.verdict).toBe('blocker');
    expect(m.links[0]!.verdict).toBe('ok');
    expect(m.links[1]!.verdict).toBe('blocker');
    expect(m.links[1]!.directions.map((d) => d.reached)).toEqual([false, false]);
    for (const name of ['TL-NODE-A', 'TL-NODE-B'])
      expect(r.lab.host(name).profile.nics.flatMap((n) => n.ipv4.map((i) => i.address))).not.toContain(
        name === 'TL-NODE-A' ? '172.31.9.1' : '172.31.9.2',
      );
  }, 60_000);

  it('gives different figures for profiles with different link models', () => {
    const all = Object.values(seen);
    expect(all.length).toBe(4);
    expect(new Set(all).size).toBe(all.length);
  });
});
