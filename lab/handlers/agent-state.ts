/** get-agent-state.ps1 and invoke-twinlockctl.ps1. */
import { runCtl } from '../ctl';
import type { LabHost } from '../host';
import { PsError } from '../powershell-shapes';
import { list, str } from './types';
import type { ScriptHandler } from './types';

/** True when `ctlPath` names the twinlockctl.exe an installed agent put there. */
function ctlPresent(host: LabHost, ctlPath: string): boolean {
  return ctlPath !== '' && host.agent !== null && host.fileExists(ctlPath) && /twinlockctl\.exe$/i.test(ctlPath);
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
    const r = await runCtl(host, world, ['version', '--json']);
    if (r.exitCode === 0) ctl = JSON.parse(r.stdout);
    else ctlError = r.stdout;
  }
  return {
    product: entry
      ? { name: entry.name, version: entry.version, productCode: entry.productCode, publisher: entry.publisher, installDate: entry.installDate }
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

export const invokeTwinlockctl: ScriptHandler = async ({ host, world, params }) => {
  const ctlPath = str(params, 'ctlPath');
  if (!ctlPresent(host, ctlPath)) {
    // `throw "text"` in PowerShell: category OperationStopped, the text as the error id.
    const message = `twinlockctl was not found at ${ctlPath}. Install the Twinlock agent first.`;
    throw new PsError(message, 'OperationStopped', message);
  }
  const r = await runCtl(host, world, list(params, 'arguments'));
  let output: unknown = null;
  try {
    output = r.stdout.trim() ? JSON.parse(r.stdout) : null;
  } catch {
    output = null;
  }
  return { exitCode: r.exitCode, output, text: r.stdout };
};
