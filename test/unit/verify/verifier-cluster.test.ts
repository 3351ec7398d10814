/** The verifier at Level 1: which cluster scripts it runs where, with what, and when it leaves Test-Cluster out. */
import { describe, expect, it } from 'vitest';
import type { HostInventory } from '../../../engine/api/models';
import { TwinlockError } from '../../../engine/api/errors';
import type { RemoteHost } from '../../../engine/remote/types';
import type { LogonKind } from '../../../engine/verify/cluster';
import { TEST_CLUSTER_TIMEOUT_MS, createVerifier } from '../../../engine/verify/verifier';
import { prereqs, validation } from './cluster-fixture';
import { inventory, peerInventory } from './inventory-fixture';

interface Call {
  host: string;
  name: string;
  params: unknown;
  timeoutMs: number | undefined;
}

function setup(
  options: {
    logons?: [LogonKind, LogonKind];
    answer?: (host: string, name: string) => unknown;
  } = {},
) {
  const calls: Call[] = [];
  const logs: string[] = [];
  const inventories: Record<string, HostInventory> = {
    s1: inventory({
      vms: [
        { name: 'SQL01', state: 'Running', memoryBytes: 8 * 1024 ** 3 },
        { name: 'APP01', state: 'Off', memoryBytes: 4 * 1024 ** 3 },
      ],
    }),
    s2: peerInventory(),
  };
  const names: Record<string, string> = { s1: 'HV-A', s2: 'HV-B' };
  const answer =
    options.answer ??
    ((host: string, name: string) =>
      name === 'test-cluster'
        ? validation()
        : prereqs(
            host,
            { featureInstalled: true },
            host === 'HV-A' ? { SQL01: ['\\\\TL-FS01\\VMs\\SQL01'] } : {},
          ));
  const hostFor = (id: string): RemoteHost =>
    ({
      label: `${names[id]}:22`,
      isConnected: () => true,
      async runScript(name: string, params: unknown, run?: { timeoutMs?: number }) {
        calls.push({ host: names[id]!, name, params, timeoutMs: run?.timeoutMs });
        return answer(names[id]!, name);
      },
    }) as unknown as RemoteHost;
  const verifier = createVerifier({
    hostOf: async (id) => hostFor(id),
    readInventory: async (id) => inventories[id]!,
    lastInventory: (id) => inventories[id] ?? null,
    endpoint: (id) => ({
      address: id === 's1' ? '10.0.0.21' : '10.0.0.22',
      port: 22,
      computerName: names[id]!,
      logon: (options.logons ?? ['password', 'password'])[id === 's1' ? 0 : 1],
    }),
    resourcesDir: '/nonexistent',
    dataDir: '/nonexistent',
    log: (_level, message) => logs.push(message),
  });
  return { verifier, calls, logs };
}

