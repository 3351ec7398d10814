import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { DiscoveredHost, JobSnapshotOf } from '../../../engine/api';
import { setApiClient } from '../../../renderer/src/api/client';
import { parsePorts } from '../../../engine/api/rules';
import { useDiscoveryStore } from '../../../renderer/src/stores/discovery';
import { fakeClient } from './fake-client';

const host = (address: string, kind: DiscoveredHost['kind'], reason = 'Why.'): DiscoveredHost => ({
  address,
  port: 22,
  name: null,
  kind,
  banner: kind === 'windows-ssh' ? 'SSH-2.0-OpenSSH_for_Windows_8.1' : null,
  openPorts: [22],
  rttMs: 1,
  reason,
});

function scanSnapshot(
  state: 'running' | 'done' | 'cancelled',
  result: DiscoveredHost[],
): JobSnapshotOf<'scan'> {
  return {
    id: 'scan-1',
    kind: 'scan',
    state,
    startedAt: '2025-01-01T00:00:00Z',
    finishedAt: state === 'running' ? null : '2025-01-01T00:00:02Z',
    percent: state === 'running' ? 40 : 100,
    message: '',
    hosts: {},
    error: null,
    result,
    counts: { probed: state === 'running' ? 100 : 254, total: 254, found: result.length },
  };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('discovery store', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('reads the ports box, naming a bad entry', () => {
    expect(parsePorts('')).toEqual([]);
    expect(parsePorts('22, 5985 22  445')).toEqual([22, 5985, 445]);
    expect(parsePorts('22, ssh')).toMatch(/“ssh” is not a TCP port/);
    expect(parsePorts('70000')).toMatch(/1 to 65535/);
  });

  it('shows the engine’s problem with the targets inline, naming the token, until the text changes', async () => {
    setApiClient(
      fakeClient({
        scan: () => {
          throw {
            code: 'invalid-input',
            message: 'targets: “10.0.0.300” is not an IPv4 address.',
            hint: 'Write an IPv4 address as four numbers from 0 to 255, e.g. 10.0.0.21.',
            detail: { field: 'targets', token: '10.0.0.300' },
          };
        },
      }),
    );
    const discovery = useDiscoveryStore();
    discovery.targets = '10.0.0.0/24 10.0.0.300';
    await discovery.scan();
    expect(discovery.scanState).toBe('error');
    expect(discovery.targetsProblem).toEqual({
      message: '“10.0.0.300” is not an IPv4 address.',
      token: '10.0.0.300',
      hint: 'Write an IPv4 address as four numbers from 0 to 255, e.g. 10.0.0.21.',
      tooLarge: false,
    });
    discovery.targets = '10.0.0.0/24';
    await flush();
    expect(discovery.targetsProblem).toBeNull();
    expect(discovery.scanError).toBeNull();
  });

  it('keeps other scan errors out of the inline problem', async () => {
    setApiClient(
      fakeClient({
        scan: () => {
          throw { code: 'internal', message: 'Boom.', hint: 'Try again.' };
        },
      }),
    );
    const discovery = useDiscoveryStore();
    discovery.targets = '10.0.0.0/24';
    await discovery.scan();
    expect(discovery.targetsProblem).toBeNull();
    expect(discovery.scanError?.message).toBe('Boom.');
  });

  it('sends the ports and the large-range consent, streams results, and keeps them after a cancel', async () => {
    const ready = host('10.0.0.21', 'windows-ssh');
    const noSsh = { ...host('10.0.0.30', 'windows-no-ssh'), fix: ['Start-Service sshd'] };
    const client = fakeClient({
      scan: () => ({ jobId: 'scan-1', kind: 'scan' }),
      job: () => scanSnapshot('running', [ready]),
      cancelJob: () => ({}),
    });
    setApiClient(client);
    const discovery = useDiscoveryStore();
    discovery.targets = '10.0.0.0/16';
    discovery.portsText = '22 5985';
    discovery.allowLarge = true;
    const scanning = discovery.scan();
    await flush();
    expect(client.callsOf('scan')).toEqual([{ targets: '10.0.0.0/16', ports: [22, 5985], allowLarge: true }]);
    client.emit({ type: 'job', job: scanSnapshot('running', [ready, noSsh]) });
    expect(discovery.counts).toEqual({ probed: 100, total: 254, found: 2 });
    expect(discovery.hosts.map((h) => h.address)).toEqual(['10.0.0.21', '10.0.0.30']);
    expect(discovery.isPickable(ready)).toBe(true);
    expect(discovery.isPickable(noSsh)).toBe(false);

    await discovery.cancelScan();
    expect(client.callsOf('cancelJob')).toEqual([{ jobId: 'scan-1' }]);
    client.emit({ type: 'job', job: scanSnapshot('cancelled', [ready, noSsh]) });
    await scanning;
    expect(discovery.scanState).toBe('idle');
    expect(discovery.scanError).toBeNull();
    expect(discovery.hosts).toHaveLength(2);
  });

  it('does not scan while the ports box holds a mistake', async () => {
    const client = fakeClient({});
    setApiClient(client);
    const discovery = useDiscoveryStore();
    discovery.targets = '10.0.0.0/24';
    discovery.portsText = '22, x';
    expect(discovery.portsProblem).toMatch(/“x”/);
    await discovery.scan();
    expect(client.callsOf('scan')).toEqual([]);
  });

  it('lets a host added by hand be picked, and prefers a scan’s answer over the lab listing', async () => {
    setApiClient(
      fakeClient({
        suggestions: () => ({
          targets: '10.0.0.21',
          hosts: [{ ...host('10.0.0.21', 'windows-ssh', 'Lab server.'), rttMs: null }],
          labAccount: null,
        }),
        scan: () => ({ jobId: 'scan-1', kind: 'scan' }),
        job: () => scanSnapshot('done', [host('10.0.0.21', 'windows-ssh', 'Scanned.')]),
      }),
    );
    const discovery = useDiscoveryStore();
    await discovery.loadSuggestions();
    await discovery.scan();
    expect(discovery.hosts.find((h) => h.address === '10.0.0.21')?.reason).toBe('Scanned.');
    discovery.addHost('srv-b');
    const added = discovery.hosts.find((h) => h.address === 'srv-b')!;
    expect(added.kind).toBe('unknown');
    expect(discovery.isPickable(added)).toBe(true);
  });
});
