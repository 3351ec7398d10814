import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { PairConfig } from '../../../engine/api/models';
import { createBundle } from '../../../engine/bundle/bundle';
import { CLUSTER_REPLAY_FLAGS, isBundlePair, replayCluster } from '../../../engine/api/cluster-replay';

const fpA = 'SHA256:' + 'a'.repeat(43);
const fpB = 'SHA256:' + 'b'.repeat(43);
const fpC = 'SHA256:' + 'c'.repeat(43);
const fpD = 'SHA256:' + 'd'.repeat(43);

const config: PairConfig = {
  name: 'PAIR-01',
  level: 1,
  primary: 's1',
  secondary: 's2',
  links: [
    {
      localNic: 'SLOT 3 Port 1',
      remoteNic: 'SLOT 3 Port 1',
      localAddress: '10.10.1.21',
      remoteAddress: '10.10.1.22',
    },
  ],
  witness: { kind: 'file-share', address: '\\\\files\\witness' },
  vms: ['SQL01'],
  cluster: { name: 'PAIR01-CL', address: '10.0.0.50' },
};

const bundleOf = (c: PairConfig) =>
  createBundle(
    {
      config: c,
      primary: { address: '10.0.1.21', port: 22, fingerprint: fpA, computerName: 'HV-A' },
      secondary: { address: '10.0.1.22', port: 22, fingerprint: fpB, computerName: 'HV-B' },
      agent: { version: '3.2.1', sha256: 'e'.repeat(64) },
    },
    generateKeyPairSync('ed25519').privateKey,
  );
const level1 = bundleOf(config);
const level3 = bundleOf({ ...config, level: 3, cluster: undefined });
const other = [{ fingerprint: fpC }, { fingerprint: fpD }] as const;

describe('a Level 1 bundle’s cluster on replay', () => {
  it('keeps the bundle’s cluster on the pair it was exported from, whichever server is primary', () => {
    for (const servers of [
      [{ fingerprint: fpA }, { fingerprint: fpB }],
      [{ fingerprint: fpB }, { fingerprint: fpA }],
    ] as const) {
      expect(isBundlePair(level1, servers)).toBe(true);
      expect(replayCluster(level1, {}, servers)).toEqual({
        cluster: { name: 'PAIR01-CL', address: '10.0.0.50' },
        issues: [],
      });
    }
  });

  it('takes this pair’s own name and address on another pair', () => {
    expect(replayCluster(level1, { clusterName: 'PAIR02-CL', clusterAddress: '10.0.0.51' }, other)).toEqual({
      cluster: { name: 'PAIR02-CL', address: '10.0.0.51' },
      issues: [],
    });
  });

  it('refuses the first pair’s name and address on another pair, in one sentence naming both fixes', () => {
    const { issues } = replayCluster(level1, {}, other, CLUSTER_REPLAY_FLAGS);
    expect(issues).toEqual([
      {
        field: '--cluster-name',
        message:
          'the cluster name PAIR01-CL and address 10.0.0.50 belong to the first pair’s cluster (HV-A and HV-B, where the bundle PAIR-01 was exported): give this pair’s own with --cluster-name and --cluster-address.',
      },
    ]);
  });

  it('refuses the first pair’s address when only the name was given, and its name (in any case) when only the address was', () => {
    expect(replayCluster(level1, { clusterName: 'PAIR02-CL' }, other).issues).toEqual([
      {
        field: 'clusterAddress',
        message:
          'the cluster address 10.0.0.50 belongs to the first pair’s cluster (HV-A and HV-B, where the bundle PAIR-01 was exported): give this pair’s own with clusterAddress.',
      },
    ]);
    expect(
      replayCluster(level1, { clusterName: 'pair01-cl', clusterAddress: '10.0.0.51' }, other).issues,
    ).toEqual([
      {
        field: 'clusterName',
        message:
          'the cluster name PAIR01-CL belongs to the first pair’s cluster (HV-A and HV-B, where the bundle PAIR-01 was exported): give this pair’s own with clusterName.',
      },
    ]);
  });

  it('refuses a cluster name or address for a Level 2 or 3 bundle, rather than ignoring it', () => {
    const { cluster, issues } = replayCluster(
      level3,
      { clusterName: 'PAIR02-CL', clusterAddress: '10.0.0.51' },
      other,
      CLUSTER_REPLAY_FLAGS,
    );
    expect(cluster).toBeUndefined();
    expect(issues.map((i) => i.field)).toEqual(['--cluster-name', '--cluster-address']);
    expect(issues[0]!.message).toBe(
      'the bundle PAIR-01 is Level 3, which makes no failover cluster: remove --cluster-name, or replay a Level 1 bundle.',
    );
    expect(replayCluster(level3, {}, other)).toEqual({ cluster: undefined, issues: [] });
  });
});
