/** Level 1 fleets: each pair's own failover cluster (cluster_name, cluster_address), held to the bundle's level. */
import { describe, expect, it } from 'vitest';
import { TwinlockError } from '../../../engine/api/errors';
import type { Bundle, Fleet } from '../../../engine/api/models';
import { checkFleetLevel, parseFleetText } from '../../../engine/fleet/fleet-file';

const yamlWhere = { name: '/fleets/site.yaml', baseDir: '/fleets' };
const csvWhere = { name: '/fleets/site.csv', baseDir: '/fleets' };

type Issue = { field: string; message: string; line?: number };

function refusal(fn: () => unknown): { error: TwinlockError; issues: Issue[] } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TwinlockError);
    const error = err as TwinlockError;
    expect(error.code).toBe('invalid-input');
    return { error, issues: (error.detail?.issues ?? []) as Issue[] };
  }
  throw new Error('expected a refusal');
}

/** The parts of a bundle the level check reads: its pair and the servers it was exported from. */
function bundle(level: 1 | 2 | 3): Pick<Bundle, 'pair' | 'hosts'> {
  return {
    pair: {
      name: 'PAIR-01',
      level,
      links: [],
      witness: null,
      vms: [],
      ...(level === 1 ? { cluster: { name: 'PAIR01-CL', address: '10.0.0.50' } } : {}),
    },
    hosts: [
      { role: 'primary', address: '10.0.1.21', port: 22, fingerprint: 'SHA256:a', computerName: 'HV-A' },
      { role: 'secondary', address: '10.0.1.22', port: 22, fingerprint: 'SHA256:b', computerName: 'HV-B' },
    ],
  };
}

const YAML = `bundle: ./PAIR-01.twinlock.json
pairs:
  - name: PAIR-01
    primary: 10.0.1.21
    secondary: 10.0.1.22
    cluster_name: PAIR01-CL
    cluster_address: 10.0.0.50
  - name: PAIR-02
    primary: 10.0.2.21
    secondary: 10.0.2.22
    cluster_name: PAIR02-CL
    cluster_address: 10.0.0.51
`;

const CSV = `name,primary,secondary,vms,links,cluster_name,cluster_address
PAIR-01,10.0.1.21,10.0.1.22,SQL01,,PAIR01-CL,10.0.0.50
PAIR-02,10.0.2.21,10.0.2.22,,,PAIR02-CL,10.0.0.51
`;

