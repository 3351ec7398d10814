/**
 * msiexec in the lab: reads the package header, applies Windows Installer's rules for same,
 * newer and older versions, returns its exit codes (0, 1603, 1605, 1618, 1619, 1620, 1638, 3010,
 * 1641) and writes a verbose UTF-16LE log. Success installs the product, the TwinlockAgent
 * service, its firewall rules, twinlockctl.exe and the agent node.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { LabHost } from './host';
import { encodeMsiLog, msiLogText } from './msi-log';
import { decodeHeader } from './package-format';
import type { PackageHeader } from './package-format';
import { agentFirewallRules, AGENT_FIREWALL_GROUP } from './state';
import type { LabWorld } from './world';

/** Where the MSI installs twinlockctl (REMOTE_PATHS.ctlPath). */
export const CTL_PATH = 'C:\\Program Files\\Twinlock\\Agent\\twinlockctl.exe';

export type MsiexecRequest =
  | { action: 'install'; path: string; logPath: string; properties: string[] }
  | { action: 'uninstall'; productCode: string; logPath: string };

/** Lab seconds a successful install or removal takes. */
const RUN_SECONDS = { install: 25, uninstall: 12 } as const;

function versionCompare(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

function today(host: LabHost): string {
  return new Date(host.now()).toISOString().slice(0, 10).replace(/-/g, '');
}

function installFrom(host: LabHost, h: PackageHeader): void {
  for (const existing of host.installedProducts())
    if (existing.upgradeCode === h.upgradeCode) host.products.delete(existing.productCode);
  host.products.set(h.productCode, {
    productCode: h.productCode,
    upgradeCode: h.upgradeCode,
    name: h.productName,
    version: h.version,
    publisher: h.manufacturer,
    installDate: today(host),
  });
  host.services.set(h.service, {
    name: h.service,
    displayName: 'Twinlock Agent',
    status: 'Running',
    startType: 'Automatic',
  });
  host.firewallRules = [
    ...host.firewallRules.filter((r) => r.group !== AGENT_FIREWALL_GROUP),
    ...agentFirewallRules(h.ports),
  ];
  host.writeFile(CTL_PATH, `twinlockctl ${h.version} (lab)\r\n`);
  // An upgrade keeps the node's identity and its pair.
  if (host.agent) host.agent.version = h.version;
  else host.agent = { nodeId: randomUUID(), version: h.version, pair: null };
}

function removeAgent(host: LabHost, productCode: string): void {
  const product = host.products.get(productCode);
  host.products.delete(productCode);
  host.services.delete('TwinlockAgent');
  host.firewallRules = host.firewallRules.filter((r) => r.group !== AGENT_FIREWALL_GROUP);
  const ctl = host.localPath(CTL_PATH);
  if (ctl) rmSync(ctl, { force: true });
  // The survivor keeps the pair, now broken, until it is removed there.
  if (host.agent?.pair) host.agent.pair.broken = true;
  if (product) host.agent = null;
}

interface Outcome {
  exitCode: number;
  errorLines: string[];
  header: PackageHeader | null;
  apply?: () => void;
}

function decideInstall(
  host: LabHost,
  req: Extract<MsiexecRequest, { action: 'install' }>,
  forced: number | undefined,
): Outcome {
  if (!host.fileExists(req.path)) {
    return {
      exitCode: 1619,
      header: null,
      errorLines: [
        'Note: 1: 1309 2: 2 3: ' + req.path,
        'This installation package could not be opened. Verify that the package exists and that you can access it, or contact the application vendor to verify that this is a valid Windows Installer package.',
      ],
    };
  }
  const header = decodeHeader(host.readFile(req.path))?.header ?? null;
  if (!header) {
    return {
      exitCode: 1620,
      header: null,
      errorLines: [
        'This installation package could not be opened. Contact the application vendor to verify that this is a valid Windows Installer package.',
      ],
    };
  }
  if (forced !== undefined && forced !== 0 && forced !== 3010 && forced !== 1641) {
    const lines: Record<number, string> = {
      1603: 'CustomAction InstallDriverPackages returned actual error code 1603 (note this may not be 100% accurate if translation happened inside sandbox)',
      1618: 'Another installation is in progress. Complete that installation before proceeding with this install.',
      1638: 'Another version of this product is already installed. Installation of this version cannot continue.',
    };
    return { exitCode: forced, header, errorLines: [lines[forced] ?? `Error ${forced}.`] };
  }
  if (host.profile.os.build < header.minimumOsBuild) {
    return {
      exitCode: 1603,
      header,
      errorLines: [`This product requires Windows Server 2019 (build ${header.minimumOsBuild}) or later.`],
    };
  }
  const same = host.products.get(header.productCode);
  if (same && same.version === header.version) return { exitCode: forced ?? 0, header, errorLines: [] };
  // REINSTALL=ALL with REINSTALLMODE including `v` recaches the package: a minor upgrade in place.
  const minorUpgrade =
    req.properties.some((p) => /^REINSTALL=ALL$/i.test(p)) &&
    req.properties.some((p) => /^REINSTALLMODE=[a-z]*v/i.test(p));
  if (same && minorUpgrade)
    return { exitCode: forced ?? 0, header, errorLines: [], apply: () => installFrom(host, header) };
  if (same)
    return {
      exitCode: 1638,
      header,
      errorLines: [
        'Another version of this product is already installed. Installation of this version cannot continue. To configure or remove the existing version of this product, use Add/Remove Programs on the Control Panel.',
      ],
    };
  const related = host.installedProducts().find((p) => p.upgradeCode === header.upgradeCode);
  if (related && versionCompare(related.version, header.version) > 0) {
    return {
      exitCode: 1603,
      header,
      errorLines: [`A newer version of ${header.productName} (${related.version}) is already installed.`],
    };
  }
  if (host.faults.serviceWontStart) {
    return {
      exitCode: 1603,
      header,
      errorLines: [
        `Error 1920. Service 'Twinlock Agent' (${header.service}) failed to start. Verify that you have sufficient privileges to start system services.`,
      ],
    };
  }
  return { exitCode: forced ?? 0, header, errorLines: [], apply: () => installFrom(host, header) };
}

/** Runs msiexec; resolves to its exit code once the (lab-time) run is over. */
export async function runMsiexec(host: LabHost, world: LabWorld, req: MsiexecRequest): Promise<number> {
  const startedAt = new Date(host.now());
  const product = req.action === 'uninstall' ? host.products.get(req.productCode) : undefined;
  const forced = host.faults.msiExitCodes.shift();
  let outcome: Outcome;
  if (host.msiexecBusy) {
    outcome = { exitCode: 1618, header: null, errorLines: [] };
  } else if (req.action === 'install') {
    outcome = decideInstall(host, req, forced);
  } else {
    outcome = product
      ? forced !== undefined && forced !== 0 && forced !== 3010
        ? { exitCode: forced, header: null, errorLines: [`Error ${forced}.`] }
        : {
            exitCode: forced ?? 0,
            header: null,
            errorLines: [],
            apply: () => removeAgent(host, req.productCode),
          }
      : {
          exitCode: 1605,
          header: null,
          errorLines: ['This action is only valid for products that are currently installed.'],
        };
  }

  const busy = outcome.exitCode !== 1618;
  if (busy) host.msiexecBusy = true;
  try {
    await world.clock.sleep(outcome.apply ? RUN_SECONDS[req.action] : 2);
    outcome.apply?.();
    if (outcome.exitCode === 3010 || outcome.exitCode === 1641) host.pendingReboot = true;
  } finally {
    if (busy) host.msiexecBusy = false;
  }

  const header = outcome.header;
  const text = msiLogText({
    action: req.action,
    packagePath: req.action === 'install' ? req.path : '',
    productName: header?.productName ?? product?.name ?? 'TwinlockAgent',
    productCode: header?.productCode ?? (req.action === 'uninstall' ? req.productCode : ''),
    version: header?.version ?? product?.version ?? '',
    manufacturer: header?.manufacturer ?? 'Twinlock Software',
    exitCode: outcome.exitCode,
    errorLines: outcome.errorLines,
    properties: [
      `ProductCode = ${header?.productCode ?? ''}`,
      `ProductVersion = ${header?.version ?? ''}`,
      'ALLUSERS = 1',
      'INSTALLFOLDER = C:\\Program Files\\Twinlock\\Agent\\',
      ...(req.action === 'install' ? req.properties.map((p) => p.replace('=', ' = ')) : []),
    ],
    startedAt,
  });
  host.writeFile(req.logPath, encodeMsiLog(text));
  if (outcome.exitCode === 1641) {
    // The restart begins as msiexec returns: give the answer a moment to leave first.
    world.clock.after(100, () => host.reboot(world.clock.realMs(host.faults.rebootSeconds)));
  }
  return outcome.exitCode;
}
