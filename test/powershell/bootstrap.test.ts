/**
 * resources/bootstrap.ps1 in a real pwsh process, started exactly as the engine starts
 * powershell.exe on a server: `-NoProfile -NonInteractive -EncodedCommand <the engine's own
 * encoding of the bootstrap>`, with the engine's own stdin (buildStdin) written to it.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwinlockError } from '../../engine/api/errors';
import { buildStdin, encodeCommand, parseScriptOutput } from '../../engine/remote/powershell-runner';
import { offlineLab } from '../unit/lab/offline';
import { PowerShellTier, envelope, findPwsh, resourceText, serverDocument } from './tier';

const pwsh = findPwsh();

/** Runs one exec the way a server does: one process, the command line's arguments, stdin, then EOF. */
function exec(
  params: unknown,
  script: string,
): Promise<{ stdout: string; stderr: string; exitCode: number | null }> {
  const commandLine = encodeCommand(resourceText('bootstrap.ps1'));
  // `powershell.exe -NoProfile -NonInteractive -EncodedCommand X`: the same arguments, to pwsh.
  const args = commandLine.split(' ').slice(1);
  return new Promise((resolve, reject) => {
    const child = spawn(pwsh, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TZ: 'UTC' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ stdout, stderr, exitCode }));
    child.stdin.end(buildStdin(params, script), 'utf8');
  });
}

/** A probe script (not a product script): answers the parameters it received, and how it saw them. */
const ECHO =
  'param($P)\n[pscustomobject]@{ params = $P; names = @($P.PSObject.Properties | ForEach-Object { $_.Name }) }\n';

describe('the bootstrap in a real pwsh process', () => {
  it('runs a script with an empty parameter set', async () => {
    const out = await exec({}, ECHO);
    expect(out.exitCode).toBe(0);
    expect(parseScriptOutput('echo', out)).toEqual({ params: {}, names: [] });
    // No parameters at all travel as `{}` too.
    expect(parseScriptOutput('echo', await exec(undefined, ECHO))).toEqual({ params: {}, names: [] });
  }, 120_000);

  it('hands over unicode, quotes and PowerShell syntax in parameters as data, never as code', async () => {
    const tricky = {
      name: 'Zürich "PAIR" \'01\' `n $(Remove-Item C:\\) ; & | @{a=1} 日本語 🙂',
      path: 'C:\\Program Files\\Twinlock\\x "y".msi',
      list: ['a"b', "c'd", '', ' e '],
      nested: { empty: '', zero: 0, no: false, none: null },
    };
    const out = await exec(tricky, ECHO);
    expect(out.exitCode, out.stderr).toBe(0);
    expect(parseScriptOutput('echo', out)).toEqual({
      params: tricky,
      names: ['name', 'path', 'list', 'nested'],
    });
  }, 120_000);

  it("reads a script much longer than one read of stdin (and than cmd.exe's 8,191 characters)", async () => {
    const filler = Array.from({ length: 6000 }, (_, i) => `# ${'line '.repeat(8)}${i}`).join('\n');
    const script = `param($P)\n${filler}\n[pscustomobject]@{ tail = 'reached'; length = ${filler.length} }\n`;
    expect(script.length).toBeGreaterThan(256 * 1024);
    const out = await exec({ x: 1 }, script);
    expect(parseScriptOutput('long', out)).toEqual({ tail: 'reached', length: filler.length });
  }, 120_000);

  it('reports a product script whose Windows commands are missing as PowerShell does, and the engine says so', async () => {
    // pwsh on Linux has no CimCmdlets: exactly a server without them.
    const out = await exec({}, resourceText('scripts/get-identity.ps1'));
    expect(out.exitCode).toBe(1);
    expect(envelope(out.stdout).error).toMatchObject({
      category: 'ObjectNotFound',
      id: 'CommandNotFoundException',
    });
    let error: unknown;
    try {
      parseScriptOutput('get-identity', out);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TwinlockError);
    expect((error as TwinlockError).code).toBe('script-failed');
    expect((error as TwinlockError).message).toMatch(/^The term 'Get-CimInstance' is not recognized/);
    expect((error as TwinlockError).detail).toMatchObject({
      script: 'get-identity',
      category: 'ObjectNotFound',
      errorId: 'CommandNotFoundException',
      exitCode: 1,
    });
  }, 120_000);
});

describe('the bootstrap when the console encoding cannot be set', () => {
  let tier: PowerShellTier;
  beforeAll(async () => {
    tier = new PowerShellTier();
    await tier.ready;
  }, 180_000);
  afterAll(() => tier?.close());

  it('stops before reading stdin; the engine reports what PowerShell wrote on stderr', async () => {
    const lab = offlineLab();
    try {
      // Windows OpenSSH without a console: setting [Console]::OutputEncoding throws "The handle
      // is invalid". The shim makes that statement fail with Windows' exception (see New-Object there).
      const server = serverDocument(lab.hosts[0]!, lab.world, {
        faults: {
          commands: {
            'New-Object Text.UTF8Encoding': {
              message: 'Exception setting "OutputEncoding": "The handle is invalid."',
              category: 'NotSpecified',
              id: 'ExceptionWhenSetting',
              exception: 'IO',
            },
          },
        },
      });
      const out = await tier.run({ script: 'get-identity', params: {}, server });
      expect(out.stdout).toBe('');
      expect(out.exitCode).toBe(1);
      expect(out.stderr).toContain('Exception setting "OutputEncoding": "The handle is invalid."');
      expect(out.changes).toEqual([]);
      let error: TwinlockError | undefined;
      try {
        parseScriptOutput('get-identity', out);
      } catch (err) {
        error = err as TwinlockError;
      }
      expect(error?.code).toBe('script-failed');
      expect(error?.message).toMatch(
        /^The server did not answer "get-identity" as expected: .*The handle is invalid/s,
      );
      expect(error?.detail).toMatchObject({ exitCode: 1 });
    } finally {
      lab.dispose();
    }
  });
});