describe('a Level 1 fleet file', () => {
  it('reads each pair’s cluster from YAML keys and CSV columns', () => {
    for (const fleet of [parseFleetText(YAML, 'yaml', yamlWhere), parseFleetText(CSV, 'csv', csvWhere)]) {
      expect(fleet.pairs.map((p) => [p.name, p.cluster])).toEqual([
        ['PAIR-01', { name: 'PAIR01-CL', address: '10.0.0.50' }],
        ['PAIR-02', { name: 'PAIR02-CL', address: '10.0.0.51' }],
      ]);
      // The pair the bundle came from keeps its cluster; the other has its own.
      expect(() => checkFleetLevel(fleet, bundle(1))).not.toThrow();
    }
  });

  it('refuses an invalid cluster name or address, and one without the other, each with its line and fix (YAML)', () => {
    const { issues } = refusal(() =>
      parseFleetText(
        `pairs:
  - name: PAIR-02
    primary: 10.0.2.21
    secondary: 10.0.2.22
    cluster_name: PAIR-02-CLUSTER-NAME
    cluster_address: 10.0.0.300
  - name: PAIR-03
    primary: 10.0.3.21
    secondary: 10.0.3.22
    cluster_name: PAIR03-CL
  - name: PAIR-04
    primary: 10.0.4.21
    secondary: 10.0.4.22
    cluster_address: 10.0.0.54
`,
        'yaml',
        yamlWhere,
      ),
    );
    expect(issues).toEqual([
      {
        field: 'pairs[0].cluster_name',
        line: 5,
        message:
          'site.yaml line 5: cluster_name “PAIR-02-CLUSTER-NAME”: A cluster name is a computer name: 1 to 15 letters, digits or dashes, not all digits and not starting or ending with a dash, for example PAIR01-CL.',
      },
      {
        field: 'pairs[0].cluster_address',
        line: 6,
        message:
          'site.yaml line 6: cluster_address “10.0.0.300” is not an IPv4 address: give the cluster’s own free static address on the business network, e.g. cluster_address: 10.0.0.51.',
      },
      {
        field: 'pairs[1].cluster_address',
        line: 7,
        message:
          'site.yaml line 7: the pair has a cluster_name but no cluster_address: a Level 1 pair’s cluster needs both; add cluster_address: 10.0.0.51.',
      },
      {
        field: 'pairs[2].cluster_name',
        line: 11,
        message:
          'site.yaml line 11: the pair has a cluster_address but no cluster_name: a Level 1 pair’s cluster needs both; add cluster_name: PAIR02-CL.',
      },
    ]);
  });

  it('refuses the same, each with its row’s line and the cell to fill (CSV)', () => {
    const { issues } = refusal(() =>
      parseFleetText(
        `name,primary,secondary,cluster_name,cluster_address
PAIR-02,10.0.2.21,10.0.2.22,-PAIR02,10.0.0.51
PAIR-03,10.0.3.21,10.0.3.22,PAIR03-CL,
`,
        'csv',
        csvWhere,
      ),
    );
    expect(issues.map((i) => [i.field, i.line, i.message])).toEqual([
      [
        'cluster_name',
        2,
        'site.csv line 2: cluster_name “-PAIR02”: A cluster name is a computer name: 1 to 15 letters, digits or dashes, not all digits and not starting or ending with a dash, for example PAIR01-CL.',
      ],
      [
        'cluster_address',
        3,
        'site.csv line 3: the pair has a cluster_name but no cluster_address: a Level 1 pair’s cluster needs both; fill its cluster_address cell, e.g. 10.0.0.51.',
      ],
    ]);
  });

  it('refuses two pairs with the same cluster name (in any case) or address, and a cluster on a server’s address', () => {
    const { issues } = refusal(() =>
      parseFleetText(
        `name,primary,secondary,cluster_name,cluster_address
PAIR-01,10.0.1.21,10.0.1.22,PAIR01-CL,10.0.0.50
PAIR-02,10.0.2.21,10.0.2.22,pair01-cl,10.0.0.51
PAIR-03,10.0.3.21,10.0.3.22,PAIR03-CL,10.0.0.50
PAIR-04,10.0.4.21,10.0.4.22,PAIR04-CL,10.0.1.22
`,
        'csv',
        csvWhere,
      ),
    );
    expect(issues.map((i) => i.message)).toEqual([
      'site.csv line 3: the cluster name pair01-cl is already PAIR-01’s (line 2): each pair makes its own cluster, with its own name.',
      'site.csv line 4: the cluster address 10.0.0.50 is already PAIR-01’s cluster’s (line 2): each cluster needs its own free address.',
      'site.csv line 5: the cluster address 10.0.1.22 is the address of PAIR-01’s secondary: the cluster needs a free address of its own.',
    ]);
  });

  it('names each pair without a cluster when the bundle is Level 1, with its line and the fix', () => {
    const fleet = parseFleetText(
      `pairs:
  - name: PAIR-01
    primary: 10.0.1.21
    secondary: 10.0.1.22
    cluster_name: PAIR01-CL
    cluster_address: 10.0.0.50
  - name: PAIR-02
    primary: 10.0.2.21
    secondary: 10.0.2.22
`,
      'yaml',
      yamlWhere,
    );
    const { error, issues } = refusal(() => checkFleetLevel(fleet, bundle(1)));
    expect(error.message).toBe(
      'The fleet file has a problem: site.yaml line 7: PAIR-02 has no cluster_name and cluster_address: the bundle PAIR-01 is Level 1, and each pair makes its own failover cluster; add cluster_name: PAIR02-CL and cluster_address: a free static address on its business network, e.g. 10.0.0.52.',
    );
    expect(issues[0]).toMatchObject({ field: 'pairs[1].cluster_name', line: 7 });
    const csv = parseFleetText('name,primary,secondary\nPAIR-02,10.0.2.21,10.0.2.22\n', 'csv', csvWhere);
    expect(refusal(() => checkFleetLevel(csv, bundle(1))).issues[0]).toEqual({
      field: 'cluster_name',
      line: 2,
      message:
        'site.csv line 2: PAIR-02 has no cluster_name and cluster_address: the bundle PAIR-01 is Level 1, and each pair makes its own failover cluster; add the columns cluster_name,cluster_address to the header and fill them for this row, e.g. PAIR01-CL and a free static address on its business network, e.g. 10.0.0.51.',
    });
  });

  it('refuses the first pair’s cluster on another pair of the fleet', () => {
    const fleet = parseFleetText(
      `pairs:
  - name: PAIR-02
    primary: 10.0.2.21
    secondary: 10.0.2.22
    cluster_name: PAIR01-CL
    cluster_address: 10.0.0.50
`,
      'yaml',
      yamlWhere,
    );
    expect(refusal(() => checkFleetLevel(fleet, bundle(1))).issues.map((i) => i.message)).toEqual([
      'site.yaml line 2: cluster_name PAIR01-CL belongs to the first pair’s cluster (HV-A and HV-B, where the bundle PAIR-01 was exported): give PAIR-02 its own cluster name.',
      'site.yaml line 2: cluster_address 10.0.0.50 belongs to the first pair’s cluster (HV-A and HV-B, where the bundle PAIR-01 was exported): give PAIR-02 its own free address.',
    ]);
  });

  it('refuses a cluster in a fleet whose bundle is Level 2 or 3, rather than ignoring it', () => {
    const fleet: Fleet = parseFleetText(YAML, 'yaml', yamlWhere);
    for (const level of [2, 3] as const) {
      const { issues } = refusal(() => checkFleetLevel(fleet, bundle(level)));
      expect(issues.map((i) => [i.field, i.line])).toEqual([
        ['pairs[0].cluster_name', 3],
        ['pairs[1].cluster_name', 8],
      ]);
      expect(issues[0]!.message).toBe(
        `site.yaml line 3: PAIR-01 has cluster_name and cluster_address, but the bundle PAIR-01 is Level ${level}, which makes no failover cluster: remove them, or replay a Level 1 bundle.`,
      );
    }
    const plain = parseFleetText('name,primary,secondary\nPAIR-02,10.0.2.21,10.0.2.22\n', 'csv', csvWhere);
    expect(() => checkFleetLevel(plain, bundle(3))).not.toThrow();
  });
});
