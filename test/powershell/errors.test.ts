/**
 * Every `throw` and error branch of every remote script, reached in pwsh with a shim that fails
 * the way Windows fails; where the lab models the same failure, both answers must be equal, and
 * the engine's own reading of the answer (the runner's envelope parsing, the script result
 * schemas, msiexec's exit code table, the package check) must come out the same.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwinlockError } from '../../engine/api/errors';
import { classifyMsiExit } from '../../engine/agent/msi-exit';
import {
  AgentStateSchema,
  MsiRunSchema,
  PackageCheckSchema,
  parseScriptResult,
} from '../../engine/agent/script-results';
import { parseScriptOutput } from '../../engine/remote/powershell-runner';
import { REMOTE_PATHS } from '../../engine/remote/scripts';
import { INVENTORY_SECTIONS, UPDATES_DIR } from '../../lab/handlers/inventory';
import { makePackage } from '../../lab/make-package';
import { offlineLab } from '../unit/lab/offline';
import type { OfflineLab } from '../unit/lab/offline';
import { runBoth } from './compare';
import { PowerShellTier, RESOURCES, ctlAnswers, envelope, serverDocument } from './tier';
import type { CaseResult, CtlAnswer, ShimFaults } from './tier';

const AGENT_DIR = join(RESOURCES, 'agent');
const manifest = JSON.parse(readFileSync(join(AGENT_DIR, 'agent-manifest.json'), 'utf8'));
const PACKAGE_PATH = `${REMOTE_PATHS.packagesDir}\\${manifest.file}`;
const LOG_PATH = `${REMOTE_PATHS.logsDir}\\install.log`;

let tier: PowerShellTier;
beforeAll(async () => {
  tier = new PowerShellTier();
  await tier.ready;
}, 180_000);
afterAll(async () => {
  await tier?.close();
  if (tier) console.log(`PowerShell tier, error paths: ${tier.runs.length} runs`);
});

const labs: OfflineLab[] = [];
afterAll(() => labs.forEach((l) => l.dispose()));
function lab(profile = 'matched-pair'): OfflineLab {
  const l = offlineLab(profile);
  labs.push(l);
  return l;
}

/** What the engine makes of an answer: the runner's parsing, then the script's own schema. */
function engineView(
  script: string,
  out: { stdout: string; stderr: string; exitCode: number | null },
): unknown {
  try {
    const data = parseScriptOutput(script, out);
    switch (script) {
      case 'install-agent':
      case 'uninstall-agent': {
        const run = parseScriptResult(script, MsiRunSchema, data, 'server');
        return { exitCode: run.exitCode, logTail: run.logTail, action: classifyMsiExit(run.exitCode) };
      }
      case 'test-agent-package':
        return parseScriptResult(script, PackageCheckSchema, data, 'server');
      case 'get-agent-state':
        return parseScriptResult(script, AgentStateSchema, data, 'server');
      default:
        // Read by the engine as it is: already compared, dates and all, as the envelope.
        return { answered: true };
    }
  } catch (err) {
    if (!(err instanceof TwinlockError)) throw err;
    return { error: { code: err.code, message: err.message, detail: err.detail } };
  }
}

/** Runs both ways and checks that pwsh, the lab and the engine's reading of each agree. */
async function agree(
  l: OfflineLab,
  hostIndex: number,
  script: string,
  params: Record<string, unknown>,
  options: Parameters<typeof runBoth>[5] = {},
) {
  const host = l.hosts[hostIndex]!;
  const r = await runBoth(tier, l.world, host, script, params, options);
  expect(r.real, `PowerShell printed ${r.ps.stdout} ${r.ps.stderr}`).toEqual(r.lab);
  expect(r.ps.exitCode).toBe(r.labExitCode);
  const real = engineView(script, r.ps);
  const labView = engineView(script, { stdout: r.labStdout, stderr: '', exitCode: r.labExitCode });
  expect(real).toEqual(labView);
  return { ...r, engine: real as any };
}

