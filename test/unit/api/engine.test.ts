import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvent, TwinlockEngine } from '../../../engine/api';
import type { TwinlockError } from '../../../engine/api/errors';
import { createEngine } from '../../../engine/engine';
import { workstationTargets } from '../../../engine/discovery/prefill';
import { bannerServer } from '../discovery/banner-server';

async function failure(p: Promise<unknown>): Promise<TwinlockError> {
  try {
    await p;
  } catch (err) {
    return err as TwinlockError;
  }
  throw new Error('expected a failure');
}

let engine: TwinlockEngine;
beforeAll(async () => {
  engine = createEngine({ dataDir: await mkdtemp(join(tmpdir(), 'twinlock-engine-')) });
});
afterAll(async () => {
  await engine.close();
});

const connect = { address: '127.0.0.1', port: 22, username: 'Administrator', password: 'x' };

describe('engine input validation', () => {
  it('names the field and the fix for an invalid port', async () => {
    const err = await failure(engine.api.connect({ ...connect, port: 70000 }));
    expect(err.code).toBe('invalid-input');
    expect(err.message).toMatch(/^port: /);
    expect(err.message).toContain('65535');
    expect(err.hint).toContain('port');
    expect(err.detail?.field).toBe('port');
  });

  it('uses the schema’s own words for an admin', async () => {
    const err = await failure(engine.api.connect({ ...connect, address: '' }));
    expect(err.message).toContain('address: Enter the server’s name or IP address');
    const bad = await failure(engine.api.connect({ ...connect, acceptFingerprint: 'MD5:xx' }));
    expect(bad.message).toMatch(/^acceptFingerprint: /);
  });

  it('never echoes a password in a validation error', async () => {
    const err = await failure(engine.api.connect({ ...connect, password: 'Hunter2!', port: 0 }));
    expect(JSON.stringify({ m: err.message, h: err.hint, d: err.detail })).not.toContain('Hunter2!');
  });

  it('names nested fields', async () => {
    const err = await failure(
      engine.api.pair({
        name: 'bad name',
        level: 3,
        primary: 'a',
        secondary: 'b',
        links: [{ localNic: 'x', remoteNic: 'y', localAddress: '1', remoteAddress: '2' }],
        witness: null,
        vms: [],
      }),
    );
    expect(err.message).toMatch(/^name: a space \(U\+0020\) cannot be in a pair name\. Use the letters A–Z/);
    const noLinks = await failure(
      engine.api.pair({
        name: 'P',
        level: 3,
        primary: 'a',
        secondary: 'b',
        links: [],
        witness: null,
        vms: [],
      }),
    );
    expect(noLinks.message).toBe('links: At least one sync link is needed.');
  });

  it('refuses, never trims, a value with a space at either end where Windows never pads one', async () => {
    const base = {
      name: 'PAIR-01',
      level: 3 as const,
      primary: 'a',
      secondary: 'b',
      links: [
        { localNic: 'Sync 1', remoteNic: 'Sync 1', localAddress: '10.10.1.21', remoteAddress: '10.10.1.22' },
      ],
      witness: { kind: 'file-share' as const, address: '\\\\files\\twinlock' },
      vms: ['SQL01'],
    };
    const link = (patch: Record<string, string>) => ({ links: [{ ...base.links[0]!, ...patch }] });
    const refused: [Record<string, unknown>, string, RegExp][] = [
      [{ name: ' PAIR-01' }, 'name', /starts or ends with a space/],
      [{ name: 'PAIR-01 ' }, 'name', /starts or ends with a space/],
      [{ vms: [''] }, 'vms.0', /cannot be empty/],
      [{ vms: ['a\u0000b'] }, 'vms.0', /control character/],
      [{ vms: ['a\nb'] }, 'vms.0', /control character/],
      [{ vms: ['\ud800x'] }, 'vms.0', /not valid Unicode/],
      [{ vms: ['x'.repeat(101)] }, 'vms.0', /at most 100/],
      [{ witness: { kind: 'host', address: '' } }, 'witness.address', /or choose no witness/],
      [{ witness: { kind: 'host', address: '   ' } }, 'witness.address', /blank/],
      [
        { witness: { kind: 'host', address: ' 10.0.0.30' } },
        'witness.address',
        /starts or ends with a space/,
      ],
      [{ witness: { kind: 'host', address: 'wit ness' } }, 'witness.address', /host name or IP address/],
      [{ witness: { kind: 'file-share', address: 'files\\twinlock' } }, 'witness.address', /share path like/],
      [{ witness: { kind: 'file-share', address: '\\\\files\\a"b' } }, 'witness.address', /share path like/],
      [link({ localAddress: '10.10.1.21 ' }), 'links.0.localAddress', /starts or ends with a space/],
      [link({ remoteAddress: 'sync-b.local' }), 'links.0.remoteAddress', /Use an IP address/],
      [link({ remoteAddress: '10.10.1' }), 'links.0.remoteAddress', /Use an IP address/],
      [link({ localAddress: '' }), 'links.0.localAddress', /Enter the IP address/],
      [link({ localNic: '' }), 'links.0.localNic', /network adapter/],
      [link({ remoteNic: 'Sync\t1' }), 'links.0.remoteNic', /control character/],
    ];
    for (const [patch, field, said] of refused) {
      const err = await failure(engine.api.pair({ ...base, ...patch } as never));
      expect(err.code, JSON.stringify(patch)).toBe('invalid-input');
      expect(err.detail?.field, JSON.stringify(patch)).toBe(field);
      expect(err.message, JSON.stringify(patch)).toMatch(said);
      expect(err.message.startsWith(`${field}: `)).toBe(true);
    }
    // Names Windows reports are taken verbatim: these pass validation and stop only at the unknown sessions.
    const accepted: Record<string, unknown>[] = [
      { vms: [' x ', 'x', 'SQL "01" \\', '$env:X; `whoami`'] },
      link({ localNic: ' Sync 1 ', remoteNic: 'SLOT 3\\' }),
      link({ localAddress: 'fd00::21', remoteAddress: 'fd00::22' }),
      { witness: { kind: 'host', address: '10.0.0.30' } },
      { witness: { kind: 'file-share', address: '\\\\files\\Witness Share$\\pair 01' } },
      { witness: null },
    ];
    for (const patch of accepted) {
      const err = await failure(engine.api.pair({ ...base, ...patch } as never));
      expect(err.code, JSON.stringify(patch)).toBe('not-found');
    }
    const user = await failure(engine.api.connect({ ...connect, username: 'Administrator ' }));
    expect(user.message).toMatch(/^username: The user name starts or ends with a space/);
    const host = await failure(engine.api.connect({ ...connect, address: ' 127.0.0.1' }));
    expect(host.message).toMatch(/^address: The server name starts or ends with a space/);
  });

  it('refuses unknown fields where the contract is strict', async () => {
    const err = await failure(engine.api.sessions({ extra: 1 } as never));
    expect(err.code).toBe('invalid-input');
  });

  it('reports unknown sessions and jobs as not-found', async () => {
    expect((await failure(engine.api.inventory({ sessionId: 'nope' }))).code).toBe('not-found');
    expect((await failure(engine.api.verify({ sessions: ['a', 'b'] }))).code).toBe('not-found');
    expect((await failure(engine.api.job({ jobId: 'nope' }))).code).toBe('not-found');
  });

  it('refuses the same server twice', async () => {
    const err = await failure(engine.api.verify({ sessions: ['a', 'a'] }));
    expect(err.code).toBe('invalid-input');
    expect(err.message).toMatch(/^sessions: /);
  });

  it('says unreachable when nothing listens', async () => {
    const err = await failure(engine.api.connect({ ...connect, port: 1, timeoutMs: 2000 }));
    expect(err.code).toBe('unreachable');
  });
});