describe('verifying at Level 1', () => {
  it('reads the prerequisites on both servers, then runs Test-Cluster from the first with both names', async () => {
    const { verifier, calls, logs } = setup();
    const report = await verifier.verify(['s1', 's2'], 1, {
      cluster: { name: 'PAIR01-CL', address: '10.0.0.50' },
    });
    const params = { clusterName: 'PAIR01-CL', clusterAddress: '10.0.0.50', vms: ['SQL01', 'APP01'] };
    // The second server checks the shares the first one's VMs are on.
    expect(calls.slice(0, 2)).toEqual([
      { host: 'HV-A', name: 'test-cluster-prereqs', params, timeoutMs: expect.any(Number) },
      {
        host: 'HV-B',
        name: 'test-cluster-prereqs',
        params: { ...params, sharePaths: ['\\\\TL-FS01\\VMs\\SQL01'] },
        timeoutMs: expect.any(Number),
      },
    ]);
    expect(calls[2]).toEqual({
      host: 'HV-A',
      name: 'test-cluster',
      params: { nodes: ['HV-A', 'HV-B'], include: [] },
      timeoutMs: TEST_CLUSTER_TIMEOUT_MS,
    });
    expect(calls).toHaveLength(3);
    expect(TEST_CLUSTER_TIMEOUT_MS).toBeGreaterThanOrEqual(10 * 60_000);
    expect(report.cluster).toEqual({ name: 'PAIR01-CL', address: '10.0.0.50' });
    expect(report.clusterPrereqs?.map((p) => p.computerName)).toEqual(['HV-A', 'HV-B']);
    expect(report.clusterValidation?.result).toBe('passed');
    expect(report.findings.filter((f) => f.category === 'Cluster')).toHaveLength(8);
    expect(logs.some((l) => l.startsWith('Running Windows’ Test-Cluster from HV-A'))).toBe(true);
  });

  it('asks for no name or address when none is chosen, and checks them later', async () => {
    const { verifier, calls } = setup();
    const report = await verifier.verify(['s1', 's2'], 1);
    expect(calls[0]!.params).toEqual({ clusterName: '', clusterAddress: '', vms: ['SQL01', 'APP01'] });
    expect(calls[1]!.params).toMatchObject({ sharePaths: ['\\\\TL-FS01\\VMs\\SQL01'] });
    expect(report.cluster).toBeNull();
    expect(report.outcome).toBe('ready');
  });

  it('leaves Test-Cluster out for a key-based logon to the first server, saying why', async () => {
    const { verifier, calls } = setup({ logons: ['key', 'key'] });
    const report = await verifier.verify(['s1', 's2'], 1);
    expect(calls.map((c) => c.name)).toEqual(['test-cluster-prereqs', 'test-cluster-prereqs']);
    expect(report.clusterValidation).toBeNull();
    const byId = Object.fromEntries(report.findings.map((f) => [f.ruleId, f]));
    expect(byId['cluster.logon']!.severity).toBe('blocker');
    expect(byId['cluster.validation']).toMatchObject({ severity: 'warning' });
    expect(byId['cluster.validation']!.reason).toMatch(
      /^Test-Cluster was not run: it reaches HV-B from HV-A as you/,
    );
    expect(report.outcome).toBe('blocked');
  });

  it('leaves Test-Cluster out when the edition has no Failover Clustering, or when asked to', async () => {
    const noFeature = setup({
      answer: (host, name) =>
        name === 'test-cluster'
          ? validation()
          : prereqs(host, host === 'HV-B' ? { featureAvailable: false } : { featureInstalled: true }),
    });
    const r1 = await noFeature.verifier.verify(['s1', 's2'], 1);
    expect(noFeature.calls.some((c) => c.name === 'test-cluster')).toBe(false);
    expect(r1.findings.find((f) => f.ruleId === 'cluster.validation')!.reason).toMatch(
      /Failover Clustering is not available on HV-B/,
    );
    const skipped = setup();
    const r2 = await skipped.verifier.verify(['s1', 's2'], 1, { testCluster: false });
    expect(skipped.calls.some((c) => c.name === 'test-cluster')).toBe(false);
    expect(r2.findings.find((f) => f.ruleId === 'cluster.validation')!.reason).toMatch(/--no-test-cluster/);
    expect(r2.outcome).toBe('warnings');
  });

  it('leaves Test-Cluster out until Failover Clustering is installed on both servers', async () => {
    const { verifier, calls } = setup({
      answer: (host) => prereqs(host, { featureInstalled: host === 'HV-A' }),
    });
    const report = await verifier.verify(['s1', 's2'], 1);
    expect(calls.some((c) => c.name === 'test-cluster')).toBe(false);
    expect(report.findings.find((f) => f.ruleId === 'cluster.validation')).toMatchObject({
      severity: 'warning',
      reason: expect.stringMatching(
        /^Test-Cluster was not run: Failover Clustering is not installed on HV-B yet/,
      ),
    });
  });

  it('turns a Test-Cluster that could not run into a finding with Windows’ message', async () => {
    const { verifier } = setup({
      answer: (host, name) => {
        if (name === 'test-cluster')
          throw new TwinlockError({ code: 'script-failed', message: 'Access is denied.', hint: '' });
        return prereqs(host, { featureInstalled: true });
      },
    });
    const report = await verifier.verify(['s1', 's2'], 1);
    expect(report.clusterValidation).toBeNull();
    expect(report.findings.find((f) => f.ruleId === 'cluster.validation')!.reason).toBe(
      'Test-Cluster could not run from HV-A (Access is denied), so Windows’ own validation is still to come.',
    );
  });

  it('refuses a prerequisites answer that is not the contract’s shape', async () => {
    const { verifier } = setup({ answer: () => ({ computerName: 'HV-A' }) });
    await expect(verifier.verify(['s1', 's2'], 1)).rejects.toThrow();
  });

  it('runs no cluster script at Levels 2 and 3, nor when the cluster checks are turned off', async () => {
    const { verifier, calls } = setup();
    const l3 = await verifier.verify(['s1', 's2'], 3);
    await verifier.verify(['s1', 's2'], 2);
    const l1 = await verifier.verify(['s1', 's2'], 1, { clusterChecks: false });
    expect(calls).toEqual([]);
    expect(l3.clusterPrereqs).toBeUndefined();
    expect(l1.findings.some((f) => f.category === 'Cluster')).toBe(false);
    expect(verifier.clusterEvidence(['s1', 's2'])).toBeNull();
  });

  it('keeps the evidence for the pair, turned round when the pair is named the other way', async () => {
    const { verifier } = setup({ logons: ['key', 'password'] });
    await verifier.verify(['s1', 's2'], 1);
    const same = verifier.clusterEvidence(['s1', 's2'])!;
    expect(same.logons).toEqual(['key', 'password']);
    expect(same.prereqs.map((p) => p.computerName)).toEqual(['HV-A', 'HV-B']);
    const turned = verifier.clusterEvidence(['s2', 's1'])!;
    expect(turned.logons).toEqual(['password', 'key']);
    expect(turned.prereqs.map((p) => p.computerName)).toEqual(['HV-B', 'HV-A']);
  });
});