/** Runs in pwsh only, for failures the lab does not model; returns the engine's reading too. */
async function shimOnly(
  l: OfflineLab,
  hostIndex: number,
  script: string,
  params: Record<string, unknown>,
  options: { faults?: ShimFaults; ctl?: CtlAnswer[]; restartScheduled?: boolean } = {},
): Promise<CaseResult & { engine: any; env: any }> {
  const host = l.hosts[hostIndex]!;
  const ps = await tier.run({
    script,
    params,
    server: serverDocument(host, l.world, options),
    label: 'error path',
  });
  return { ...ps, engine: engineView(script, ps), env: envelope(ps.stdout) };
}

const denied = (id: string) => ({
  message: 'Access denied ',
  category: 'PermissionDenied',
  id,
  exception: 'CimException' as const,
});
const THROW = 'OperationStopped';

describe('the scripts\' own throws, as PowerShell reports `throw "text"` (OperationStopped, the text as id)', () => {
  it('fix-install-feature refuses a feature Twinlock does not offer', async () => {
    const r = await agree(lab(), 0, 'fix-install-feature', { name: 'Telnet-Client' });
    expect(r.real.error).toEqual({
      message: "Twinlock does not install the feature 'Telnet-Client'.",
      category: THROW,
      id: "Twinlock does not install the feature 'Telnet-Client'.",
    });
    expect(r.engine.error.code).toBe('script-failed');
  });

  it('fix-open-firewall-ports refuses a port outside 1-65535, before opening any', async () => {
    for (const ports of [[0], [7440, 70000]]) {
      const r = await agree(lab(), 0, 'fix-open-firewall-ports', {
        group: REMOTE_PATHS.firewallGroup,
        ports,
      });
      expect(r.real.error.message).toBe(`Port ${ports[ports.length - 1]} is not a TCP port number.`);
      expect(r.real.error.category).toBe(THROW);
    }
  });

  it('fix-power-plan refuses what is not a GUID, and fails when powercfg does', async () => {
    const bad = await agree(lab(), 0, 'fix-power-plan', { guid: 'not-a-guid' });
    expect(bad.real.error.message).toBe("'not-a-guid' is not a power plan GUID.");
    const unknown = await agree(lab(), 0, 'fix-power-plan', { guid: '00000000-0000-0000-0000-000000000000' });
    expect(unknown.real.error.message).toBe(
      'powercfg could not activate the power plan 00000000-0000-0000-0000-000000000000 (exit code 1).',
    );
  });

  it('fix-resync-time fails when w32tm finds no time source', async () => {
    const workgroup = lab('uneven-pair');
    const r = await agree(workgroup, 1, 'fix-resync-time', { source: '' });
    expect(r.real.error.message).toBe(
      'w32tm could not resynchronise the clock: Sending resync command to local computer The computer did not resync because no time data was available.',
    );
    await agree(lab(), 0, 'fix-resync-time', { source: 'ntp.unreachable.example' });
  });

  it('fix-resync-time refuses a time source that is not a host name or address, before w32tm sees it', async () => {
    for (const source of ['time.example /update', 'a"b', 'ntp\\share', '10.0.0.1,0x8']) {
      const r = await agree(lab(), 0, 'fix-resync-time', { source });
      expect(r.real.error).toEqual({
        message: `The time source '${source}' is not a host name or IP address.`,
        category: THROW,
        id: `The time source '${source}' is not a host name or IP address.`,
      });
      expect(r.ps.changes).toEqual([]);
    }
    // What a source may be: a name, an IPv4 address, an IPv6 address with a zone.
    for (const source of ['10.10.1.99', '[fe80::1%4]', 'time_1.contoso.local']) {
      const r = await agree(lab(), 0, 'fix-resync-time', { source });
      expect(r.ps.changes.filter((c) => c.command === 'w32tm.exe')[0]?.argv).toEqual([
        '/config',
        `/manualpeerlist:${source}`,
        '/syncfromflags:manual',
        '/update',
      ]);
    }
  });

  it('fix-resync-time goes on when the W32Time service will not start (Start-Service is told to be silent)', async () => {
    const r = await shimOnly(
      lab(),
      0,
      'fix-resync-time',
      { source: '' },
      { faults: { servicesWontStart: ['W32Time'] } },
    );
    expect(r.env.ok).toBe(true);
    expect(r.changes.some((c) => c.command === 'Start-Service')).toBe(false);
  });

  it('fix-install-hotfix refuses packages outside the updates folder, also through ..', async () => {
    const l = lab('missing-hotfix');
    for (const path of [
      'C:\\Windows\\Temp\\kb1.msu',
      `${UPDATES_DIR}\\notes.txt`,
      `${UPDATES_DIR}\\..\\..\\..\\Windows\\Temp\\windows10.0-kb5041948-x64.msu`,
    ]) {
      l.hosts[1]!.writeFile(
        path.includes('..') ? 'C:\\Windows\\Temp\\windows10.0-kb5041948-x64.msu' : path,
        'MSCF',
      );
      const r = await agree(l, 1, 'fix-install-hotfix', { paths: [path] });
      expect(r.real.ok).toBe(false);
      expect(r.real.error.message).toMatch(
        /is not an update package in C:\\ProgramData\\Twinlock\\updates\.$/,
      );
      expect(r.ps.changes).toEqual([]);
    }
  });

  it('fix-install-hotfix refuses a path with a double quote before resolving it (as .NET Framework would refuse it)', async () => {
    const l = lab('missing-hotfix');
    const path = `${UPDATES_DIR}\\kb1" /extract:C:\\x ".msu`;
    const r = await agree(l, 1, 'fix-install-hotfix', { paths: [path] });
    expect(r.real.error.message).toBe(
      `${path} is not an update package in C:\\ProgramData\\Twinlock\\updates.`,
    );
    expect(r.ps.changes).toEqual([]);
  });

  it('fix-install-hotfix: a path with characters no Windows path holds fails in GetFullPath, as on .NET Framework', async () => {
    const r = await agree(lab('missing-hotfix'), 1, 'fix-install-hotfix', {
      paths: [`${UPDATES_DIR}\\kb1|<x>.msu`],
    });
    expect(r.real.error).toEqual({
      message: 'Exception calling "GetFullPath" with "1" argument(s): "Illegal characters in path."',
      category: 'NotSpecified',
      id: 'ArgumentException',
    });
    expect(r.ps.changes).toEqual([]);
  });

  it('fix-install-hotfix quotes a package path with spaces: wusa.exe gets it as one argument', async () => {
    const l = lab('missing-hotfix');
    const path = `${UPDATES_DIR}\\May 2026\\windows10.0-kb5041948-x64.msu`;
    l.hosts[1]!.writeFile(path, 'MSCF');
    const r = await agree(l, 1, 'fix-install-hotfix', { paths: [path] });
    expect(r.ps.changes.filter((c) => c.command === 'wusa.exe').map((c) => c.argv)).toEqual([
      [path, '/quiet', '/norestart'],
    ]);
    expect(r.real.data).toMatchObject({
      results: [{ path, exitCode: 3010 }],
      failed: 0,
      restartNeeded: true,
    });
  });

  it('fix-install-hotfix counts a package wusa cannot find as failed', async () => {
    const r = await agree(lab('missing-hotfix'), 1, 'fix-install-hotfix', {
      paths: [`${UPDATES_DIR}\\windows10.0-kb9999999-x64.msu`],
    });
    expect(r.real.data).toMatchObject({ failed: 1, restartNeeded: false });
  });

  it('restart-host answers alreadyPending when a restart is already scheduled (shutdown.exe 1190)', async () => {
    const l = lab();
    // The lab's clock stands still, so the first restart stays scheduled and the boot time stays put.
    l.world.clock.pause();
    await l.run(l.hosts[0]!, 'restart-host', { delaySeconds: 30, reason: 'fix' });
    const r = await runBoth(tier, l.world, l.hosts[0]!, 'restart-host', { delaySeconds: 30, reason: 'fix' });
    // The shim learns of the first restart from the server document.
    const ps = await tier.run({
      script: 'restart-host',
      params: { delaySeconds: 30, reason: 'fix' },
      server: serverDocument(l.hosts[0]!, l.world, { restartScheduled: true }),
    });
    expect(envelope(ps.stdout)).toEqual(JSON.parse(r.labStdout));
    expect(envelope(ps.stdout).data).toMatchObject({
      scheduled: false,
      alreadyPending: true,
      exitCode: 1190,
    });
  });

  it('restart-host fails when shutdown.exe refuses for another reason', async () => {
    const l = lab();
    const ps = await tier.run({
      script: 'restart-host',
      params: { delaySeconds: 30, reason: 'fix' },
      server: serverDocument(l.hosts[0]!, l.world, { faults: { shutdownExitCode: 5 } }),
    });
    expect(ps.exitCode).toBe(1);
    expect(envelope(ps.stdout).error.message).toBe(
      'shutdown.exe refused to schedule the restart (exit code 5).',
    );
  });

  it('invoke-twinlockctl refuses a verb outside the agent contract, and a call without input', async () => {
    const verbs =
      'version, status, links test, pair create, pair join, protect, unprotect, drill, pair remove';
    for (const verb of [['Version'], ['pair', 'create', '--name', 'x'], ['status --json'], []]) {
      const r = await agree(lab(), 0, 'invoke-twinlockctl', {
        ctlPath: REMOTE_PATHS.ctlPath,
        verb,
        input: {},
      });
      expect(r.real.error.message).toBe(`twinlockctl has no verb '${verb.join(' ')}'. Verbs: ${verbs}.`);
      expect(r.ps.changes).toEqual([]);
    }
    const none = await agree(lab(), 0, 'invoke-twinlockctl', {
      ctlPath: REMOTE_PATHS.ctlPath,
      verb: ['status'],
      input: null,
    });
    expect(none.real.error.message).toBe(
      'twinlockctl status needs an input object ({} when the verb takes none).',
    );
  });
});

