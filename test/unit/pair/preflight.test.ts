import { describe, expect, it } from 'vitest';
import type { PreflightPlan } from '../../../engine/pair/preflight';
import { preflightError, preflightPair } from '../../../engine/pair/preflight';
import { evidence, prereqs } from '../verify/cluster-fixture';
import { inventory, peerInventory } from '../verify/inventory-fixture';

const installed = { agentVersion: '3.2.1' };
const primary = inventory(installed);
const secondary = peerInventory(installed);

const plan: PreflightPlan = {
  name: 'HV-PAIR',
  level: 3,
  links: [
    {
      localNic: 'Ethernet 2',
      remoteNic: 'Ethernet 2',
      localAddress: '192.168.100.1',
      remoteAddress: '192.168.100.2',
    },
    {
      localNic: 'Ethernet 3',
      remoteNic: 'Ethernet 3',
      localAddress: '169.254.11.1',
      remoteAddress: '169.254.11.2',
    },
  ],
  witness: { kind: 'file-share', address: '\\\\CONTOSO\\twinlock-witness' },
  vms: ['SQL01', 'APP01'],
};

const check = (
  changes: Partial<PreflightPlan>,
  inventories = [primary, secondary] as const,
  requireAgent = true,
) => preflightPair({ plan: { ...plan, ...changes }, inventories, requireAgent });
const fields = (issues: { field: string }[]) => issues.map((i) => i.field);

describe('preflightPair', () => {
  it('passes a configuration the two servers agree with (an unassigned link address is free)', () => {
    expect(check({})).toEqual([]);
    expect(check({ witness: null, vms: [] })).toEqual([]);
  });

  it('compares VM names exactly as the primary reported them, and refuses an empty one', () => {
    const issues = check({ vms: ['', ' SQL01 ', 'sql01', 'GHOST', 'APP01', 'APP01'] });
    expect(fields(issues)).toEqual(['vms.0', 'vms.1', 'vms.2', 'vms.3', 'vms.5']);
    expect(issues[1]!.message).toContain('it has "SQL01" (names must match exactly)');
    expect(issues[3]!.message).toContain('its VMs are "SQL01", "APP01"');
    expect(issues[4]!.message).toContain('listed twice');
  });

  it('never trims the pair name', () => {
    expect(fields(check({ name: ' HV-PAIR' }))).toEqual(['name']);
    expect(check({ name: 'HV-PAIR ' })[0]!.message).toContain('starts or ends with a space');
    expect(fields(check({ name: '' }))).toEqual(['name']);
    expect(fields(check({ name: 'x'.repeat(41) }))).toEqual(['name']);
    expect(fields(check({ name: 'a;b' }))).toEqual(['name']);
  });

  it('checks each link end: adapter on the right server, spare and up, its own; address an IP, free on both', () => {
    const issues = check({
      links: [
        { localNic: 'Ethernet', remoteNic: 'Ethernet 9', localAddress: '10.0.0.21', remoteAddress: 'ten' },
        {
          localNic: 'Ethernet 4',
          remoteNic: 'Ethernet 2',
          localAddress: '192.168.101.1',
          remoteAddress: '192.168.100.1',
        },
        {
          localNic: 'Ethernet 4',
          remoteNic: 'ethernet 3',
          localAddress: '169.254.1.1',
          remoteAddress: '169.254.1.1',
        },
      ],
    });
    expect(issues).toEqual([
      { field: 'links.0.localNic', message: expect.stringContaining("carries HV-A's business network") },
      {
        field: 'links.0.remoteNic',
        message: expect.stringContaining('HV-B has no network adapter named "Ethernet 9"'),
      },
      { field: 'links.0.remoteAddress', message: expect.stringContaining('is not an IP address') },
      { field: 'links.1.localNic', message: expect.stringContaining('is Disconnected') },
      { field: 'links.1.localAddress', message: expect.stringContaining('in use on HV-A by "Ethernet 3"') },
      { field: 'links.1.remoteAddress', message: expect.stringContaining('in use on HV-A by "Ethernet 2"') },
      { field: 'links.2.localNic', message: expect.stringContaining('is Disconnected') },
      {
        field: 'links.2.remoteNic',
        message: expect.stringContaining('(it has "Ethernet 3"; names must match exactly)'),
      },
      {
        field: 'links.2.remoteAddress',
        message: expect.stringContaining('already used by links.2.localAddress'),
      },
    ]);
    expect(fields(check({ links: [] }))).toEqual(['links']);
    const twice = check({ links: [plan.links[0]!, { ...plan.links[1]!, localNic: 'Ethernet 2' }] });
    expect(twice).toEqual([
      { field: 'links.1.localNic', message: expect.stringContaining('already carries sync link 1') },
    ]);
  });

  it('needs a witness unless none was chosen explicitly, and a well-formed one', () => {
    expect(fields(check({ witness: undefined }))).toEqual(['witness']);
    expect(fields(check({ witness: { kind: 'host', address: '   ' } }))).toEqual(['witness.address']);
    expect(fields(check({ witness: { kind: 'host', address: ' witness01' } }))).toEqual(['witness.address']);
    expect(fields(check({ witness: { kind: 'file-share', address: 'CONTOSO\\share' } }))).toEqual([
      'witness.address',
    ]);
    expect(fields(check({ witness: { kind: 'host', address: 'a b' } }))).toEqual(['witness.address']);
    expect(check({ witness: { kind: 'host', address: 'witness01.contoso.local' } })).toEqual([]);
  });

  it('needs the same agent on both servers to pair, not to replay a bundle that installs it', () => {
    const bare = [inventory(), peerInventory()] as const;
    expect(fields(check({}, bare))).toEqual(['primary', 'secondary']);
    expect(check({}, bare, false)).toEqual([]);
    expect(check({}, [primary, peerInventory({ agentVersion: '3.1.0' })])[0]!.message).toContain(
      'Agent versions differ',
    );
  });

  it('says when the VM list could not be read instead of calling a VM missing', () => {
    const issues = check({ vms: ['SQL01'] }, [
      inventory({ ...installed, vms: [], sectionErrors: { vms: 'Access is denied' } }),
      secondary,
    ]);
    expect(issues[0]!.message).toContain('could not list its VMs (Access is denied)');
  });

  it('lists every problem in one invalid-input error', () => {
    const err = preflightError(check({ name: ' x', vms: [''], witness: undefined }), 'apply');
    expect(err.code).toBe('invalid-input');
    expect(err.message).toMatch(/^name: .* \(and 2 more problems: witness, vms\.0\)$/);
    expect(err.hint).toContain('Nothing was changed on either server');
    expect(err.detail).toMatchObject({
      field: 'name',
      issues: [{ field: 'name' }, { field: 'witness' }, { field: 'vms.0' }],
    });
  });
});

