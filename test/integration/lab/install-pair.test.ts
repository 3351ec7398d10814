import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client, SFTPWrapper } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CTL_PATH, PAIR_PHASES, startLab } from '../../../lab/index';
import type { Lab } from '../../../lab/index';
import { connect, mkdirp, runScript, sftp, statSize, upload } from './ssh-helpers';

const AGENT_DIR = join(import.meta.dirname, '../../../resources/agent');
const manifest = JSON.parse(readFileSync(join(AGENT_DIR, 'agent-manifest.json'), 'utf8'));
const msi: Buffer = readFileSync(join(AGENT_DIR, manifest.file));
const PACKAGES = '/C:/ProgramData/Twinlock/packages';
const WIN_PACKAGE = `C:\\ProgramData\\Twinlock\\packages\\${manifest.file}`;
const WIN_LOG = 'C:\\ProgramData\\Twinlock\\logs\\install.log';

let lab: Lab;
const clients: Client[] = [];
const sftps: SFTPWrapper[] = [];

beforeAll(async () => {
  // Fast lab time: the whole pairing takes well under a second.
  lab = await startLab({ timeScale: 600, latencyMs: 2 });
  for (const info of lab.hosts) {
    const { client } = await connect(info);
    clients.push(client);
    sftps.push(await sftp(client));
  }
});

afterAll(async () => {
  for (const c of clients) c.end();
  await lab?.close();
});

function ctl(i: number, verb: string, input: Record<string, unknown> = {}) {
  return runScript(clients[i]!, 'invoke-twinlockctl', { ctlPath: CTL_PATH, verb: verb.split(' '), input });
}

describe('SFTP', () => {
  it('uploads the package in 100 KB chunks into the host folder', async () => {
    await mkdirp(sftps[0]!, PACKAGES);
    await upload(sftps[0]!, `${PACKAGES}/${manifest.file}`, msi);
    const host = lab.host('TL-NODE-A');
    expect(host.fileExists(WIN_PACKAGE)).toBe(true);
    expect(host.readFile(WIN_PACKAGE).equals(msi)).toBe(true);
    expect(host.listFiles()).toContain(WIN_PACKAGE);
    expect(await statSize(sftps[0]!, `${PACKAGES}/${manifest.file}`)).toBe(msi.length);
  });

  it('refuses a WRITE over 100 KB as Windows OpenSSH does', async () => {
    await expect(
      upload(sftps[0]!, `${PACKAGES}/big.bin`, Buffer.alloc(150 * 1024), 150 * 1024),
    ).rejects.toThrow(/Failure/);
  });

  it('refuses paths outside C:\\', async () => {
    await expect(upload(sftps[0]!, '/C:/../../escape.bin', Buffer.from('x'))).rejects.toThrow(
      /Permission denied/,
    );
    await expect(upload(sftps[0]!, '/D:/x.bin', Buffer.from('x'))).rejects.toThrow();
  });

  it('resumes an upload cut by a dropped connection', async () => {
    const host = lab.host('TL-NODE-B');
    host.faults.cutUploadAfterBytes = 1_000_000;
    await mkdirp(sftps[1]!, PACKAGES);
    await expect(upload(sftps[1]!, `${PACKAGES}/${manifest.file}`, msi)).rejects.toThrow();
    const { client } = await connect(lab.hosts[1]!);
    clients[1] = client;
    sftps[1] = await sftp(client);
    const done = await statSize(sftps[1]!, `${PACKAGES}/${manifest.file}`);
    expect(done).toBe(1_000_000);
    await upload(sftps[1]!, `${PACKAGES}/${manifest.file}`, msi, 100 * 1024, done);
    expect(host.readFile(WIN_PACKAGE).equals(msi)).toBe(true);
  });
});

describe('install', () => {
  it('verifies the uploaded package on the server', async () => {
    const r = await runScript(clients[0]!, 'test-agent-package', { path: WIN_PACKAGE });
    expect(r.json.data).toMatchObject({
      exists: true,
      size: manifest.size,
      sha256: manifest.sha256,
      signatureStatus: 'Valid',
      signer: manifest.signer,
    });
  });

  it('installs the agent; get-agent-state shows the product, the service and the rules', async () => {
    for (const i of [0, 1]) {
      const r = await runScript(clients[i]!, 'install-agent', {
        path: WIN_PACKAGE,
        logPath: WIN_LOG,
        arguments: manifest.installArgs,
      });
      expect(r.json.data).toMatchObject({ exitCode: 0, rebootRequired: false, logTail: [] });
      const state = await runScript(clients[i]!, 'get-agent-state', {
        productName: manifest.name,
        service: manifest.service,
        ctlPath: CTL_PATH,
        firewallGroup: 'Twinlock Agent',
      });
      const d = state.json.data;
      expect(d.product).toMatchObject({
        name: 'TwinlockAgent',
        version: '3.2.1',
        productCode: manifest.productCode,
      });
      expect(d.service).toEqual({ name: 'TwinlockAgent', status: 'Running', startType: 'Automatic' });
      expect(d.firewallRules.flatMap((r: { localPorts: string[] }) => r.localPorts).sort()).toEqual([
        '7440',
        '7441',
        '7442',
      ]);
      expect(d.ctl).toMatchObject({ version: '3.2.1' });
    }
    const log = lab.host('TL-NODE-A').readFile(WIN_LOG);
    expect([log[0], log[1]]).toEqual([0xff, 0xfe]);
    expect(log.toString('utf16le')).toContain('Installation success or error status: 0.');
  });

  it('returns 1618 and then succeeds when another install was running', async () => {
    const host = lab.host('TL-NODE-A');
    host.faults.msiExitCodes = [1618];
    const busy = await runScript(clients[0]!, 'install-agent', {
      path: WIN_PACKAGE,
      logPath: WIN_LOG,
      arguments: [],
    });
    expect(busy.json.data.exitCode).toBe(1618);
    expect(busy.json.data.logTail.join('\n')).toContain('Another installation is in progress');
    const again = await runScript(clients[0]!, 'install-agent', {
      path: WIN_PACKAGE,
      logPath: WIN_LOG,
      arguments: [],
    });
    expect(again.json.data.exitCode).toBe(0);
  });
});