describe('Windows failing underneath a script', () => {
  it('fix-install-feature: Hyper-V without virtualization in firmware, and without elevation', async () => {
    const r = await agree(lab('virtualization-off'), 1, 'fix-install-feature', { name: 'Hyper-V' });
    expect(r.real.error.category).toBe('InvalidOperation');
    const elevation = await shimOnly(
      lab('no-hyper-v'),
      1,
      'fix-install-feature',
      { name: 'Hyper-V' },
      {
        faults: {
          commands: {
            'Install-WindowsFeature': {
              message:
                'The request to add or remove features on the specified server failed. The operation cannot be completed, because the server that you specified requires a restart.',
              category: 'InvalidOperation',
              id: 'DISMAPI_Error__Failed_To_Enable_Updates,Microsoft.Windows.ServerManager.Commands.AddWindowsFeatureCommand',
            },
          },
        },
      },
    );
    expect(elevation.exitCode).toBe(1);
    expect(elevation.engine.error).toMatchObject({
      code: 'script-failed',
      message: expect.stringMatching(/^The request to add or remove features/),
      detail: {
        script: 'fix-install-feature',
        category: 'InvalidOperation',
        errorId: expect.stringMatching(/^DISMAPI_Error/),
      },
    });
  });

  it('fix-open-firewall-ports: access denied by New-NetFirewallRule', async () => {
    const r = await shimOnly(
      lab(),
      0,
      'fix-open-firewall-ports',
      { group: REMOTE_PATHS.firewallGroup, ports: [7440] },
      {
        faults: {
          commands: {
            'New-NetFirewallRule': {
              message: 'Access is denied. ',
              category: 'PermissionDenied',
              id: 'Windows System Error 5,New-NetFirewallRule',
              exception: 'UnauthorizedAccess',
            },
          },
        },
      },
    );
    expect(r.engine.error).toMatchObject({
      code: 'script-failed',
      message: 'Access is denied.',
      detail: {
        category: 'PermissionDenied',
        errorId: 'Windows System Error 5,New-NetFirewallRule',
        exitCode: 1,
      },
    });
  });

  it('get-identity: WMI access denied fails the whole script', async () => {
    const r = await shimOnly(
      lab(),
      0,
      'get-identity',
      {},
      {
        faults: {
          commands: {
            'Get-CimInstance Win32_ComputerSystem': denied(
              'HRESULT 0x80041003,Microsoft.Management.Infrastructure.CimCmdlets.GetCimInstanceCommand',
            ),
          },
        },
      },
    );
    expect(r.engine.error).toMatchObject({
      code: 'script-failed',
      message: 'Access denied',
      detail: { category: 'PermissionDenied' },
    });
  });

  it('get-identity: an account that is not elevated', async () => {
    const l = lab();
    const host = l.hosts[0]!;
    host.accounts.unshift({ username: 'operator', password: 'pw', admin: false });
    const r = await agree(l, 0, 'get-identity', {});
    expect(r.real.data).toMatchObject({ isAdmin: false, userName: 'CONTOSO\\operator' });
  });

  // Each inventory section fails on its own, with Windows' message, and the rest still arrives.
  const SECTION_COMMANDS: Partial<Record<(typeof INVENTORY_SECTIONS)[number], string>> = {
    processor: 'Get-CimInstance Win32_Processor',
    cpuRegistry: 'Get-ItemProperty HKLM:\\HARDWARE\\DESCRIPTION\\System\\CentralProcessor\\0',
    computerSystem: 'Get-CimInstance Win32_ComputerSystem',
    bios: 'Get-CimInstance Win32_BIOS',
    memory: 'Get-CimInstance Win32_PhysicalMemory',
    os: 'Get-CimInstance Win32_OperatingSystem',
    currentVersion: 'Get-ItemProperty HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion',
    regional: 'Get-WinSystemLocale',
    hotfixes: 'Get-HotFix',
    updateFiles: 'Get-ChildItem',
    features: 'Get-WindowsFeature',
    adapters: 'Get-NetAdapter',
    addresses: 'Get-NetIPAddress',
    routes: 'Get-NetRoute',
    disks: 'Get-PhysicalDisk',
    volumes: 'Get-Volume',
    vms: 'Get-VM',
    firewall: 'Get-NetFirewallProfile',
    powerPlan: 'Get-CimInstance Win32_PowerPlan',
  };
  it("get-inventory: each section that Windows refuses reads as that section's error, the rest as usual", async () => {
    const l = lab('missing-hotfix');
    const host = l.hosts[1]!;
    for (const [section, command] of Object.entries(SECTION_COMMANDS)) {
      const message = `Access denied reading ${section}`;
      host.faults.inventoryErrors = { [section]: message };
      const r = await agree(
        l,
        1,
        'get-inventory',
        {},
        { faults: { commands: { [command]: { ...denied('HRESULT 0x80041003'), message } } } },
      );
      expect(r.real.data[section], section).toEqual({ error: message });
    }
    host.faults.inventoryErrors = {};
    // Sections read with -ErrorAction SilentlyContinue: a failure there is no error, only no data.
    expect(INVENTORY_SECTIONS.filter((s) => !(s in SECTION_COMMANDS))).toEqual([
      'pendingReboot',
      'agentFirewall',
      'agent',
    ]);
  });
});

