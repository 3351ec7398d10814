/**
 * The tier itself: it can fail (a script with a wrong property name does not pass), and the only
 * change it makes to a script text (PLATFORM_SUBSTITUTIONS) stays tied to the scripts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offlineLab } from '../unit/lab/offline';
import { runBoth } from './compare';
import { REMOTE_PATHS } from '../../engine/remote/scripts';
import {
  PLATFORM_SUBSTITUTIONS,
  PowerShellTier,
  RESOURCES,
  ctlAnswers,
  envelope,
  serverDocument,
  substitutePlatform,
} from './tier';

const manifest = JSON.parse(readFileSync(join(RESOURCES, 'agent', 'agent-manifest.json'), 'utf8'));
const PACKAGE_PATH = `${REMOTE_PATHS.packagesDir}\\${manifest.file}`;

const scripts = readdirSync(join(RESOURCES, 'scripts'))
  .filter((f) => f.endsWith('.ps1'))
  .map((f) => readFileSync(join(RESOURCES, 'scripts', f), 'utf8'));

describe('platform substitutions', () => {
  it('each one still occurs in some script, and after them no Windows-only type is left', () => {
    for (const s of PLATFORM_SUBSTITUTIONS)
      expect(
        scripts.some((text) => text.includes(s.from)),
        s.from,
      ).toBe(true);
    for (const text of scripts.map(substitutePlatform)) {
      expect(text).not.toMatch(
        /Security\.Principal\.Windows(Identity|Principal)|\[System\.IO\.Path\]::GetFullPath|\[System\.TimeZoneInfo\]::Local|\[System\.Diagnostics\.Process\]::Start/,
      );
    }
  });
});

describe('the tier fails when a script and the lab disagree', () => {
  let tier: PowerShellTier;
  const lab = offlineLab('matched-pair');
  beforeAll(async () => {
    tier = new PowerShellTier();
    await tier.ready;
  }, 180_000);
  afterAll(async () => {
    await tier?.close();
    lab.dispose();
  });

  const original = (name: string) => readFileSync(join(RESOURCES, 'scripts', `${name}.ps1`), 'utf8');

  it('passes the script as shipped', async () => {
    const r = await runBoth(tier, lab.world, lab.hosts[0]!, 'get-identity', {});
    expect(r.real).toEqual(r.lab);
  });

  it('fails a copy that reads a property Windows does not have (strict mode stops it)', async () => {
    const broken = original('get-identity').replace(
      'domain         = $cs.Domain',
      'domain         = $cs.DomainName',
    );
    expect(broken).not.toBe(original('get-identity'));
    const r = await runBoth(tier, lab.world, lab.hosts[0]!, 'get-identity', {}, { scriptText: broken });
    expect(r.real).not.toEqual(r.lab);
    expect(r.real.error.message).toBe(
      "The property 'DomainName' cannot be found on this object. Verify that the property exists.",
    );
  });

  it('fails a copy that selects a misspelt property (no error: a null where the lab has a value)', async () => {
    const broken = original('get-inventory').replace(
      "'NumberOfLogicalProcessors', 'TotalPhysicalMemory'",
      "'NumberOfLogicalProcessors', 'TotalPhysicalMemmory'",
    );
    expect(broken).not.toBe(original('get-inventory'));
    const r = await runBoth(tier, lab.world, lab.hosts[0]!, 'get-inventory', {}, { scriptText: broken });
    expect(r.real.ok).toBe(true);
    expect(r.real).not.toEqual(r.lab);
    expect(r.real.data.computerSystem.TotalPhysicalMemmory).toBeNull();
  });

  it('fails a copy that returns one object where the lab returns a list', async () => {
    const broken = original('get-inventory').replace(
      'Get-NetAdapter -ErrorAction Stop |',
      'Get-NetAdapter -ErrorAction Stop | Select-Object -First 1 |',
    );
    expect(broken).not.toBe(original('get-inventory'));
    const r = await runBoth(tier, lab.world, lab.hosts[0]!, 'get-inventory', {}, { scriptText: broken });
    expect(Array.isArray(r.lab.data.adapters)).toBe(true);
    expect(Array.isArray(r.real.data.adapters)).toBe(false);
    expect(r.real).not.toEqual(r.lab);
  });

  it('fails a copy of invoke-twinlockctl that writes its input as text (the console code page, not UTF-8)', async () => {
    const host = lab.hosts[1]!;
    host.writeFile(PACKAGE_PATH, readFileSync(join(RESOURCES, 'agent', manifest.file)));
    await lab.run(host, 'install-agent', {
      path: PACKAGE_PATH,
      logPath: `${REMOTE_PATHS.logsDir}\\install.log`,
      arguments: [],
    });
    const input = { vm: 'VM Zürich' };
    const ctl = await ctlAnswers(host, lab.world, [{ argv: ['protect', '--input', '-'], input }]);
    const params = { ctlPath: REMOTE_PATHS.ctlPath, verb: ['protect'], input };
    const shipped = await runBoth(tier, lab.world, host, 'invoke-twinlockctl', params, { ctl });
    expect(shipped.real).toEqual(shipped.lab);
    const broken = original('invoke-twinlockctl').replace(
      '$process.StandardInput.BaseStream.Write($bytes, 0, $bytes.Length)',
      '$process.StandardInput.Write($json)',
    );
    expect(broken).not.toBe(original('invoke-twinlockctl'));
    const r = await runBoth(tier, lab.world, host, 'invoke-twinlockctl', params, { ctl, scriptText: broken });
    expect(r.ps.changes).toEqual([
      { command: 'twinlockctl.exe', argv: ['protect', '--input', '-'], stdin: '{"vm":"VM Z?rich"}' },
    ]);
    expect(r.real).not.toEqual(r.lab);
  });

  it('answers every command the scripts call: none is left for PowerShell to not recognise', async () => {
    // A probe run in the shimmed runspace: PowerShell's own parser lists each script's commands,
    // Get-Command resolves them against the shim and what pwsh has.
    const probe = [
      'param($P)',
      '$checked = 0',
      '$missing = foreach ($file in [System.IO.Directory]::GetFiles($P.dir, "*.ps1")) {',
      '    $ast = [System.Management.Automation.Language.Parser]::ParseFile($file, [ref]$null, [ref]$null)',
      '    $defined = @($ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.FunctionDefinitionAst] }, $true) | ForEach-Object { $_.Name })',
      '    foreach ($c in $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] }, $true)) {',
      '        $name = $c.GetCommandName()',
      '        if ($null -eq $name -or $defined -contains $name) { continue }',
      '        $checked++',
      '        if (-not (Get-Command -Name $name -ErrorAction SilentlyContinue)) { [System.IO.Path]::GetFileName($file) + ": " + $name }',
      '    }',
      '}',
      '[pscustomobject]@{ missing = @($missing); checked = $checked }',
    ].join('\n');
    // A server with every role the scripts use: Get-VM comes with Hyper-V, Test-Cluster with Failover Clustering.
    const server = JSON.parse(serverDocument(lab.hosts[0]!, lab.world));
    server.profile.roles.failoverClustering = true;
    const r = await tier.run({
      script: 'probe',
      params: { dir: join(RESOURCES, 'scripts') },
      server: JSON.stringify(server),
      scriptText: `${probe}\n`,
    });
    const answer = envelope(r.stdout);
    expect(answer.ok, r.stdout + r.stderr).toBe(true);
    expect(answer.data.missing).toEqual([]);
    expect(answer.data.checked).toBeGreaterThan(100);
  });
});
