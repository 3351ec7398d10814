/** `twinlock verify --level 1 --cluster-name … --cluster-address … [--no-test-cluster]`: the flags as read, and the text it prints. */
import { describe, expect, it } from 'vitest';
import { clusterOf, clusterText, parseClusterAddress, parseClusterName } from '../../../cli/commands/verify';
import { CLUSTER_NAME_MESSAGE } from '../../../engine/api/models';
import { verifyPair } from '../../../engine/verify/verify-pair';
import { evidence, validation } from '../verify/cluster-fixture';
import { inventory, peerInventory } from '../verify/inventory-fixture';

const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return err as { code: string; message: string; hint: string; detail: { field: string } };
  }
  throw new Error('no error');
};

const flags = { level: 1 as const, testCluster: true };

describe('the cluster flags', () => {
  it('takes a cluster name and refuses a bad one, naming the flag and the rule', () => {
    expect(parseClusterName('PAIR01-CL')).toBe('PAIR01-CL');
    for (const bad of ['-PAIR', 'PAIR01-CLUSTER-NAME', '1234', 'PAIR_01']) {
      const err = refusal(() => parseClusterName(bad));
      expect(err.code).toBe('invalid-input');
      expect(err.message).toBe(`--cluster-name “${bad}” is not valid: ${CLUSTER_NAME_MESSAGE}`);
      expect(err.detail.field).toBe('cluster-name');
    }
  });

  it('takes an IPv4 address and refuses anything else', () => {
    expect(parseClusterAddress('192.168.50.50')).toBe('192.168.50.50');
    const err = refusal(() => parseClusterAddress('192.168.50'));
    expect(err.message).toMatch(
      /^--cluster-address “192\.168\.50” is not valid: it takes the cluster’s static IPv4 address/,
    );
    expect(err.detail.field).toBe('cluster-address');
  });

  it('wants both flags or neither, and only at Level 1', () => {
    expect(clusterOf(flags)).toBeUndefined();
    expect(clusterOf({ ...flags, clusterName: 'PAIR01-CL', clusterAddress: '10.0.0.50' })).toEqual({
      name: 'PAIR01-CL',
      address: '10.0.0.50',
    });
    const missing = refusal(() => clusterOf({ ...flags, clusterName: 'PAIR01-CL' }));
    expect(missing.message).toMatch(/^--cluster-address is missing/);
    expect(missing.detail.field).toBe('cluster-address');
    const level = refusal(() => clusterOf({ ...flags, level: 3, clusterName: 'PAIR01-CL' }));
    expect(level.message).toMatch(/^--cluster-name applies to Level 1 only/);
  });
});

describe('the Level 1 text', () => {
  const a = inventory();
  const b = peerInventory();
  const report = (e: ReturnType<typeof evidence>) => ({
    ...verifyPair(a, b, 1, e),
    ranAt: '',
    targets: [],
    cluster: e.cluster,
    clusterPrereqs: [e.prereqs[0], e.prereqs[1]] as [(typeof e.prereqs)[0], (typeof e.prereqs)[1]],
    clusterValidation: e.validation,
  });

  it('lists Test-Cluster per category and test, with Windows’ text', () => {
    const v = validation([
      {
        name: 'Network',
        result: 'warning',
        tests: [
          { name: 'List Network Binding Order', result: 'passed', message: '' },
          { name: 'Validate Network Communication', result: 'warning', message: 'Only one path.' },
        ],
      },
    ]);
    const text = clusterText(report(evidence({ validation: v })));
    expect(text).toEqual([
      '',
      'No cluster name or address given: they are checked when the pair’s cluster is chosen (the plan checks them again).',
      'Windows’ Test-Cluster on HV-A and HV-B: warning (report C:\\ProgramData\\Twinlock\\reports\\Validation Report.htm)',
      '  Network: warning',
      '    passed  List Network Binding Order',
      '    warning Validate Network Communication — Only one path.',
    ]);
  });

  it('says why Test-Cluster did not run, and prints nothing below Level 1', () => {
    const text = clusterText(
      report(evidence({ validation: null, validationNotRun: 'Test-Cluster was not run: why.' })),
    );
    expect(text.at(-1)).toBe('Windows’ Test-Cluster: not run. Test-Cluster was not run: why.');
    expect(clusterText({ ...verifyPair(a, b, 3), ranAt: '', targets: [] })).toEqual([]);
  });
});
