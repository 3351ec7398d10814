import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CTL_PATH } from '../../../lab/msiexec';
import { offlineLab } from './offline';
import type { OfflineLab } from './offline';

const AGENT_DIR = join(import.meta.dirname, '../../../resources/agent');
const manifest = JSON.parse(readFileSync(join(AGENT_DIR, 'agent-manifest.json'), 'utf8'));
const msi = readFileSync(join(AGENT_DIR, manifest.file));
const LINKS = JSON.stringify([{ localAddress: '10.10.1.21', remoteAddress: '10.10.1.22' }]);

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

async function ctl(i: number, ...args: string[]) {
  const r = await lab.run(lab.hosts[i]!, 'invoke-twinlockctl', { ctlPath: CTL_PATH, arguments: [...args, '--json'] });
  return r as { exitCode: number; output: any; text: string };
}

const create = (token = 'tok-1234567890', level = '3') =>
  ctl(0, 'pair', 'create', '--name', 'P', '--peer', 'TL-NODE-B', '--token', token, '--level', level, '--links', LINKS);

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
    const bad = await ctl(1, 'pair', 'join', '--peer', 'TL-NODE-A', '--token', 'guess');
    expect(bad.output.error.code).toBe('token-rejected');
    expect((await ctl(1, 'pair', 'join', '--peer', 'TL-NODE-A', '--token', 'tok-1234567890')).exitCode).toBe(0);
  });

  it('refuses Level 3 across processor steppings', async () => {
    await installedLab('stepping-mismatch');
    await create();
    const r = await ctl(1, 'pair', 'join', '--peer', 'TL-NODE-A', '--token', 'tok-1234567890');
    expect(r.exitCode).not.toBe(0);
    expect(r.output.error.code).toBe('incompatible-peer');
  });

  it('needs the service running and a known VM', async () => {
    await installedLab();
    await create();
    expect((await ctl(0, 'protect', '--vm', 'NOPE')).output.error.code).toBe('vm-not-found');
    lab.hosts[0]!.services.get('TwinlockAgent')!.status = 'Stopped';
    const r = await ctl(0, 'status');
    expect(r.exitCode).not.toBe(0);
    expect(r.output.error.code).toBe('service-stopped');
  });

  it('refuses a drill before protected, and a usage error exits 2', async () => {
    await installedLab();
    lab.world.clock.timeScale = 1;
    await create();
    await ctl(1, 'pair', 'join', '--peer', 'TL-NODE-A', '--token', 'tok-1234567890');
    expect((await ctl(0, 'drill', '--kind', 'primary-loss')).output.error.code).toBe('not-protected');
    expect((await ctl(0, 'frobnicate')).exitCode).toBe(2);
  });

  it('shows failed-over on the survivor when the protected peer goes down, broken after uninstall', async () => {
    await installedLab('matched-pair', 100_000);
    await create();
    await ctl(1, 'pair', 'join', '--peer', 'TL-NODE-A', '--token', 'tok-1234567890');
    await new Promise((r) => setTimeout(r, 10));
    expect((await ctl(0, 'status')).output.pair.state).toBe('protected');
    lab.hosts[1]!.services.get('TwinlockAgent')!.status = 'Stopped';
    expect((await ctl(0, 'status')).output.pair.state).toBe('failed-over');
    lab.hosts[1]!.services.get('TwinlockAgent')!.status = 'Running';
    await lab.run(lab.hosts[1]!, 'uninstall-agent', { productCode: manifest.productCode, logPath: 'C:\\u.log' });
    expect((await ctl(0, 'status')).output.pair.state).toBe('broken');
    expect((await ctl(0, 'pair', 'remove')).output).toEqual({ state: 'none' });
    expect((await ctl(0, 'status')).output.pair).toBeNull();
  });
});
