/** Scripted answers of a Windows server running (or not running) the agent, for install tests. */
import type { ScriptName } from '../../../engine/remote/scripts';
import type { ScriptHandler } from './fakes';
import { SUBJECT, THUMBPRINT } from './package-fixture';

export interface AgentServerState {
  installed: string | null;
  /** The uploaded package as the server sees it. */
  uploaded: { sha256: string; thumbprint: string; subject: string; status: string } | null;
  /** Exit codes msiexec returns, in order; 0 once exhausted. */
  exitCodes: number[];
  serviceStatus: string;
  logTail: string[];
}

/** The handlers plus the live state they act on. */
export function agentServer(initial: Partial<AgentServerState> & { packageSha256: string }) {
  const state: AgentServerState = {
    installed: null,
    uploaded: null,
    exitCodes: [],
    serviceStatus: 'Running',
    logTail: [
      'MSI (s) (A0:B4) Product: TwinlockAgent -- Installation failed.',
      'Windows Installer reconfigured the product. Error status: 1603.',
    ],
    ...initial,
  };
  let pendingVersion: string | null = null;
  const handlers: Partial<Record<ScriptName, ScriptHandler>> = {
    'get-agent-state': () => ({
      product: state.installed
        ? { name: 'TwinlockAgent', version: state.installed, productCode: '{X}' }
        : null,
      service: state.installed ? { status: state.serviceStatus, startType: 'Automatic' } : null,
      firewallRules: state.installed
        ? [
            {
              name: 'Twinlock-Sync',
              displayName: 'Twinlock Sync',
              enabled: true,
              localPorts: ['7440', '7441'],
            },
            // PowerShell 5.1 prints a one-item array as the item itself.
            { name: 'Twinlock-Control', displayName: 'Twinlock Control', enabled: true, localPorts: '7442' },
          ]
        : [],
      ctlError: null,
      ctl: state.installed ? { version: state.installed, build: '3.2.1.4410', nodeId: 'node-a' } : null,
    }),
    'test-agent-package': (params: { trustedThumbprint?: string }) =>
      state.uploaded
        ? {
            exists: true,
            size: 4096,
            sha256: state.uploaded.sha256.toUpperCase(),
            signatureStatus: state.uploaded.status,
            statusMessage: 'Signature verified.',
            signer: state.uploaded.thumbprint
              ? { subject: state.uploaded.subject, thumbprint: state.uploaded.thumbprint }
              : null,
            // As the script does: the signer against the pinned thumbprint it was given.
            signerTrusted:
              state.uploaded.status === 'Valid' &&
              state.uploaded.thumbprint !== '' &&
              state.uploaded.thumbprint.toUpperCase() === (params.trustedThumbprint ?? '').toUpperCase(),
          }
        : {
            path: 'C:\\x',
            exists: false,
            size: 0,
            sha256: null,
            signatureStatus: null,
            statusMessage: null,
            signer: null,
            signerTrusted: false,
          },
    'install-agent': (params: { path: string }) => {
      const code = state.exitCodes.shift() ?? 0;
      if (code === 0 || code === 3010) state.installed = pendingVersion ?? versionOf(params.path);
      return { exitCode: code, durationMs: 1200, logTail: code === 0 || code === 3010 ? [] : state.logTail };
    },
    'uninstall-agent': () => {
      state.installed = null;
      return { exitCode: 0, durationMs: 800, logTail: [] };
    },
  };
  return {
    state,
    handlers,
    /** Call from an upload hook: the server now holds the package as uploaded. */
    received(sha256 = initial.packageSha256, thumbprint = THUMBPRINT, status = 'Valid', subject = SUBJECT) {
      state.uploaded = { sha256, thumbprint, status, subject };
    },
    installAs(version: string) {
      pendingVersion = version;
    },
  };
}

function versionOf(path: string): string {
  return /-(\d+(?:\.\d+)+)-/.exec(path)?.[1] ?? '0.0.0';
}
