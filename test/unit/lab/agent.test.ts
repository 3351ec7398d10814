import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PAIR_PHASES } from '../../../lab/agent';
import { runCtl } from '../../../lab/ctl';
import { CTL_PATH } from '../../../lab/msiexec';
import { offlineLab } from './offline';
import type { OfflineLab } from './offline';

const AGENT_DIR = join(import.meta.dirname, '../../../resources/agent');
const manifest = JSON.parse(readFileSync(join(AGENT_DIR, 'agent-manifest.json'), 'utf8'));
const msi = readFileSync(join(AGENT_DIR, manifest.file));
const LINKS = [{ local: '10.10.1.21', remote: '10.10.1.22' }];

let lab: OfflineLab;
afterEach(() => lab?.dispose());

async function installedLab(profile = 'matched-pair', timeScale = 6000): Promise<OfflineLab> {
  lab = offlineLab(profile, timeScale);
  for (const host of lab.hosts) {
    host.writeFile('C:\\p.msi', msi);
    await lab.run(host, 'install-agent', { path: 'C:\\p.msi', logPath: 'C:\\l.log', arguments: [] });
  }
  return lab;
}

async function ctl(i: number, verb: string, input: Record<string, unknown> = {}) {
  const r = await lab.run(lab.hosts[i]!, 'invoke-twinlockctl', {
    ctlPath: CTL_PATH,
    verb: verb.split(' '),
    input,
  });
  return r as { exitCode: number; output: any; text: string };
}

const create = (token = 'tok-1234567890', level = 3, extra: Record<string, unknown> = {}) =>
  ctl(0, 'pair create', {
    name: 'P',
    peer: 'TL-NODE-B',
    token,
    level,
    links: LINKS,
    witness: null,
    ...extra,
  });
const joinPair = (token = 'tok-1234567890') => ctl(1, 'pair join', { peer: 'TL-NODE-A', token });

describe('twinlockctl in the lab', () => {
  it('answers version with the installed version and a node id', async () => {
    await installedLab();
    const r = await ctl(0, 'version');
    expect(r.exitCode).toBe(0);
    expect(r.output).toMatchObject({ version: '3.2.1', nodeId: expect.any(String) });
    expect(JSON.parse(r.text)).toEqual(r.output);
  });

  it('rejects a wrong token and keeps the pairing waiting', async () => {
    await installedLab();
    await create();
    const bad = await joinPair('guess');
    expect(bad.output.error.code).toBe('token-rejected');
    expect((await joinPair()).exitCode).toBe(0);
  });

  it('refuses Level 3 across processor steppings', async () => {
    await installedLab('stepping-mismatch');
    await create();
    const r = await joinPair();
    expect(r.exitCode).not.toBe(0);
    expect(r.output.error.code).toBe('incompatible-peer');
  });

  it('needs the service running and a known VM', async () => {
    await installedLab();
    await create();
    expect((await ctl(0, 'protect', { vm: 'NOPE' })).output.error.code).toBe('vm-not-found');
    lab.hosts[0]!.services.get('TwinlockAgent')!.status = 'Stopped';
    const r = await ctl(0, 'status');
    expect(r.exitCode).not.toBe(0);
    expect(r.output.error.code).toBe('service-stopped');
  });

  it('refuses a drill before protected, and a usage error exits 2', async () => {
    await installedLab();
    lab.world.clock.timeScale = 1;
    await create();
    await joinPair();
    expect((await ctl(0, 'drill', { kind: 'primary-loss' })).output.error.code).toBe('not-protected');
    expect((await ctl(0, 'drill', { kind: 'frobnicate' })).exitCode).toBe(2);
  });

  it('shows failed-over on the survivor when the protected peer goes down, broken after uninstall', async () => {
    await installedLab('matched-pair');
    lab.world.clock.pause();
    await create();
    await joinPair();
    await lab.world.clock.advance(PAIR_PHASES.pairing + PAIR_PHASES.mirroring + PAIR_PHASES.syncing);
    lab.world.clock.resume();
    expect((await ctl(0, 'status')).output.pair.state).toBe('protected');
    lab.hosts[1]!.services.get('TwinlockAgent')!.status = 'Stopped';
    expect((await ctl(0, 'status')).output.pair.state).toBe('failed-over');
    lab.hosts[1]!.services.get('TwinlockAgent')!.status = 'Running';
    await lab.run(lab.hosts[1]!, 'uninstall-agent', {
      productCode: manifest.productCode,
      logPath: 'C:\\u.log',
    });
    expect((await ctl(0, 'status')).output.pair.state).toBe('broken');
    expect((await ctl(0, 'pair remove')).output).toEqual({ state: 'none' });
    expect((await ctl(0, 'status')).output.pair).toBeNull();
  });
});