describe('engine suggestions and scans', () => {
  it('suggests nothing without a lab', async () => {
    expect(await engine.api.suggestions({})).toEqual({
      targets: workstationTargets().join(', '),
      hosts: [],
      labAccount: null,
    });
  });

  it('offers the lab’s servers and account, with the round trip to each that answers', async () => {
    const listening = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', () => resolve()));
    const port = (listening.address() as AddressInfo).port;
    const lab = createEngine({
      dataDir: await mkdtemp(join(tmpdir(), 'twinlock-engine-')),
      lab: {
        hosts: [
          { name: 'TL-NODE-A', address: '127.0.0.1', port, username: 'Administrator', password: 'pw' },
          { name: 'TL-NODE-B', address: '127.0.0.1', port: 40002, username: 'Administrator', password: 'pw' },
        ],
      },
    });
    const s = await lab.api.suggestions({});
    listening.close();
    expect(s.targets).toBe(`127.0.0.1:${port}, 127.0.0.1:40002`);
    expect(s.hosts[0]!.rttMs).toBeTypeOf('number');
    // Nothing listens on the second: no round trip is made up for it.
    expect(s.hosts[1]!.rttMs).toBeNull();
    expect(s.labAccount).toEqual({ username: 'Administrator', password: 'pw' });
    expect(s.hosts[1]).toMatchObject({
      name: 'TL-NODE-B',
      kind: 'windows-ssh',
      banner: 'SSH-2.0-OpenSSH_for_Windows_8.1',
      port: 40002,
    });
    await lab.close();
  });

  it('checks targets as typed: a count, or the bad token with an example, and nothing for an empty box', async () => {
    expect(await engine.api.checkTargets({ targets: '10.0.0.0/24 !10.0.0.1 srv-a' })).toEqual({ count: 254 });
    expect(await engine.api.checkTargets({ targets: '  ' })).toEqual({ count: 0 });
    const bad = await failure(engine.api.checkTargets({ targets: '10.0.0.0/24, 10.0.0.300' }));
    expect(bad).toMatchObject({ code: 'invalid-input', detail: { field: 'targets', token: '10.0.0.300' } });
    expect(bad.hint).toContain('e.g.');
    const large = await failure(engine.api.checkTargets({ targets: '10.0.0.0/15' }));
    expect(large).toMatchObject({ code: 'invalid-input', detail: { field: 'targets', tooLarge: true } });
    expect(await engine.api.checkTargets({ targets: '10.0.0.0/15', allowLarge: true })).toEqual({
      count: 131_070,
    });
  });

  it('runs a scan as a job with events', async () => {
    const server = await bannerServer('SSH-2.0-OpenSSH_for_Windows_8.1');
    const events: ApiEvent[] = [];
    const off = engine.subscribe((e) => events.push(e));
    const ref = await engine.api.scan({ targets: `127.0.0.1:${server.port}`, timeoutMs: 500 });
    expect(ref.kind).toBe('scan');
    const done = await engine.api.waitJob({ jobId: ref.jobId });
    off();
    await server.close();
    expect(done.state).toBe('done');
    expect(done.kind === 'scan' && done.result.map((h) => h.kind)).toEqual(['windows-ssh']);
    expect(events.some((e) => e.type === 'job' && e.job.id === ref.jobId && e.job.state === 'done')).toBe(
      true,
    );
    expect(events.some((e) => e.type === 'log')).toBe(true);
  });

  it('refuses calls after close', async () => {
    const e = createEngine({ dataDir: await mkdtemp(join(tmpdir(), 'twinlock-engine-')) });
    await e.close();
    expect((await failure(e.api.sessions({}))).code).toBe('cancelled');
  });
});
