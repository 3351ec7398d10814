/**
 * Level 1 through the engine's API against the lab: the request's cluster and testCluster reach
 * the servers, the report carries what they read, and a pair the cluster rules block is not
 * proposed at Level 1.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HostSession, TwinlockEngine, TwinlockErrorData } from '../../../engine/api';
import { createEngine } from '../../../engine/engine';
import type { Lab } from '../../../lab/index';
import { startLab } from '../../../lab/index';

let dataDir: string | null = null;
let lab: Lab | null = null;
let engine: TwinlockEngine | null = null;

afterEach(async () => {
  await engine?.close();
  await lab?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  engine = lab = dataDir = null;
});

async function open(profile: string): Promise<[TwinlockEngine, [HostSession, HostSession], Lab]> {
  dataDir = await mkdtemp(join(tmpdir(), 'twinlock-verify-l1-'));
  const l = await startLab({ profile, latencyMs: 1 });
  lab = l;
  for (const h of l.hosts) l.host(h.name).profile.roles.failoverClustering = true;
  const e = createEngine({ dataDir, lab: { hosts: l.hosts } });
  engine = e;
  const sessions = (await Promise.all(
    l.hosts.map((h) =>
      e.api.connect({
        address: h.address,
        port: h.port,
        username: h.username,
        password: h.password,
        acceptFingerprint: h.fingerprint,
      }),
    ),
  )) as [HostSession, HostSession];
  return [e, sessions, l];
}

describe('verify at Level 1 through the API', () => {
  it('checks the cluster asked for and keeps Test-Cluster out when asked', async () => {
    const [e, [a, b]] = await open('matched-pair');
    const report = await e.api.verify({
      sessions: [a.sessionId, b.sessionId],
      level: 1,
      cluster: { name: 'TL-PAIR-CL', address: '192.168.50.60' },
      testCluster: false,
    });
    expect(report.cluster).toEqual({ name: 'TL-PAIR-CL', address: '192.168.50.60' });
    expect(report.clusterValidation).toBeNull();
    expect(report.clusterPrereqs?.[0].address).toEqual({ inUse: false, onLinkAdapter: 'Embedded NIC 1' });
    expect(report.outcome).toBe('warnings');
    const bad = await e.api
      .verify({
        sessions: [a.sessionId, b.sessionId],
        level: 1,
        cluster: { name: '-bad-', address: '192.168.50.60' },
      })
      .then(
        () => null,
        (err: TwinlockErrorData) => err,
      );
    expect(bad?.code).toBe('invalid-input');
    expect(bad?.message).toContain('A cluster name is a computer name');
  });

  it('refuses Level 1 in the proposal of a pair the cluster rules block, with the rule’s sentence', async () => {
    const [e, [a, b]] = await open('different-domains');
    const before = await e.api.proposePair({ primary: a.sessionId, secondary: b.sessionId });
    // Before Level 1's prerequisites were read, the inventories' own domain rule speaks.
    expect(before.levels![0]!.blockers).toEqual(['security.domain']);
    const report = await e.api.verify({ sessions: [a.sessionId, b.sessionId], level: 1 });
    expect(report.blockersByLevel[0]).toBe(2);
    const after = await e.api.proposePair({ primary: a.sessionId, secondary: b.sessionId });
    expect(after.levels![0]).toMatchObject({
      level: 1,
      ready: false,
      blockers: ['cluster.domain', 'cluster.validation'],
    });
    expect(after.levels![0]!.reasons[0]).toBe(
      'Domain or workgroup cluster: TL-NODE-A is a member of contoso.local and TL-NODE-B of fabrikam.local, and every node of a failover cluster must be a member of the same domain.',
    );
    expect(after.levels![2]!.ready).toBe(true);
  });
});
