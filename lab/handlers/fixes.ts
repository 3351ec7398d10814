/** The fix scripts verification offers: a role, firewall ports, the clock, the power plan, updates, a restart. */
import { parseCommandLine, startProcessArguments } from '../command-line';
import { hostsAt } from '../world';
import { PsError, psDate, scriptThrow } from '../powershell-shapes';
import { POWER_PLANS, UPDATES_DIR } from './inventory';
import { list, str } from './types';
import type { ScriptHandler } from './types';

const installFeature: ScriptHandler = ({ host, params }) => {
  const name = str(params, 'name');
  if (name !== 'Hyper-V') throw scriptThrow(`Twinlock does not install the feature '${name}'.`);
  const p = host.profile;
  if (p.roles.hyperV) return { success: true, restartNeeded: 'No', exitCode: 'NoChangeNeeded', features: [] };
  if (!p.processor.virtualizationFirmwareEnabled) {
    throw new PsError(
      'Hyper-V cannot be installed: The processor does not have required virtualization capabilities.',
      'InvalidOperation',
      'Alteration_PrerequisiteCheck_Failed,Microsoft.Windows.ServerManager.Commands.AddWindowsFeatureCommand',
    );
  }
  host.pendingReboot = true;
  host.onNextBoot.push(() => {
    p.roles.hyperV = true;
  });
  return {
    success: true,
    restartNeeded: 'Yes',
    exitCode: 'SuccessRestartRequired',
    features: ['Hyper-V', 'Hyper-V-PowerShell', 'Hyper-V-Tools'],
  };
};

const openFirewallPorts: ScriptHandler = ({ host, params }) => {
  const group = str(params, 'group');
  const ports = list(params, 'ports').map(Number);
  for (const port of ports) {
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw scriptThrow(`Port ${port} is not a TCP port number.`);
    const name = `TwinlockAgent-TCP-${port}-In`;
    host.firewallRules = [
      ...host.firewallRules.filter((r) => r.name !== name),
      {
        name,
        displayName: `Twinlock Agent (TCP ${port})`,
        group,
        enabled: true,
        direction: 'Inbound',
        action: 'Allow',
        protocol: 'TCP',
        localPorts: [port],
      },
    ];
  }
  return { group, opened: ports, count: ports.length };
};

/**
 * What `w32tm /resync` prints, line by line: the script joins the lines with a space into its
 * error, and with "`n" (PowerShell splits a native program's output into lines) into `output`.
 */
const RESYNC_SENT = 'Sending resync command to local computer';
const NO_TIME_DATA = `w32tm could not resynchronise the clock: ${RESYNC_SENT} The computer did not resync because no time data was available.`;

const resyncTime: ScriptHandler = ({ host, world, params }) => {
  const source = str(params, 'source');
  if (source !== '' && !/^[A-Za-z0-9.:_\-[\]%]+$/.test(source)) {
    const message = `The time source '${source}' is not a host name or IP address.`;
    throw new PsError(message, 'OperationStopped', message);
  }
  if (source === '') {
    if (!host.profile.partOfDomain) throw scriptThrow(NO_TIME_DATA);
    // The domain hierarchy keeps true time.
    host.faults.clockSkewSeconds = 0;
  } else {
    const peer = hostsAt(world, source).find((h) => h !== host);
    if (!peer) throw scriptThrow(NO_TIME_DATA);
    host.faults.clockSkewSeconds = peer.faults.clockSkewSeconds;
  }
  return {
    source,
    output: `${RESYNC_SENT}\nThe command completed successfully.`,
    utcAfter: psDate(host.now()),
  };
};

const powerPlan: ScriptHandler = ({ host, params }) => {
  // The script answers the GUID as it was given; powercfg matches it without regard to case.
  const guid = str(params, 'guid');
  if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(guid))
    throw scriptThrow(`'${guid}' is not a power plan GUID.`);
  const name = Object.entries(POWER_PLANS).find(([, g]) => g === guid.toLowerCase())?.[0];
  if (!name) throw scriptThrow(`powercfg could not activate the power plan ${guid} (exit code 1).`);
  host.profile.powerPlan = name as typeof host.profile.powerPlan;
  return { guid, active: name, changed: true };
};

/** [System.IO.Path]::GetFullPath of an absolute Windows path: `/` read as `\`, `.` and `..` resolved. */
function fullPath(path: string): string {
  const p = path.replace(/\//g, '\\');
  const m = /^([A-Za-z]:)\\(.*)$/.exec(p);
  if (!m) return p;
  const parts: string[] = [];
  for (const part of m[2]!.split('\\')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `${m[1]}\\${parts.join('\\')}`;
}

const installHotfix: ScriptHandler = ({ host, params }) => {
  const results = list(params, 'paths').map((given) => {
    // A double quote is refused before the path is resolved (.NET Framework's GetFullPath refuses it).
    if (given.includes('"')) throw scriptThrow(`${given} is not an update package in ${UPDATES_DIR}.`);
    // The script resolves the path first, so `updates\..\..\x.msu` is judged where it really points.
    // .NET Framework's GetFullPath refuses the other characters no Windows path holds.
    // eslint-disable-next-line no-control-regex
    if (/[<>|\x00-\x1f]/.test(given))
      throw new PsError(
        'Exception calling "GetFullPath" with "1" argument(s): "Illegal characters in path."',
        'NotSpecified',
        'ArgumentException',
      );
    const path = fullPath(given);
    if (
      !path.toLowerCase().startsWith(`${UPDATES_DIR.toLowerCase()}\\`) ||
      !path.toLowerCase().endsWith('.msu')
    ) {
      throw scriptThrow(`${path} is not an update package in ${UPDATES_DIR}.`);
    }
    // wusa.exe gets the script's Start-Process command line, split by the C runtime's rules: the
    // package is its first argument, exactly as it arrives there.
    const argv = parseCommandLine(startProcessArguments([`"${path}"`, '/quiet', '/norestart']));
    const arrived = argv[0] ?? '';
    host.wusaPackages.push(arrived);
    if (arrived !== path) return { path, exitCode: 2 };
    // wusa: 2 file not found, 2359302 already installed, 3010 installed (restart required).
    if (!host.fileExists(path)) return { path, exitCode: 2 };
    const kb = /kb(\d+)/i.exec(path)?.[1];
    if (!kb) return { path, exitCode: 2 };
    const id = `KB${kb}`;
    if (host.profile.hotfixes.some((h) => h.id === id)) return { path, exitCode: 2359302 };
    host.pendingReboot = true;
    host.onNextBoot.push(() => {
      if (!host.profile.hotfixes.some((h) => h.id === id)) {
        host.profile.hotfixes.push({
          id,
          description: 'Update',
          installedOn: new Date(host.now()).toISOString().slice(0, 10),
        });
      }
    });
    return { path, exitCode: 3010 };
  });
  return {
    results,
    restartNeeded: results.some((r) => r.exitCode === 3010),
    failed: results.filter((r) => ![0, 3010, 2359302].includes(r.exitCode)).length,
  };
};

/** The lab's answers to the fix scripts. */
export const FIX_HANDLERS: Record<string, ScriptHandler> = {
  'fix-install-feature': installFeature,
  'fix-open-firewall-ports': openFirewallPorts,
  'fix-resync-time': resyncTime,
  'fix-power-plan': powerPlan,
  'fix-install-hotfix': installHotfix,
};
