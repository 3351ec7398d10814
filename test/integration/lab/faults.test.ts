import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client, SFTPWrapper } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CTL_PATH, startLab } from '../../../lab/index';
import type { Lab } from '../../../lab/index';
import { connect, mkdirp, runScript, sftp, upload } from './ssh-helpers';

const AGENT_DIR = join(import.meta.dirname, '../../../resources/agent');
const manifest = JSON.parse(readFileSync(join(AGENT_DIR, 'agent-manifest.json'), 'utf8'));
const msi: Buffer = readFileSync(join(AGENT_DIR, manifest.file));
const PACKAGE = 'C:\\ProgramData\\Twinlock\\packages\\agent.msi';

let lab: Lab;
beforeAll(async () => {
  lab = await startLab({ timeScale: 600, latencyMs: 1 });
});
afterAll(async () => {
  await lab?.close();
});

function call<T>(fn: (cb: (err: Error | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

async function session(i: number): Promise<{ client: Client; files: SFTPWrapper }> {
  const { client } = await connect(lab.hosts[i]!);
  return { client, files: await sftp(client) };
}

describe('SFTP operations', () => {
  it('lists, renames and removes, with Windows paths', async () => {
    const { client, files } = await session(0);
    try {
      const home = await call<string>((cb) => files.realpath('.', cb));
      expect(home).toBe('/C:/Users/Administrator');
      await mkdirp(files, '/C:/Temp/a');
      await upload(files, '/C:/Temp/a/one.txt', Buffer.from('1'));
      await call<void>((cb) =>
        files.rename('/C:/Temp/a/one.txt', '/C:/Temp/a/two.txt', (e) => cb(e, undefined)),
      );
      const names = (
        await call<{ filename: string }[]>((cb) => files.readdir('/C:/Temp/a', cb as never))
      ).map((e) => e.filename);
      expect(names).toContain('two.txt');
      expect(names).not.toContain('one.txt');
      // NTFS is case-insensitive: the same file under another spelling.
      expect(lab.host('TL-NODE-A').fileExists('c:\\temp\\A\\TWO.TXT')).toBe(true);
      await call<void>((cb) => files.unlink('/C:/Temp/a/two.txt', (e) => cb(e, undefined)));
      expect(lab.host('TL-NODE-A').fileExists('C:\\Temp\\a\\two.txt')).toBe(false);
    } finally {
      client.end();
    }
  });

  it('fails writes while the disk is full', async () => {
    const { client, files } = await session(0);
    lab.host('TL-NODE-A').faults.diskFull = true;
    try {
      await expect(upload(files, '/C:/Temp/full.bin', Buffer.alloc(1024))).rejects.toThrow(/Failure/);
    } finally {
      lab.host('TL-NODE-A').faults.diskFull = false;
      client.end();
    }
  });
});

describe('reboots, power and clocks', () => {
  it('msiexec 1641 restarts the server: connections refused for the reboot, then back', async () => {
    const host = lab.host('TL-NODE-B');
    host.faults.msiExitCodes = [1641];
    host.faults.rebootSeconds = 600;
    host.writeFile(PACKAGE, msi);
    const { client } = await connect(lab.hosts[1]!);
    const r = await runScript(client, 'install-agent', {
      path: PACKAGE,
      logPath: 'C:\\l.log',
      arguments: [],
    });
    client.end();
    expect(r.json.data).toMatchObject({ exitCode: 1641, rebootRequired: true });
    // The restart begins just after the answer and lasts the fault's 600 lab seconds; the lab's
    // clock is stopped as it begins, so the server stays down until the test moves it on.
    await host.whenDown();
    lab.clock.pause();
    try {
      expect(host.restarts).toBe(1);
      await expect(connect(lab.hosts[1]!)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      await lab.clock.advance(500);
      expect(host.isDown()).toBe(true);
      await expect(connect(lab.hosts[1]!)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      await lab.clock.advance(100);
    } finally {
      lab.clock.resume();
    }
    await host.whenUp();
    const back = await connect(lab.hosts[1]!);
    back.client.end();
    expect(host.pendingReboot).toBe(false);
    expect(host.services.get('TwinlockAgent')?.status).toBe('Running');
  });

  it('reports the server clock with its skew', async () => {
    const host = lab.host('TL-NODE-A');
    host.faults.clockSkewSeconds = 600;
    const { client } = await connect(lab.hosts[0]!);
    const r = await runScript(client, 'get-inventory');
    client.end();
    host.faults.clockSkewSeconds = 0;
    const ms = Number(/Date\((\d+)\)/.exec(r.json.data.collectedAtUtc)![1]);
    expect(ms - Date.now()).toBeGreaterThan(590_000);
  });

  it('a peer lost mid-pairing breaks the pair on the survivor', async () => {
    const a = lab.host('TL-NODE-A');
    const b = lab.host('TL-NODE-B');
    a.writeFile(PACKAGE, msi);
    const ca = (await connect(lab.hosts[0]!)).client;
    await runScript(ca, 'install-agent', { path: PACKAGE, logPath: 'C:\\l.log', arguments: [] });
    const cb = (await connect(lab.hosts[1]!)).client;
    const ctl = (c: Client, verb: string, input: Record<string, unknown> = {}) =>
      runScript(c, 'invoke-twinlockctl', { ctlPath: CTL_PATH, verb: verb.split(' '), input });
    const links = [{ local: '10.10.1.21', remote: '10.10.1.22' }];
    await ctl(ca, 'pair create', {
      name: 'P2',
      peer: '10.10.1.22',
      token: 't0k3n-abcdef',
      level: 3,
      links,
      witness: null,
    });
    await ctl(cb, 'pair join', { peer: '10.10.1.21', token: 't0k3n-abcdef' });
    cb.end();
    b.powerOff();
    expect(a.agentStatus()).toMatchObject({ role: 'primary', pair: { state: 'broken' } });
    await expect(connect(lab.hosts[1]!)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    b.powerOn();
    await b.whenUp();
    const status = (await ctl(ca, 'status')).json.data.output;
    expect(['pairing', 'mirroring', 'syncing', 'protected']).toContain(status.pair.state);
    ca.end();
  });
});