describe("the agent scripts' error branches, read by the engine as an installation reads them", () => {
  function withPackage(profile = 'matched-pair'): OfflineLab {
    const l = lab(profile);
    for (const h of l.hosts) h.writeFile(PACKAGE_PATH, readFileSync(join(AGENT_DIR, manifest.file)));
    return l;
  }
  const msiFromLab =
    (l: OfflineLab, hostIndex: number, logPath = LOG_PATH) =>
    (out: string) => {
      const host = l.hosts[hostIndex]!;
      const data = envelope(out).data;
      return {
        msiexec: {
          exitCode: data?.exitCode ?? 0,
          log: host.fileExists(logPath) ? host.readFile(logPath).toString('base64') : null,
        },
      };
    };

  it('install-agent: msiexec 1603 because the service will not start, with the log tail', async () => {
    const l = withPackage();
    l.hosts[0]!.faults.serviceWontStart = true;
    const r = await agree(
      l,
      0,
      'install-agent',
      { path: PACKAGE_PATH, logPath: LOG_PATH, arguments: ['ALLUSERS=1'] },
      { shimFaultsFromLab: msiFromLab(l, 0) },
    );
    expect(r.engine.exitCode).toBe(1603);
    expect(r.engine.action.kind).toBe('fail');
    expect(r.engine.logTail.join('\n')).toMatch(/Error 1920\. Service 'Twinlock Agent'/);
  });

  it('install-agent: 1618 while another installation runs', async () => {
    const l = withPackage();
    l.hosts[0]!.faults.msiExitCodes = [1618];
    const r = await agree(
      l,
      0,
      'install-agent',
      { path: PACKAGE_PATH, logPath: LOG_PATH, arguments: [] },
      { shimFaultsFromLab: msiFromLab(l, 0) },
    );
    expect(r.engine.action).toEqual({ kind: 'retry' });
  });

  it('install-agent: a log folder on a drive the server does not have', async () => {
    const l = withPackage();
    const r = await agree(l, 0, 'install-agent', {
      path: PACKAGE_PATH,
      logPath: 'Q:\\logs\\install.log',
      arguments: [],
    });
    expect(r.engine.error).toMatchObject({
      code: 'script-failed',
      message: "Cannot find drive. A drive with the name 'Q' does not exist.",
      detail: {
        category: 'ObjectNotFound',
        errorId: 'DriveNotFound,Microsoft.PowerShell.Commands.NewItemCommand',
      },
    });
  });

  it('uninstall-agent: 1605 when the product is not installed (no log tail), 1603 with one', async () => {
    const l = withPackage();
    const none = await agree(
      l,
      0,
      'uninstall-agent',
      { productCode: manifest.productCode, logPath: LOG_PATH },
      { shimFaultsFromLab: msiFromLab(l, 0) },
    );
    expect(none.engine).toMatchObject({ exitCode: 1605, logTail: [] });
    await l.run(l.hosts[0]!, 'install-agent', { path: PACKAGE_PATH, logPath: LOG_PATH, arguments: [] });
    l.hosts[0]!.faults.msiExitCodes = [1603];
    const fatal = await agree(
      l,
      0,
      'uninstall-agent',
      { productCode: manifest.productCode, logPath: LOG_PATH },
      { shimFaultsFromLab: msiFromLab(l, 0) },
    );
    expect(fatal.engine.exitCode).toBe(1603);
    expect(fatal.engine.logTail.length).toBeGreaterThan(0);
  });

  it('test-agent-package: a tampered copy (HashMismatch) and an unsigned package (NotSigned)', async () => {
    const l = withPackage();
    const bytes = readFileSync(join(AGENT_DIR, manifest.file));
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    l.hosts[0]!.writeFile(PACKAGE_PATH, bytes);
    const tampered = await agree(l, 0, 'test-agent-package', {
      path: PACKAGE_PATH,
      trustedThumbprint: manifest.signer.thumbprint,
    });
    expect(tampered.engine.signatureStatus).toBe('HashMismatch');
    // The pinned signer's name on a copy whose content changed: not trusted.
    expect(tampered.engine).toMatchObject({
      signerThumbprint: manifest.signer.thumbprint,
      signerTrusted: false,
    });
    const dir = mkdtempSync(join(tmpdir(), 'twinlock-unsigned-'));
    try {
      const unsigned = makePackage({ outDir: dir, signerSubject: null, sizeBytes: 64 * 1024 });
      l.hosts[0]!.writeFile(PACKAGE_PATH, readFileSync(unsigned.filePath));
      const r = await agree(l, 0, 'test-agent-package', {
        path: PACKAGE_PATH,
        trustedThumbprint: manifest.signer.thumbprint,
      });
      expect(r.engine).toMatchObject({
        signatureStatus: 'NotSigned',
        signerThumbprint: null,
        signerTrusted: false,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('test-agent-package and remove-agent-package: a package another process holds open', async () => {
    const l = withPackage();
    const locked = { lockedFiles: [PACKAGE_PATH] };
    const hash = await shimOnly(
      l,
      0,
      'test-agent-package',
      { path: PACKAGE_PATH, trustedThumbprint: manifest.signer.thumbprint },
      { faults: locked },
    );
    expect(hash.engine.error).toMatchObject({
      code: 'script-failed',
      message: `The process cannot access the file '${PACKAGE_PATH}' because it is being used by another process.`,
    });
    const remove = await shimOnly(
      l,
      0,
      'remove-agent-package',
      { paths: [PACKAGE_PATH], firewallGroup: REMOTE_PATHS.firewallGroup },
      { faults: locked },
    );
    expect(remove.engine.error).toMatchObject({
      code: 'script-failed',
      detail: { errorId: 'RemoveFileSystemItemIOError,Microsoft.PowerShell.Commands.RemoveItemCommand' },
    });
    expect(remove.changes).toEqual([]);
  });

  it('get-agent-state: twinlockctl answering an error, and text that is not JSON', async () => {
    const l = withPackage();
    await l.run(l.hosts[0]!, 'install-agent', { path: PACKAGE_PATH, logPath: LOG_PATH, arguments: [] });
    const params = {
      productName: manifest.name,
      service: manifest.service,
      ctlPath: REMOTE_PATHS.ctlPath,
      firewallGroup: REMOTE_PATHS.firewallGroup,
    };
    const failing = await shimOnly(l, 0, 'get-agent-state', params, {
      ctl: [
        {
          argv: ['version', '--input', '-'],
          input: {},
          stdout: '{"error":{"code":"service-stopped","message":"The agent service is not running."}}',
          exitCode: 3,
        },
      ],
    });
    expect(failing.engine).toMatchObject({
      ctl: null,
      ctlError: '{"error":{"code":"service-stopped","message":"The agent service is not running."}}',
    });
    const garbled = await shimOnly(l, 0, 'get-agent-state', params, {
      ctl: [{ argv: ['version', '--input', '-'], input: {}, stdout: 'twinlockctl 3.2.1', exitCode: 0 }],
    });
    expect(garbled.engine).toMatchObject({ ctl: null, ctlError: 'twinlockctl 3.2.1' });
  });

  it('invoke-twinlockctl: a verb the agent refuses (non-zero exit, error JSON)', async () => {
    const l = withPackage();
    await l.run(l.hosts[0]!, 'install-agent', { path: PACKAGE_PATH, logPath: LOG_PATH, arguments: [] });
    const input = { vm: 'NO-SUCH-VM' };
    const ctl = await ctlAnswers(l.hosts[0]!, l.world, [{ argv: ['protect', '--input', '-'], input }]);
    const r = await agree(
      l,
      0,
      'invoke-twinlockctl',
      { ctlPath: REMOTE_PATHS.ctlPath, verb: ['protect'], input },
      { ctl },
    );
    expect(r.real.data.exitCode).not.toBe(0);
    expect(r.real.data.output.error.code).toBe('not-paired');
    expect(r.ps.changes).toEqual([
      { command: 'twinlockctl.exe', argv: ['protect', '--input', '-'], stdin: '{"vm":"NO-SUCH-VM"}' },
    ]);
  });
});

describe('twinlockctl through Windows PowerShell 5.1: the verb on the command line, every value as UTF-8 JSON on stdin', () => {
  it('reaches the agent as the engine wrote it: quotes, spaces, backslashes, flags and non-ASCII text included', async () => {
    const l = lab();
    const host = l.hosts[0]!;
    host.writeFile(PACKAGE_PATH, readFileSync(join(AGENT_DIR, manifest.file)));
    await l.run(host, 'install-agent', { path: PACKAGE_PATH, logPath: LOG_PATH, arguments: [] });
    const input = {
      name: 'PAIR 01 "Zürich" --level 3',
      level: 2,
      token: 'a b\\"c\\',
      peer: '10.10.1.22',
      links: [{ local: 'SLOT 3 Port 1', remote: '10.10.1.22', localNic: null, remoteNic: null }],
      witness: { kind: 'share', address: '\\\\fs01\\witness <&>' },
    };
    // The peer has no agent: the lab refuses the call and changes nothing, so both sides can run it.
    const ctl = await ctlAnswers(host, l.world, [{ argv: ['pair', 'create', '--input', '-'], input }]);
    expect(JSON.parse(ctl[0]!.stdout).error.code).toBe('peer-unreachable');
    const r = await agree(
      l,
      0,
      'invoke-twinlockctl',
      { ctlPath: REMOTE_PATHS.ctlPath, verb: ['pair', 'create'], input },
      { ctl },
    );
    expect(r.ps.changes).toHaveLength(1);
    const call = r.ps.changes[0]!;
    expect(call.command).toBe('twinlockctl.exe');
    expect(call.argv).toEqual(['pair', 'create', '--input', '-']);
    // Strict UTF-8 without a BOM (the shim records text only when the bytes are UTF-8), one JSON document.
    expect(call.stdinBase64).toBeUndefined();
    expect(String(call.stdin).charCodeAt(0)).not.toBe(0xfeff);
    expect(JSON.parse(String(call.stdin))).toEqual(input);
    expect(r.real.data).toMatchObject({ exitCode: 1, output: { error: { code: 'peer-unreachable' } } });
  });
});

describe('Failover Clustering refused by Windows', () => {
  it('restart-host logs a restart for Failover Clustering with its own reason', async () => {
    const r = await agree(lab(), 0, 'restart-host', { delaySeconds: 30, reason: 'cluster-feature' });
    expect(r.real.data).toMatchObject({ scheduled: true, alreadyPending: false });
    expect(r.ps.changes.filter((c) => c.command === 'shutdown.exe').map((c) => c.argv)).toEqual([
      ['/r', '/t', '30', '/d', 'p:2:4', '/c', 'Twinlock: restart to finish a Failover Clustering change'],
    ]);
  });

  it('an edition without the feature: Install- and Uninstall-WindowsFeature do not know the name', async () => {
    const l = lab();
    l.hosts[0]!.profile.os.editionId = 'ServerSolution';
    for (const script of ['install-cluster-feature', 'uninstall-cluster-feature']) {
      const r = await agree(l, 0, script, {});
      expect(r.real.error).toMatchObject({
        message:
          "ArgumentNotValid: The role, role service, or feature name is not valid: 'Failover-Clustering'. The name was not found.",
        category: 'InvalidArgument',
        id: expect.stringMatching(/^NameDoesNotExist,/),
      });
      expect(r.ps.changes).toEqual([]);
    }
    expect(l.hosts[0]!.profile.roles.failoverClustering).toBe(false);
  });

  it('a cluster node: the feature is not removed while the server is in a cluster', async () => {
    const l = lab();
    const [a, b] = l.hosts as [(typeof l.hosts)[0], (typeof l.hosts)[0]];
    for (const h of [a, b]) h.profile.roles.failoverClustering = true;
    l.world.clustering.clusters.push({
      name: 'PAIR01-CL',
      addresses: ['10.0.0.50'],
      description: 'twinlock pair=PAIR01; level=1',
      domain: a.profile.domain,
      nodes: [a, b].map((h) => ({ name: h.name, state: 'Up' as const })),
      quorumType: 'NodeMajority',
      witness: null,
      roles: [],
      networks: [],
    });
    const r = await agree(l, 1, 'uninstall-cluster-feature', {});
    expect(r.real.error).toMatchObject({
      message: expect.stringMatching(/^Failover Clustering cannot be removed: This server is a node/),
      category: 'InvalidOperation',
      id: expect.stringMatching(/^Alteration_PrerequisiteCheck_Failed,/),
    });
    expect(r.ps.changes).toEqual([]);
    expect(b.profile.roles.failoverClustering).toBe(true);
    expect(b.clusterFeaturePending).toBeNull();
  });
});

describe('a server without the agent', () => {
  it('invoke-twinlockctl answers installed: false as data, running nothing, and the engine reads it', async () => {
    const r = await agree(lab(), 0, 'invoke-twinlockctl', {
      ctlPath: REMOTE_PATHS.ctlPath,
      verb: ['status'],
      input: {},
    });
    expect(r.ps.exitCode).toBe(0);
    expect(r.real).toMatchObject({ ok: true, data: { installed: false, exitCode: null, output: null } });
  });
});
