/**
 * What the server says: the agent's state, the uploaded package's hash and signature, and the
 * health checks that tell when the installed agent is really up.
 */
import { TwinlockError } from '../api/errors';
import { sleep } from '../jobs/sleep';
import { REMOTE_PATHS } from '../remote/scripts';
import type { RemoteHost } from '../remote/types';
import type { InstallTimings, InstallTarget } from './install-types';
import type { AgentPackage } from './manifest';
import type { AgentState, PackageCheck } from './script-results';
import type { TrustedPublisher } from './trusted-publishers';
import { AgentStateSchema, PackageCheckSchema, parseScriptResult } from './script-results';

export async function getAgentState(
  host: RemoteHost,
  pkg: AgentPackage,
  signal: AbortSignal,
): Promise<AgentState> {
  const raw = await host.runScript(
    'get-agent-state',
    {
      productName: pkg.manifest.name,
      service: pkg.manifest.service,
      ctlPath: REMOTE_PATHS.ctlPath,
      firewallGroup: REMOTE_PATHS.firewallGroup,
    },
    { signal },
  );
  return parseScriptResult('get-agent-state', AgentStateSchema, raw, host.label);
}

/** Hashes the server's copy and compares its Authenticode signer with the pinned publisher, on the server. */
export async function checkPackage(
  host: RemoteHost,
  path: string,
  publisher: TrustedPublisher,
  signal: AbortSignal,
): Promise<PackageCheck> {
  const raw = await host.runScript(
    'test-agent-package',
    { path, trustedThumbprint: publisher.thumbprint },
    { signal },
  );
  return parseScriptResult('test-agent-package', PackageCheckSchema, raw, host.label);
}

/**
 * The server's copy must be the very file the manifest describes, signed by the publisher this
 * workstation pinned — not whatever publisher the manifest names.
 */
export function verifyRemotePackage(
  label: string,
  pkg: AgentPackage,
  check: PackageCheck,
  publisher: TrustedPublisher,
): void {
  const { manifest } = pkg;
  const refuse = (message: string, hint: string, detail: Record<string, unknown>) => {
    throw new TwinlockError({ code: 'install-failed', message, hint, detail: { host: label, ...detail } });
  };
  if (!check.exists) {
    refuse(
      `The uploaded package is missing on ${label}.`,
      'Antivirus software may have removed it: allow C:\\ProgramData\\Twinlock\\packages and install again.',
      {},
    );
  }
  if ((check.sha256 ?? '').toLowerCase() !== manifest.sha256) {
    refuse(
      `The package on ${label} does not have the expected SHA-256: it was altered or damaged in transit. Twinlock did not install it.`,
      'Install again; if it happens again, check for a proxy or security product that rewrites files on that server.',
      { expected: manifest.sha256, actual: check.sha256 ?? null },
    );
  }
  if (check.signatureStatus !== 'Valid') {
    refuse(
      `Windows on ${label} reports the package’s signature as ${check.signatureStatus ?? 'missing'}, so Twinlock did not install it.`,
      'Make sure the server trusts the agent publisher’s certificate chain (Windows Update of root certificates), then install again.',
      { signatureStatus: check.signatureStatus ?? null },
    );
  }
  const actual = (check.signerThumbprint ?? '').toUpperCase();
  if (actual !== publisher.thumbprint || check.signerTrusted !== true) {
    refuse(
      `The package on ${label} is signed by “${check.signerSubject ?? 'an unknown signer'}”${actual ? ` (thumbprint ${actual})` : ''}, not by ${publisher.subject} (${publisher.thumbprint}), the publisher this workstation trusts. Twinlock did not install it.`,
      'Use the agent package as shipped by its publisher; do not install a package signed by someone else.',
      {
        pinned: publisher.thumbprint,
        actual: check.signerThumbprint ?? null,
        subject: check.signerSubject ?? null,
      },
    );
  }
}

/** The checks that say the agent is really up; empty when healthy. */
export function healthProblems(state: AgentState, pkg: AgentPackage): string[] {
  const problems: string[] = [];
  const { manifest } = pkg;
  if (state.product?.version !== manifest.version) {
    problems.push(
      `Windows lists agent version ${state.product?.version ?? 'none'} instead of ${manifest.version}`,
    );
  }
  if (!state.service) problems.push(`the ${manifest.service} service does not exist`);
  else {
    if (state.service.status !== 'Running')
      problems.push(`the ${manifest.service} service is ${state.service.status}, not Running`);
    if (!state.service.startType.startsWith('Automatic')) {
      problems.push(`the ${manifest.service} service starts ${state.service.startType}, not Automatic`);
    }
  }
  const enabled = state.firewallRules.filter((r) => r.enabled);
  const opened = new Set(enabled.flatMap((r) => r.localPorts ?? []));
  const wanted = [...manifest.ports.sync, manifest.ports.control].map(String);
  if (enabled.length === 0)
    problems.push(`no enabled firewall rules in the “${REMOTE_PATHS.firewallGroup}” group`);
  else {
    const missing = wanted.filter(
      (p) => !opened.has(p) && ![...opened].some((o) => portRangeHas(o, Number(p))),
    );
    if (missing.length > 0 && opened.size > 0)
      problems.push(`the firewall does not open port${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  }
  if (!state.ctl)
    problems.push(`twinlockctl does not answer${state.ctlError ? ` (${state.ctlError.slice(0, 200)})` : ''}`);
  else if (state.ctl.version !== manifest.version)
    problems.push(`twinlockctl reports version ${state.ctl.version} instead of ${manifest.version}`);
  return problems;
}

/** Windows firewall port filters may hold ranges such as `7440-7441`. */
function portRangeHas(filter: string, port: number): boolean {
  const m = /^(\d+)-(\d+)$/.exec(filter);
  return m !== null && port >= Number(m[1]) && port <= Number(m[2]);
}

export async function waitHealthy(
  t: InstallTarget,
  host: RemoteHost,
  pkg: AgentPackage,
  opts: Required<InstallTimings>,
  signal: AbortSignal,
): Promise<void> {
  const deadline = opts.clock.now() + opts.healthTimeoutMs;
  for (;;) {
    const problems = healthProblems(await getAgentState(host, pkg, signal), pkg);
    if (problems.length === 0) return;
    if (opts.clock.now() >= deadline) {
      throw new TwinlockError({
        code: 'install-failed',
        message: `The agent was installed on ${t.label} but its health check failed: ${problems.join('; ')}.`,
        hint: `Look at the ${pkg.manifest.service} service and the Application event log on that server, fix the cause, and install again.`,
        detail: { host: t.label, problems },
      });
    }
    await sleep(opts.healthIntervalMs, signal, opts.clock);
  }
}
