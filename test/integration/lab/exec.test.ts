import { createHash } from 'node:crypto';
import type { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab } from '../../../lab/index';
import type { Lab } from '../../../lab/index';
import { BOOTSTRAP, connect, encodedCommand, exec, runScript, scriptText } from './ssh-helpers';

let lab: Lab;
let client: Client;
let hostKey: Buffer;

beforeAll(async () => {
  lab = await startLab();
  ({ client, hostKey } = await connect(lab.hosts[0]!));
});

afterAll(async () => {
  client?.end();
  await lab?.close();
});

describe('lab exec', () => {
  it('announces itself as Windows OpenSSH with the fingerprint it reports', () => {
    const info = lab.hosts[0]!;
    const fp = `SHA256:${createHash('sha256').update(hostKey).digest('base64').replace(/=+$/, '')}`;
    expect(info.fingerprint).toBe(fp);
    expect(info.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(lab.hosts[1]!.fingerprint).not.toBe(info.fingerprint);
    expect(lab.hosts.map((h) => h.name)).toEqual(['TL-NODE-A', 'TL-NODE-B']);
    expect(lab.hosts[0]!.password).toBe(lab.hosts[1]!.password);
  });

  it('runs get-identity through the bootstrap', async () => {
    const r = await runScript(client, 'get-identity');
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith('\r\n')).toBe(true);
    expect(r.json).toEqual({
      ok: true,
      data: {
        computerName: 'TL-NODE-A',
        domain: 'contoso.local',
        partOfDomain: true,
        osCaption: 'Microsoft Windows Server 2022 Datacenter',
        osBuild: '20348',
        isAdmin: true,
        userName: 'CONTOSO\\Administrator',
        psVersion: '5.1.20348.2762',
        lastBootUpTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/),
      },
    });
    // The matched pair's servers have been up for 72 hours.
    const booted = Date.parse((r.json as { data: { lastBootUpTime: string } }).data.lastBootUpTime);
    expect(Math.round((Date.now() - booted) / 3600_000)).toBe(72);
  });

  it('runs get-inventory with PowerShell 5.1 shapes', async () => {
    const r = await runScript(client, 'get-inventory');
    expect(r.code).toBe(0);
    // Dates travel as \/Date(ms)\/ with escaped slashes.
    expect(r.stdout).toMatch(/"collectedAtUtc":"\\\/Date\(\d+\)\\\/"/);
    const d = r.json.data;
    expect(Array.isArray(d.processor)).toBe(true);
    expect(d.processor[0].Caption).toBe('Intel64 Family 6 Model 106 Stepping 6');
    expect(d.computerSystem.HypervisorPresent).toBe(true);
    expect(d.memory).toEqual({ modules: 16, capacityBytes: 512 * 1024 ** 3, speedMhz: 3200 });
    expect(d.cpuRegistry['Update Revision']).toEqual([0, 0, 0, 0, 0xb9, 0x03, 0x00, 0x0d]);
    // Get-NetRoute -AddressFamily IPv4: the default route first, the on-link subnets, loopback last.
    expect(d.routes[0]).toMatchObject({
      DestinationPrefix: '0.0.0.0/0',
      InterfaceAlias: 'Embedded NIC 1',
      NextHop: '192.168.50.1',
    });
    expect(d.routes).toContainEqual(
      expect.objectContaining({ DestinationPrefix: '10.10.1.0/24', NextHop: '0.0.0.0' }),
    );
    expect(d.routes.at(-1)).toMatchObject({ DestinationPrefix: '127.0.0.0/8' });
    expect(d.currentVersion.UBR).toBe(2762);
    expect(d.features.find((f: { Name: string }) => f.Name === 'Hyper-V').InstallState).toBe(1);
    expect(d.adapters).toHaveLength(4);
    expect(d.vms.map((v: { Name: string }) => v.Name)).toEqual(['SQL01', 'APP01', 'FILE01']);
    expect(d.vms[0].State).toBe(2);
    expect(d.agent).toBeNull();
  });

  it('collapses a single VM to an object, as 5.1 does', async () => {
    const host = lab.host('TL-NODE-A');
    const saved = host.vms;
    host.vms = saved.slice(0, 1);
    try {
      const r = await runScript(client, 'get-inventory');
      expect(Array.isArray(r.json.data.vms)).toBe(false);
      expect(r.json.data.vms.Name).toBe('SQL01');
    } finally {
      host.vms = saved;
    }
  });

  it('reports a failing inventory section without losing the others', async () => {
    const host = lab.host('TL-NODE-A');
    host.faults.inventoryErrors = { vms: 'Access is denied.' };
    try {
      const r = await runScript(client, 'get-inventory');
      expect(r.json.data.vms).toEqual({ error: 'Access is denied.' });
      expect(r.json.data.os.Caption).toContain('2022');
    } finally {
      host.faults.inventoryErrors = {};
    }
  });

  it("refuses a modified script body with PowerShell's error", async () => {
    const body = scriptText('get-identity').replace('$env:COMPUTERNAME', '$env:USERNAME');
    const r = await runScript(client, 'get-identity', {}, body);
    expect(r.code).toBe(1);
    expect(r.json.ok).toBe(false);
    expect(r.json.error.id).toBe('CommandNotFoundException');
    expect(r.json.error.message).toMatch(/is not recognized as the name of a cmdlet/);
    // 5.1's serializer escapes the apostrophes.
    expect(r.stdout).toContain('\\u0027');
  });

  it('refuses an unknown script', async () => {
    const r = await runScript(client, 'get-identity', {}, 'Remove-Item C:\\ -Recurse\n');
    expect(r.code).toBe(1);
    expect(r.json.error.message).toContain("The term 'Remove-Item' is not recognized");
  });

  it("refuses a bootstrap that is not the project's", async () => {
    const r = await exec(client, encodedCommand(`${BOOTSTRAP}\nWrite-Output hi`), 'e30=\n');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('is not recognized as the name of a cmdlet');
    expect(r.stderr).toContain('CommandNotFoundException');
  });

  it('answers any other command as cmd.exe does', async () => {
    const r = await exec(client, 'whoami /all');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "'whoami' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n",
    );
  });

  it("fails a script that throws with the bootstrap's error envelope", async () => {
    const r = await runScript(client, 'invoke-twinlockctl', {
      ctlPath: 'C:\\Program Files\\Twinlock\\Agent\\twinlockctl.exe',
      verb: ['status', '--json'],
      input: {},
    });
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ ok: false, error: { category: 'OperationStopped' } });
    expect(r.json.error.message).toContain("twinlockctl has no verb 'status --json'");
  });
});

