import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPacer } from '../../../engine/discovery/pace';
import { scan } from '../../../engine/discovery/scan';
import type { NameResolver } from '../../../engine/discovery/resolve';
import { planTargets } from '../../../engine/discovery/targets';

const flush = () => new Promise((r) => setImmediate(r));

describe('pacer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('admits up to its limit at once; each release lets the next host in', async () => {
    const pacer = createPacer({ fresh: 2, freshMs: 50 });
    const first = await pacer.admit();
    await pacer.admit();
    let third = false;
    const pending = pacer.admit().then((done) => {
      third = true;
      return done;
    });
    await flush();
    expect(third).toBe(false);
    expect(pacer.fresh).toBe(2);
    first();
    first(); // a second call must not free a second place
    await flush();
    expect(third).toBe(true);
    expect(pacer.fresh).toBe(2);
    (await pending)();
    expect(pacer.fresh).toBe(1);
  });

  it('stops counting a host that has not answered within freshMs', async () => {
    const pacer = createPacer({ fresh: 1, freshMs: 50 });
    const slow = await pacer.admit();
    let next = false;
    void pacer.admit().then(() => (next = true));
    await flush();
    expect(next).toBe(false);
    vi.advanceTimersByTime(50);
    await flush();
    expect(next).toBe(true);
    slow(); // the late answer changes nothing
    expect(pacer.fresh).toBe(1);
  });

  it('starts at most a burst of hosts per turn of the event loop', async () => {
    const pacer = createPacer({ fresh: 100, burst: 8 });
    let started = 0;
    const all = Array.from({ length: 20 }, () => pacer.admit().then(() => started++));
    await Promise.resolve();
    await Promise.resolve();
    expect(started).toBe(8);
    await flush();
    expect(started).toBe(16);
    await flush();
    await Promise.all(all);
    expect(started).toBe(20);
  });

  it('lets every waiter through when closed', async () => {
    const pacer = createPacer({ fresh: 1, freshMs: 50 });
    const first = await pacer.admit();
    const waiting = [pacer.admit(), pacer.admit(), pacer.admit()];
    pacer.close();
    const released = await Promise.all(waiting);
    expect(released).toHaveLength(3);
    for (const done of released) done();
    expect(pacer.fresh).toBe(1);
    first();
    expect(pacer.fresh).toBe(0);
  });
});

describe('a paced scan', () => {
  const noDns: NameResolver = {
    lookup: (name) => Promise.reject(Object.assign(new Error(name), { code: 'ENOTFOUND' })),
    reverse: () => Promise.resolve([]),
    cancel: () => undefined,
  };

  it('keeps starting hosts while earlier ones hang: slow hosts do not hold back the scan', async () => {
    // Twenty ports that accept and never speak: each host holds its socket for the whole banner wait.
    let open = 0;
    let peak = 0;
    const sockets = new Set<Socket>();
    const servers = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const server = createServer((socket) => {
          sockets.add(socket);
          peak = Math.max(peak, ++open);
          socket.on('error', () => undefined);
          socket.on('close', () => open--);
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        return server;
      }),
    );
    try {
      const targets = servers.map((s) => `127.0.0.1:${(s.address() as AddressInfo).port}`).join(' ');
      const outcome = await scan(planTargets(targets), {
        bannerMs: 400,
        timeoutMs: 1000,
        pace: { fresh: 2, freshMs: 50 },
        resolver: noDns,
      });
      expect(outcome.hosts).toHaveLength(20);
      expect(outcome.hosts.every((h) => h.kind === 'unknown')).toBe(true);
      // Two fresh hosts at a time, yet far more connections were open together: the hanging ones stopped counting.
      expect(peak).toBeGreaterThan(8);
    } finally {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    }
  });

  it('probes every address of a range that answers at once, and reports only the hosts that did', async () => {
    const refusing = Array.from({ length: 3 }, (_, i) => `127.0.1.${i + 1}`);
    const outcome = await scan(planTargets(`127.0.2.0/26 ${refusing.join(' ')}`), {
      ports: [1],
      pace: { fresh: 3 },
      resolver: noDns,
    });
    expect(outcome.counts.probed).toBe(outcome.counts.total);
    expect(outcome.hosts.map((h) => h.address)).toEqual(refusing);
  });
});

describe('round trips', () => {
  const noDns: NameResolver = {
    lookup: (name) => Promise.reject(Object.assign(new Error(name), { code: 'ENOTFOUND' })),
    reverse: () => Promise.resolve([]),
    cancel: () => undefined,
  };

  it('connects once more to each host found, after the sweep, for a round trip the busy sweep could not measure', async () => {
    let connections = 0;
    const server = createServer((socket) => {
      connections++;
      socket.on('error', () => undefined);
      socket.end('SSH-2.0-OpenSSH_for_Windows_8.1\r\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const updates: Array<number | null> = [];
      const refined = await scan(planTargets(`127.0.0.1:${port}`), {
        resolver: noDns,
        onHost: (h) => updates.push(h.rttMs),
      });
      expect(connections).toBe(2);
      expect(refined.hosts[0]!.rttMs).toBeTypeOf('number');
      // Kept only when smaller: the figure reported never grows.
      expect(refined.hosts[0]!.rttMs).toBeLessThanOrEqual(updates[0]!);

      connections = 0;
      await scan(planTargets(`127.0.0.1:${port}`), { resolver: noDns, refineRtt: false });
      expect(connections).toBe(1);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
