/** Watching VMs from outside: outages from the looks, the interval achieved, and a TCP port watched. */
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  achievedIntervalMs,
  longestOutageMs,
  outagesOf,
  VmStateAnswerSchema,
  watchVms,
} from '../../../engine/pair/vm-watch';
import type { Sample } from '../../../engine/pair/vm-watch';
import type { RemoteHost } from '../../../engine/remote/types';

const look = (at: number, server: string, running: boolean): Sample => ({
  at,
  server,
  running: { SQL01: running },
  addresses: {},
});

describe('outagesOf', () => {
  it('counts only the spans in which no server shows the VM running', () => {
    const samples = [
      look(0, 'A', true),
      look(5, 'B', false),
      look(100, 'A', false), // A stopped, B not yet running: down from here
      look(105, 'B', false),
      look(200, 'A', false),
      look(205, 'B', true), // B took over
      look(300, 'A', true),
    ];
    const outages = outagesOf('SQL01', samples, [], ['A', 'B']);
    expect(outages).toEqual([{ from: 100, to: 205 }]);
    expect(longestOutageMs(outages)).toBe(105);
  });

  it('sees no outage when a copy runs throughout (Level 3)', () => {
    const samples = [look(0, 'A', true), look(1, 'B', true), look(50, 'A', false), look(51, 'B', true)];
    expect(outagesOf('SQL01', samples, [], ['A', 'B'])).toEqual([]);
  });

  it('counts a refused port as down even while Get-VM says running', () => {
    const samples = [look(0, 'A', true), look(1, 'B', false), look(400, 'A', true)];
    const ports = [
      { at: 10, vm: 'SQL01', reached: true },
      { at: 100, vm: 'SQL01', reached: false },
      { at: 300, vm: 'SQL01', reached: true },
    ];
    expect(outagesOf('SQL01', samples, ports, ['A', 'B'])).toEqual([{ from: 100, to: 300 }]);
  });

  it('measures the interval between looks at each server (the slowest one)', () => {
    const samples = [
      look(0, 'A', true),
      look(50, 'A', true),
      look(100, 'A', true),
      look(0, 'B', true),
      look(160, 'B', true),
    ];
    expect(achievedIntervalMs(samples, ['A', 'B'])).toBe(160);
  });
});

describe('get-vm-state answers', () => {
  it('reads PowerShell 5.1 shapes: a lone VM, state numbers, one address', () => {
    const a = VmStateAnswerSchema.parse({
      computerName: 'TL-NODE-A',
      hyperV: true,
      vms: { name: 'SQL01', found: true, state: 2, uptimeSeconds: 7, addresses: '10.0.0.5' },
    });
    expect(a.vms).toEqual([
      { name: 'SQL01', found: true, state: 'Running', uptimeSeconds: 7, addresses: ['10.0.0.5'] },
    ]);
  });
});

describe('watchVms', () => {
  let server: Server | null = null;
  afterEach(() => server?.close());

  it('looks at every server within 100 ms and watches a VM service port over TCP', async () => {
    server = createServer((socket) => socket.destroy());
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const host = (running: () => boolean): RemoteHost =>
      ({
        runScript: async () => ({
          computerName: 'X',
          hyperV: true,
          vms: [
            {
              name: 'SQL01',
              found: true,
              state: running() ? 2 : 3,
              uptimeSeconds: 1,
              addresses: ['127.0.0.1'],
            },
          ],
        }),
      }) as unknown as RemoteHost;
    const watch = watchVms({
      servers: [
        { computerName: 'A', host: host(() => true) },
        { computerName: 'B', host: host(() => false) },
      ],
      vms: ['SQL01'],
      watchPorts: { SQL01: port },
      intervalMs: 20,
    });
    await watch.ready();
    await new Promise((r) => setTimeout(r, 200));
    // The service stops answering: the port refuses while Get-VM still says running.
    await new Promise<void>((r) => server!.close(() => r()));
    server = null;
    await new Promise((r) => setTimeout(r, 200));
    const { samples, ports } = await watch.stop();
    expect(achievedIntervalMs(samples, ['A', 'B'])).toBeLessThanOrEqual(100);
    expect(ports.some((p) => p.reached)).toBe(true);
    expect(ports.some((p) => !p.reached)).toBe(true);
    const outages = outagesOf('SQL01', samples, ports, ['A', 'B']);
    expect(outages).toHaveLength(1);
    expect(longestOutageMs(outages)).toBeGreaterThan(100);
  });
});