describe('lab logon', () => {
  it('rejects a wrong password', async () => {
    await expect(connect(lab.hosts[1]!, 'not-the-password')).rejects.toThrow(/authentication/i);
  });

  it('rejects every password while badPasswordAlways is set', async () => {
    const host = lab.host('TL-NODE-B');
    host.faults.badPasswordAlways = true;
    try {
      await expect(connect(lab.hosts[1]!)).rejects.toThrow(/authentication/i);
    } finally {
      host.faults.badPasswordAlways = false;
    }
  });

  it('refuses TCP connections while refuseConnections is set, and accepts them again after', async () => {
    const host = lab.host('TL-NODE-B');
    host.faults.refuseConnections = true;
    await expect(connect(lab.hosts[1]!)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    host.faults.refuseConnections = false;
    await host.whenListening();
    const { client: c } = await connect(lab.hosts[1]!);
    c.end();
  });

  it('presents a new host key after rotateHostKey()', async () => {
    const host = lab.host('TL-NODE-B');
    const before = lab.hosts[1]!.fingerprint;
    const after = host.faults.rotateHostKey();
    expect(after).not.toBe(before);
    expect(lab.hosts[1]!.fingerprint).toBe(after);
    const { client: c, hostKey: key } = await connect(lab.hosts[1]!);
    c.end();
    expect(`SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`).toBe(after);
  });

  it('reports isAdmin false for a non-administrator account', async () => {
    const host = lab.host('TL-NODE-A');
    host.addAccount({ username: 'operator', password: 'Op3rator!pass', admin: false });
    const { client: c } = await connect({ ...lab.hosts[0]!, username: 'operator' }, 'Op3rator!pass');
    const r = await runScript(c, 'get-identity');
    c.end();
    expect(r.json.data.isAdmin).toBe(false);
  });
});