describe('preflightPair: the level', () => {
  it('refuses a level verification did not pass, with the blockers and the level that does pass', () => {
    const stepping = peerInventory({ ...installed, processor: { ...primary.processor, stepping: 5 } });
    const issues = preflightPair({
      plan: { ...plan, level: 3 },
      inventories: [primary, stepping],
      requireAgent: true,
      checkLevel: true,
    });
    expect(issues.map((i) => i.field)).toEqual(['level']);
    expect(issues[0]!.message).toMatch(/do not pass verification at Level 3 \(1 blocker: .*HV-A: .*HV-B: /);
    expect(issues[0]!.message).toContain('Choose Level 2');
    expect(
      preflightPair({
        plan: { ...plan, level: 2 },
        inventories: [primary, stepping],
        requireAgent: true,
        checkLevel: true,
      }),
    ).toEqual([]);
  });

  it('refuses Level 1 when the cluster rules of the last Level 1 verification block it', () => {
    // Level 1's Install step has put Failover Clustering on both.
    const clustered = (inv: typeof primary) => ({
      ...inv,
      roles: { ...inv.roles, failoverClustering: true },
    });
    const keyLogon = evidence({ logons: ['key', 'password'] });
    const issues = preflightPair({
      plan: { ...plan, level: 1, cluster: { name: 'HV-PAIR-CL', address: '10.0.0.50' } },
      inventories: [clustered(primary), clustered(secondary)],
      requireAgent: true,
      checkLevel: true,
      cluster: keyLogon,
    });
    expect(issues.map((i) => i.field)).toEqual(['level']);
    expect(issues[0]!.message).toContain(
      'Logon for the cluster: The cluster is created from HV-A reaching HV-B as you; a key-based SSH logon to Windows carries no network credentials, so Windows refuses that second hop.',
    );
    const ok = { ...plan, level: 1 as const, cluster: { name: 'HV-PAIR-CL', address: '10.0.0.50' } };
    const ready = evidence({ prereqs: [prereqs('HV-A'), prereqs('HV-B')] });
    expect(
      preflightPair({
        plan: ok,
        inventories: [clustered(primary), clustered(secondary)],
        requireAgent: true,
        checkLevel: true,
        cluster: ready,
      }),
    ).toEqual([]);
  });
});
