/** install-agent.ps1 and uninstall-agent.ps1: msiexec runs with their exit code and log tail. */
import { CTL_PATH, runMsiexec } from '../msiexec';
import type { MsiexecRequest } from '../msiexec';
import { PsError } from '../powershell-shapes';
import { list, str } from './types';
import type { ScriptContext, ScriptHandler } from './types';

export { CTL_PATH };

/** The last 40 lines of a UTF-16 msiexec log that say something (as the scripts filter them). */
function logTail(ctx: ScriptContext, logPath: string, exitCode: number, okCodes: number[]): string[] {
  if (okCodes.includes(exitCode) || !ctx.host.fileExists(logPath)) return [];
  let text = ctx.host.readFile(logPath).toString('utf16le');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '' && !line.startsWith('Property('))
    .slice(-40);
}

function checkLogFolder(ctx: ScriptContext, logPath: string): void {
  if (ctx.host.localPath(logPath) === null) {
    const drive = /^([A-Za-z]):/.exec(logPath)?.[1] ?? logPath;
    throw new PsError(
      `Cannot find drive. A drive with the name '${drive}' does not exist.`,
      'ObjectNotFound',
      'DriveNotFound,Microsoft.PowerShell.Commands.NewItemCommand',
    );
  }
}

async function run(ctx: ScriptContext, req: MsiexecRequest, okCodes: number[]): Promise<unknown> {
  checkLogFolder(ctx, req.logPath);
  const started = ctx.world.clock.now();
  const exitCode = await runMsiexec(ctx.host, ctx.world, req);
  return {
    exitCode,
    durationMs: ctx.world.clock.now() - started,
    rebootRequired: exitCode === 3010 || exitCode === 1641,
    logPath: req.logPath,
    logTail: logTail(ctx, req.logPath, exitCode, okCodes),
  };
}

export const installAgent: ScriptHandler = (ctx) =>
  run(
    ctx,
    {
      action: 'install',
      path: str(ctx.params, 'path'),
      logPath: str(ctx.params, 'logPath'),
      properties: list(ctx.params, 'arguments'),
    },
    [0, 3010, 1641],
  );

export const uninstallAgent: ScriptHandler = (ctx) =>
  run(
    ctx,
    { action: 'uninstall', productCode: str(ctx.params, 'productCode'), logPath: str(ctx.params, 'logPath') },
    [0, 3010, 1641, 1605],
  );
