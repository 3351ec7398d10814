/** get-agent-state.ps1 and invoke-twinlockctl.ps1. */
import { runCtl } from '../ctl';
import type { LabHost } from '../host';
import { PsError, toPsJson } from '../powershell-shapes';
import { list, str } from './types';
import type { ScriptHandler } from './types';

/** True when `ctlPath` names the twinlockctl.exe an installed agent put there. */
function ctlPresent(host: LabHost, ctlPath: string): boolean {
  return (
    ctlPath !== '' && host.agent !== null && host.fileExists(ctlPath) && /twinlockctl\.exe$/i.test(ctlPath)
  );
}

export const getAgentState: ScriptHandler = async ({ host, world, params }) => {
  const productName = str(params, 'productName').toLowerCase();
  const entry = host.installedProducts().find((p) => p.name.toLowerCase() === productName);
  const svc = host.services.get(str(params, 'service'));
  const group = str(params, 'firewallGroup').toLowerCase();
  const ctlPath = str(params, 'ctlPath');
  let ctl: unknown = null;
  let ctlError: string | null = null;
  if (ctlPresent(host, ctlPath)) {
    const r = await runCtl(host, world, ['version', '--input', '-'], '{}');
    if (r.exitCode === 0) ctl = JSON.parse(r.stdout);
    else ctlError = r.stdout;
  }
  return {
    product: entry
      ? {
          name: entry.name,
          version: entry.version,
          productCode: entry.productCode,
          publisher: entry.publisher,
          installDate: entry.installDate,
        }
      : null,
    service: svc ? { name: svc.name, status: svc.status, startType: svc.startType } : null,
    firewallRules: host.firewallRules
      .filter((r) => r.group.toLowerCase() === group)
      .map((r) => ({
        name: r.name,
        displayName: r.displayName,
        enabled: r.enabled,
        direction: r.direction,
        action: r.action,
        protocol: r.protocol,
        localPorts: r.localPorts.map(String),
      })),
    ctl,
    ctlError,
    rebootPending: host.pendingReboot,
  };
};

/** The verbs invoke-twinlockctl.ps1 accepts (its `$verbs`, compared case-sensitively). */
const SCRIPT_VERBS = [
  'version',
  'status',
  'links test',
  'pair create',
  'pair join',
  'protect',
  'unprotect',
  'drill',
  'pair remove',
];

/** `throw "text"` in PowerShell: category OperationStopped, the text as the error id. */
function thrown(message: string): PsError {
  return new PsError(message, 'OperationStopped', message);
}

/**
 * invoke-twinlockctl.ps1 step by step: the verb checked against the closed list, `$P.input`
 * serialised with `ConvertTo-Json -Compress` (Windows PowerShell 5.1's escaping) and written to
 * twinlockctl's stdin as UTF-8 without a BOM, the command line `<verb words> --input -`.
 */
export const invokeTwinlockctl: ScriptHandler = async ({ host, world, params }) => {
  const verb = list(params, 'verb').join(' ');
  if (verb === '' || !SCRIPT_VERBS.includes(verb))
    throw thrown(`twinlockctl has no verb '${verb}'. Verbs: ${SCRIPT_VERBS.join(', ')}.`);
  if (params.input === null || params.input === undefined)
    throw thrown(`twinlockctl ${verb} needs an input object ({} when the verb takes none).`);
  const ctlPath = str(params, 'ctlPath');
  // No agent: nothing runs, and the answer says so as data.
  if (!ctlPresent(host, ctlPath))
    return { installed: false, exitCode: null, output: null, text: '', stderr: '' };
  // UTF8Encoding($false).GetBytes: no BOM, and a lone surrogate becomes U+FFFD, as Buffer.from does.
  const stdin = Buffer.from(toPsJson(params.input), 'utf8');
  const r = await runCtl(host, world, [...verb.split(' '), '--input', '-'], stdin);
  let output: unknown = null;
  try {
    output = r.stdout.trim() ? JSON.parse(r.stdout) : null;
  } catch {
    output = null;
  }
  return { installed: true, exitCode: r.exitCode, output, text: r.stdout, stderr: '' };
};
