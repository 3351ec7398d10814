import { describe, expect, it } from 'vitest';
import {
  ClusterConfigSchema,
  ClusterStateResultSchema,
  ClusterStatusSchema,
  ClusterValidationSchema,
  PairPlanSchema,
  WitnessSchema,
} from '../../../engine/api/models';

describe('cluster names and addresses', () => {
  it('takes a NetBIOS computer name and an IPv4 address', () => {
    expect(ClusterConfigSchema.parse({ name: 'PAIR01-CL', address: '10.0.0.50' })).toEqual({
      name: 'PAIR01-CL',
      address: '10.0.0.50',
    });
  });

  it.each([
    ['', 'empty'],
    ['SIXTEEN-CHARS-XX', 'longer than 15'],
    ['12345', 'all digits'],
    ['-PAIR', 'a leading dash'],
    ['PAIR-', 'a trailing dash'],
    ['PAIR 01', 'a space'],
    ['PAIR_01', 'an underscore'],
  ])('refuses %j (%s), naming the rule', (name) => {
    const parsed = ClusterConfigSchema.safeParse({ name, address: '10.0.0.50' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['name']);
    expect(parsed.error?.issues[0]?.message).toMatch(/1 to 15 letters, digits or dashes/);
  });

  it('refuses an address that is not IPv4, naming the field', () => {
    const parsed = ClusterConfigSchema.safeParse({ name: 'PAIR01-CL', address: '10.0.0.300' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['address']);
    expect(parsed.error?.issues[0]?.message).toMatch(/IPv4 address such as 10\.0\.0\.50/);
  });
});

describe('what the cluster scripts return', () => {
  const cluster = {
    name: 'PAIR01-CL',
    addresses: ['10.0.0.50'],
    description: 'twinlock pair=PAIR-01; level=1',
    domain: 'contoso.local',
    nodes: [
      { name: 'TL-NODE-A', state: 'Up' },
      { name: 'TL-NODE-B', state: 'Up' },
    ],
    quorum: {
      type: 'NodeAndFileShareMajority',
      witness: { kind: 'file-share', address: '\\\\TL-WITNESS\\twinlock-witness', state: 'Online' },
    },
    roles: [{ name: 'SQL01', vm: 'SQL01', ownerNode: 'TL-NODE-A', state: 'Online' }],
    networks: [{ name: 'Cluster Network 1', address: '10.0.0.0', prefixLength: 24, state: 'Up', role: 3 }],
  };

  it('reads a server in no cluster, and one that is a node', () => {
    expect(
      ClusterStateResultSchema.parse({ featureInstalled: false, toolsInstalled: false, cluster: null })
        .cluster,
    ).toBeNull();
    expect(ClusterStatusSchema.parse(cluster).roles[0]?.ownerNode).toBe('TL-NODE-A');
  });

  it('refuses a node state Windows does not use', () => {
    const bad = { ...cluster, nodes: [{ name: 'TL-NODE-A', state: 'Running' }] };
    expect(ClusterStatusSchema.safeParse(bad).success).toBe(false);
  });

  it('keeps Test-Cluster results per category and test, with Windows’ own text', () => {
    const v = ClusterValidationSchema.parse({
      nodes: ['TL-NODE-A', 'TL-NODE-B'],
      reportPath: 'C:\\Windows\\Cluster\\Reports\\Validation Report 2026.12.02 At 19.40.11.htm',
      ranAt: '2026-12-02T19:40:11Z',
      result: 'failed',
      categories: [
        {
          name: 'System Configuration',
          result: 'failed',
          tests: [
            {
              name: 'Validate Active Directory Configuration',
              result: 'failed',
              message: 'The servers are not all in the same domain.',
            },
          ],
        },
      ],
    });
    expect(v.categories[0]?.tests[0]?.result).toBe('failed');
    expect(ClusterValidationSchema.safeParse({ ...v, result: 'error' }).success).toBe(false);
  });
});

describe('Level 1 witnesses', () => {
  it('takes a file share, a cluster disk and a cloud witness’s storage account', () => {
    expect(WitnessSchema.parse({ kind: 'disk', address: 'Cluster Disk 1' })).toEqual({
      kind: 'disk',
      address: 'Cluster Disk 1',
    });
    expect(WitnessSchema.parse({ kind: 'cloud', address: 'contosowitness' }).address).toBe('contosowitness');
  });

  it.each([
    [{ kind: 'cloud', address: 'Contoso_Witness' }, ['address'], /storage account’s name/],
    [{ kind: 'cloud', address: 'contosowitness', port: 443 }, ['port'], /takes no port/],
    [{ kind: 'disk', address: 'Cluster Disk 1', port: 1 }, ['port'], /takes no port/],
  ])('refuses %j, naming the field and the fix', (witness, path, message) => {
    const parsed = WitnessSchema.safeParse(witness);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(path);
    expect(parsed.error?.issues[0]?.message).toMatch(message);
  });

  it('keeps the cluster in the plan of a Level 1 pair, and no access key', () => {
    const plan = PairPlanSchema.parse({
      name: 'Pair 01',
      level: 1,
      links: [],
      witness: { kind: 'cloud', address: 'contosowitness' },
      vms: ['SQL01'],
      cluster: { name: 'PAIR01-CL', address: '192.168.50.40' },
      accessKey: 'must not survive',
    });
    expect(plan.cluster).toEqual({ name: 'PAIR01-CL', address: '192.168.50.40' });
    expect(JSON.stringify(plan)).not.toContain('must not survive');
  });
});
