import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CTL_PATH } from '../../../lab/msiexec';
import { makePackage } from '../../../lab/make-package';
import { offlineLab } from './offline';
import type { OfflineLab } from './offline';

const AGENT_DIR = join(import.meta.dirname, '../../../resources/agent');
const LOG = 'C:\\ProgramData\\Twinlock\\logs\\msi.log';
const STATE = {
  productName: 'TwinlockAgent',
  service: 'TwinlockAgent',
  ctlPath: CTL_PATH,
  firewallGroup: 'Twinlock Agent',
};

let lab: OfflineLab;
beforeEach(() => {
  lab = offlineLab();
});
afterEach(() => lab.dispose());

function put(version: string, size = 64 * 1024): string {
  const dir = join(lab.world.hosts[0]!.drive.root, '..', '..', `pkg-${version}`);
  const { filePath, manifest } = makePackage({ outDir: dir, version, sizeBytes: size });
  const win = `C:\\ProgramData\\Twinlock\\packages\\${manifest.file}`;
  lab.hosts[0]!.writeFile(win, readFileSync(filePath));
  return win;
}

const install = (path: string) =>
  lab.run(lab.hosts[0]!, 'install-agent', { path, logPath: LOG, arguments: ['ALLUSERS=1'] });

describe('msiexec in the lab', () => {
  it('installs, then leaves the same version alone', async () => {
    const path = put('3.2.1');
    expect((await install(path)).exitCode).toBe(0);
    expect((await install(path)).exitCode).toBe(0);
    expect(lab.hosts[0]!.installedProducts()).toHaveLength(1);
  });

  it('upgrades an older version, keeping the node id', async () => {
    await install(put('3.1.0'));
    const before = lab.hosts[0]!.agent!.nodeId;
    expect((await install(put('3.2.1'))).exitCode).toBe(0);
    const state = await lab.run(lab.hosts[0]!, 'get-agent-state', STATE);
    expect(state.product.version).toBe('3.2.1');
    expect(state.ctl).toMatchObject({ version: '3.2.1', nodeId: before });
    expect(lab.hosts[0]!.installedProducts()).toHaveLength(1);
  });

  it('refuses a downgrade with 1603 and says why in the log tail', async () => {
    await install(put('3.2.1'));
    const r = await install(put('3.1.0'));
    expect(r.exitCode).toBe(1603);
    expect(r.logTail.join('\n')).toContain('A newer version of TwinlockAgent (3.2.1) is already installed.');
    expect(r.logTail.length).toBeLessThanOrEqual(40);
    expect(r.logTail.some((l: string) => l.startsWith('Property('))).toBe(false);
  });

  it('rolls back with 1603 (error 1920) when the service will not start', async () => {
    lab.hosts[0]!.faults.serviceWontStart = true;
    const r = await install(put('3.2.1'));
    expect(r.exitCode).toBe(1603);
    expect(r.logTail.join('\n')).toContain('Error 1920');
    expect(lab.hosts[0]!.installedProducts()).toEqual([]);
    expect(lab.hosts[0]!.fileExists(CTL_PATH)).toBe(false);
  });

  it('plays queued exit codes, then behaves normally', async () => {
    lab.hosts[0]!.faults.msiExitCodes = [1618, 3010];
    const path = put('3.2.1');
    expect((await install(path)).exitCode).toBe(1618);
    const r = await install(path);
    expect(r).toMatchObject({ exitCode: 3010, rebootRequired: true, logTail: [] });
    expect(lab.hosts[0]!.pendingReboot).toBe(true);
    expect((await install(path)).exitCode).toBe(0);
  });

  it('answers 1619 for a missing package and 1620 for a file that is no package', async () => {
    expect((await install('C:\\ProgramData\\Twinlock\\packages\\missing.msi')).exitCode).toBe(1619);
    lab.hosts[0]!.writeFile('C:\\junk.msi', 'MZ');
    expect((await install('C:\\junk.msi')).exitCode).toBe(1620);
  });

  it('uninstalls by product code; 1605 when absent', async () => {
    const manifest = JSON.parse(readFileSync(join(AGENT_DIR, 'agent-manifest.json'), 'utf8'));
    lab.hosts[0]!.writeFile('C:\\p.msi', readFileSync(join(AGENT_DIR, manifest.file)));
    await install('C:\\p.msi');
    const r = await lab.run(lab.hosts[0]!, 'uninstall-agent', {
      productCode: manifest.productCode,
      logPath: LOG,
    });
    expect(r.exitCode).toBe(0);
    const state = await lab.run(lab.hosts[0]!, 'get-agent-state', STATE);
    expect(state).toEqual({
      product: null,
      service: null,
      firewallRules: [],
      ctl: null,
      ctlError: null,
      rebootPending: false,
    });
    expect(
      (await lab.run(lab.hosts[0]!, 'uninstall-agent', { productCode: manifest.productCode, logPath: LOG }))
        .exitCode,
    ).toBe(1605);
  });

  it('writes the log as UTF-16LE with a BOM and CRLF', async () => {
    await install(put('3.2.1'));
    const bytes = lab.hosts[0]!.readFile(LOG);
    expect([...bytes.subarray(0, 2)]).toEqual([0xff, 0xfe]);
    const text = bytes.subarray(2).toString('utf16le');
    expect(text).toMatch(/^=== Verbose logging started: /);
    expect(text).toContain('\r\n');
    expect(text).toContain('Installation success or error status: 0.');
  });

  it('fails like PowerShell when the log folder is on a missing drive', async () => {
    await expect(
      lab.run(lab.hosts[0]!, 'install-agent', {
        path: put('3.2.1'),
        logPath: 'D:\\logs\\x.log',
        arguments: [],
      }),
    ).rejects.toMatchObject({
      category: 'ObjectNotFound',
    });
  });
});