describe('twinlockctl in the lab: the command line carries no value', () => {
  const argv = async (args: string[], stdin: string | Uint8Array = '{}') => {
    await installedLab();
    const r = await runCtl(lab.hosts[0]!, lab.world, args, stdin);
    return { exitCode: r.exitCode, output: JSON.parse(r.stdout) as any };
  };

  it.each([
    [['pair', 'create', '--name', 'P', '--input', '-'], '"--name"'],
    [['status', '--json'], '"--json"'],
    [['status'], 'Missing --input -'],
    [['status', '--input'], 'Missing --input -'],
    [['status', '--input', 'x.json'], '"x.json"'],
    [['status', '--input', '-', '--level', '1'], '"--level"'],
    [['protect', 'SQL01', '--input', '-'], '"SQL01"'],
    [['STATUS', '--input', '-'], "Unknown command 'STATUS'"],
    [['pair', '--input', '-'], "Unknown command 'pair'"],
    [[], 'Usage: twinlockctl <verb> --input -'],
  ])('refuses %j with its error JSON and a non-zero exit', async (args, said) => {
    const r = await argv(args);
    expect(r.exitCode).toBe(2);
    expect(r.output.error.code).toBe('usage');
    expect(r.output.error.message).toContain(said);
  });

  it('refuses stdin that is not one UTF-8 JSON object', async () => {
    for (const stdin of [Buffer.from([0x7b, 0xff, 0x7d]), '\uFEFF{}', '', '[]', 'null', '{"a":1} {"b":2}']) {
      const r = await argv(['status', '--input', '-'], stdin);
      expect(r.exitCode).toBe(2);
      expect(r.output.error.code).toBe('invalid-input');
    }
    expect((await argv(['status', '--input', '-'], '{}')).exitCode).toBe(0);
  });

  it('refuses a verb outside the contract in invoke-twinlockctl, before twinlockctl runs', async () => {
    await installedLab();
    for (const verb of [['frobnicate'], ['Status'], ['pair', 'create', '--name']]) {
      await expect(
        lab.run(lab.hosts[0]!, 'invoke-twinlockctl', { ctlPath: CTL_PATH, verb, input: {} }),
      ).rejects.toThrow(/has no verb/);
    }
    await expect(
      lab.run(lab.hosts[0]!, 'invoke-twinlockctl', { ctlPath: CTL_PATH, verb: ['status'] }),
    ).rejects.toThrow(/needs an input object/);
  });

  it('takes names verbatim from stdin: never trimmed or re-cased', async () => {
    await installedLab();
    const a = lab.hosts[0]!;
    a.vms.push({ ...a.vms[0]!, name: ' x ' }, { ...a.vms[0]!, name: 'x' });
    const name = ` P <&'> "\\" \u05e9\u05dc\u05d5\u05dd e\u0301 `;
    const witness = { kind: 'share', address: '\\\\fs01\\W it "ness\\' };
    const links = [
      { local: '10.10.1.21', remote: '10.10.1.22', localNic: ' SLOT 3 Port 1 ', remoteNic: 'sLot\\' },
    ];
    expect((await create('tok-1234567890', 3, { name, witness, links })).exitCode).toBe(0);
    expect((await ctl(0, 'protect', { vm: ' x ' })).output).toEqual({ vm: ' x ', protected: true });
    expect((await ctl(0, 'protect', { vm: 'X' })).output.error.code).toBe('vm-not-found');
    const pair = a.agent!.pair!;
    expect(pair.name).toBe(name);
    expect(pair.witness).toEqual(witness);
    expect(pair.links).toEqual([
      {
        primaryAddress: '10.10.1.21',
        secondaryAddress: '10.10.1.22',
        primaryNic: ' SLOT 3 Port 1 ',
        secondaryNic: 'sLot\\',
      },
    ]);
    expect([...pair.protectedVms]).toEqual([' x ']);
    expect((await ctl(0, 'status')).output.pair).toMatchObject({
      name,
      witness: { kind: 'share', address: witness.address },
    });
  });

  it('keeps the witness host’s port pair create names, and reports it (7443 when none was named)', async () => {
    await installedLab();
    const witness = { kind: 'host', address: 'witness01', port: 7500 };
    expect((await create('tok-1234567890', 3, { witness })).exitCode).toBe(0);
    expect((await ctl(0, 'status')).output.pair.witness).toEqual({ ...witness, reachable: true });
    lab.hosts[0]!.agent!.pair!.witness = { kind: 'host', address: 'witness01' };
    expect((await ctl(0, 'status')).output.pair.witness).toEqual({
      kind: 'host',
      address: 'witness01',
      port: 7443,
      reachable: true,
    });
  });

  it('refuses an empty name or a value of the wrong type', async () => {
    await installedLab();
    expect((await create('tok-1234567890', 3, { name: '' })).output.error).toMatchObject({
      code: 'invalid-input',
      message: expect.stringContaining('name'),
    });
    expect((await create('tok-1234567890', 3, { level: '3' })).output.error).toMatchObject({
      code: 'invalid-input',
      message: expect.stringContaining('level'),
    });
    expect(
      (await create('tok-1234567890', 3, { links: [{ local: '10.10.1.21', remote: '' }] })).output.error
        .message,
    ).toContain('links[0].remote');
    expect(
      (await create('tok-1234567890', 3, { witness: { kind: 'share', address: '' } })).output.error.message,
    ).toContain('witness.address');
    expect(
      (await create('tok-1234567890', 3, { witness: { kind: 'host', address: 'w', port: 0 } })).output.error
        .message,
    ).toContain('witness.port');
  });
});