describe('pairing', () => {
  it('pair create + join reaches protected', async () => {
    const links = [
      {
        localNic: 'SLOT 3 Port 1',
        remoteNic: 'SLOT 3 Port 1',
        localAddress: '10.10.1.21',
        remoteAddress: '10.10.1.22',
      },
      {
        localNic: 'SLOT 3 Port 2',
        remoteNic: 'SLOT 3 Port 2',
        localAddress: '10.10.2.21',
        remoteAddress: '10.10.2.22',
      },
    ];
    const test = await ctl(0, 'links test', {
      peer: '10.10.1.22',
      links: [{ local: '10.10.1.21', remote: '10.10.1.22' }],
      seconds: 5,
    });
    expect(test.json.data.exitCode).toBe(0);
    expect(
      test.json.data.output.links.some(
        (l: { remote: string; up: boolean }) => l.remote === '10.10.1.22' && l.up,
      ),
    ).toBe(true);

    const token = 'b6f1c1b5e0a94c0f9d1e2a3b4c5d6e7f';
    const created = await ctl(0, 'pair create', {
      name: 'PAIR-01',
      peer: '192.168.50.22',
      token,
      level: 3,
      links: links.map((l) => ({
        local: l.localAddress,
        remote: l.remoteAddress,
        localNic: l.localNic,
        remoteNic: l.remoteNic,
      })),
      witness: { kind: 'host', address: '192.168.50.30' },
    });
    expect(created.json.data).toMatchObject({ exitCode: 0, output: { state: 'pairing' } });
    // From the join on, the pair's phases move only with the lab's clock, stopped here to look at each.
    lab.clock.pause();
    try {
      const joined = await ctl(1, 'pair join', { peer: '192.168.50.21', token });
      expect(joined.json.data).toMatchObject({
        exitCode: 0,
        output: { pairId: created.json.data.output.pairId, state: 'pairing' },
      });

      const reused = await ctl(1, 'pair join', { peer: '192.168.50.21', token });
      expect(reused.json.data.exitCode).not.toBe(0);
      expect(reused.json.data.output.error.code).toBe('already-paired');

      const state = async () => {
        const { pair } = (await ctl(0, 'status')).json.data.output;
        return { state: pair.state, progress: pair.progress };
      };
      const { pairing, mirroring, syncing } = PAIR_PHASES;
      expect(await state()).toEqual({ state: 'pairing', progress: 0 });
      await lab.clock.advance(pairing);
      expect(await state()).toEqual({ state: 'mirroring', progress: 0 });
      await lab.clock.advance(mirroring / 2);
      expect(await state()).toEqual({ state: 'mirroring', progress: 50 });
      await lab.clock.advance(mirroring / 2);
      expect(await state()).toEqual({ state: 'syncing', progress: 100 });
      await lab.clock.advance(syncing);
    } finally {
      lab.clock.resume();
    }
    const status = (await ctl(0, 'status')).json.data.output;
    expect(status.pair).toMatchObject({ name: 'PAIR-01', state: 'protected', progress: 100, level: 3 });
    expect(status.pair.links).toHaveLength(2);

    const secondary = (await ctl(1, 'status')).json.data.output;
    expect(secondary).toMatchObject({
      role: 'secondary',
      pair: { state: 'protected', peer: '192.168.50.21' },
    });

    const prot = await ctl(0, 'protect', { vm: 'SQL01' });
    expect(prot.json.data.output).toEqual({ vm: 'SQL01', protected: true });
    const drill = await ctl(0, 'drill', { kind: 'primary-loss' });
    expect(drill.json.data.output).toMatchObject({ result: 'passed', downtimeMs: 0 });

    lab.host('TL-NODE-B').faults.syncLinkDown = true;
    expect((await ctl(0, 'status')).json.data.output.pair.state).toBe('degraded');
    lab.host('TL-NODE-B').faults.syncLinkDown = false;

    const removed = await ctl(0, 'pair remove');
    expect(removed.json.data.output).toEqual({ state: 'none' });
    expect((await ctl(1, 'status')).json.data.output.role).toBe('none');
  });

  it('answers errors as {"error":{code,message}} with a non-zero exit', async () => {
    const r = await ctl(1, 'pair join', { peer: '192.168.50.21', token: 'nope' });
    expect(r.json.ok).toBe(true);
    expect(r.json.data.exitCode).not.toBe(0);
    expect(r.json.data.output.error).toMatchObject({ code: 'no-pending-pair' });
  });
});
