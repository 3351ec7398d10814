import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TwinlockError } from '../../../engine/api/errors';
import {
  CMD_MAX_LENGTH,
  buildStdin,
  decodeStderr,
  encodeCommand,
  encodeParams,
  parseScriptOutput,
  stripBom,
} from '../../../engine/remote/powershell-runner';

const BOOTSTRAP = readFileSync(join(__dirname, '../../../resources/bootstrap.ps1'), 'utf8');

function failure(fn: () => unknown): TwinlockError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TwinlockError) return err;
    throw err;
  }
  throw new Error('expected a TwinlockError');
}

describe('encodeCommand', () => {
  it('fits the real bootstrap within cmd.exe’s limit', () => {
    const cmd = encodeCommand(BOOTSTRAP);
    expect(cmd.length).toBeLessThan(CMD_MAX_LENGTH);
    expect(cmd).toMatch(/^powershell\.exe -NoProfile -NonInteractive -EncodedCommand [A-Za-z0-9+/]+=*$/);
  });

  it('encodes UTF-16LE so that decoding gives back the exact bootstrap', () => {
    const b64 = encodeCommand(BOOTSTRAP).split(' ').at(-1) ?? '';
    expect(Buffer.from(b64, 'base64').toString('utf16le')).toBe(BOOTSTRAP);
  });

  it('refuses a bootstrap cmd.exe would truncate', () => {
    expect(failure(() => encodeCommand('x'.repeat(6000))).code).toBe('internal');
  });
});

describe('parameters on stdin', () => {
  it('travel as base64 of UTF-8 JSON on the first line, never as code', () => {
    const params = { path: "C:\\x'; Remove-Item C:\\ -Recurse #", name: 'Zoë ✓' };
    const line = encodeParams(params);
    expect(line).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(JSON.parse(Buffer.from(line, 'base64').toString('utf8'))).toEqual(params);
  });

  it('puts the script after the params line', () => {
    const stdin = buildStdin({}, '# Twinlock remote script: x\nparam($P)\n@{a=1}\n');
    const [first, ...rest] = stdin.split('\n');
    expect(Buffer.from(first ?? '', 'base64').toString('utf8')).toBe('{}');
    expect(rest.join('\n')).toBe('# Twinlock remote script: x\nparam($P)\n@{a=1}\n');
  });
});

describe('stripBom', () => {
  it('removes only a leading BOM', () => {
    expect(stripBom('\uFEFF{"a":1}')).toBe('{"a":1}');
    expect(stripBom('{"a":1}')).toBe('{"a":1}');
  });
});

describe('decodeStderr', () => {
  const clixml =
    '#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">' +
    '<Obj S="progress" RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T></TN>' +
    '<MS><I64 N="SourceId">1</I64><PR N="Record"><AV>Preparing modules for first use.</AV></PR></MS></Obj>' +
    '<S S="Error">Get-Foo : The term &apos;Get-Foo&apos; is not recognized_x000D__x000A_</S>' +
    '<S S="Error">At line:1 char:1 &lt;here&gt;_x000D__x000A_</S></Objs>';

  it('keeps the error strings and drops progress noise', () => {
    expect(decodeStderr(clixml)).toBe(
      "Get-Foo : The term 'Get-Foo' is not recognized\nAt line:1 char:1 <here>",
    );
  });

  it('leaves plain stderr alone', () => {
    expect(decodeStderr('plain error\r\n')).toBe('plain error');
  });

  it('is empty for progress-only output', () => {
    expect(
      decodeStderr('#< CLIXML\r\n<Objs Version="1.1.0.1"><Obj S="progress" RefId="0"></Obj></Objs>'),
    ).toBe('');
  });
});

describe('parseScriptOutput', () => {
  it('returns data from a success envelope, tolerating BOM, CRLF and trailing whitespace', () => {
    const data = parseScriptOutput('get-identity', {
      stdout: '\uFEFF{"ok":true,"data":{"computerName":"SRV-A"}}\r\n  \r\n',
      stderr: '',
      exitCode: 0,
    });
    expect(data).toEqual({ computerName: 'SRV-A' });
  });

  it('returns null for a script that returned nothing', () => {
    expect(parseScriptOutput('x', { stdout: '{"ok":true}', stderr: '', exitCode: 0 })).toBeNull();
  });

  it('finds the envelope after Write-Host noise', () => {
    const out = 'Installing...\r\n{"ok":true,"data":[1,2]}\r\n';
    expect(parseScriptOutput('x', { stdout: out, stderr: '', exitCode: 0 })).toEqual([1, 2]);
  });

  it('turns a failure envelope into script-failed with PowerShell’s message', () => {
    const err = failure(() =>
      parseScriptOutput('install-agent', {
        stdout:
          '{"ok":false,"error":{"message":"Access is denied.","category":"PermissionDenied","id":"UnauthorizedAccess"}}\r\n',
        stderr: '',
        exitCode: 1,
      }),
    );
    expect(err.code).toBe('script-failed');
    expect(err.message).toBe('Access is denied.');
    expect(err.detail).toMatchObject({
      script: 'install-agent',
      category: 'PermissionDenied',
      errorId: 'UnauthorizedAccess',
    });
    expect(err.hint).toBeTruthy();
  });

  it('reports the first lines of non-JSON output', () => {
    const err = failure(() =>
      parseScriptOutput('get-inventory', {
        stdout:
          "'powershell.exe' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n",
        stderr: '',
        exitCode: 1,
      }),
    );
    expect(err.code).toBe('script-failed');
    expect(err.message).toContain('is not recognized');
    expect(err.detail).toMatchObject({ script: 'get-inventory', exitCode: 1 });
  });

  it('prefers decoded stderr when stdout is empty', () => {
    const err = failure(() =>
      parseScriptOutput('x', {
        stdout: '',
        stderr:
          '#< CLIXML\r\n<Objs Version="1.1.0.1"><S S="Error">Missing closing &apos;}&apos;_x000D__x000A_</S></Objs>',
        exitCode: 1,
      }),
    );
    expect(err.message).toContain("Missing closing '}'");
    expect(err.message).not.toContain('CLIXML');
  });

  it('says when nothing came back at all', () => {
    const err = failure(() => parseScriptOutput('x', { stdout: '', stderr: '', exitCode: null }));
    expect(err.code).toBe('script-failed');
    expect(err.message).toContain('returned nothing');
  });
});
