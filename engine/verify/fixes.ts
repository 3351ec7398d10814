/**
 * The fixes Twinlock can run for a finding: which script, with which parameters, and whether the
 * server restarts afterwards. Parameters travel as `$P`; nothing is spliced into PowerShell text.
 */
import { TwinlockError } from '../api/errors';
import type { FixId, HostInventory } from '../api/models';
import type { FixScriptParams, ScriptParams } from '../remote/scripts';
import { HIGH_PERFORMANCE_PLAN } from './os';
import { AGENT_PORTS } from './security';

/** The agent's firewall rule group (as its installer names it). */
export const AGENT_FIREWALL_GROUP = 'Twinlock Agent';

/** The scripts a fix may run: the fix scripts, and the restart every restarting fix ends with. */
export type FixScripts = FixScriptParams & Pick<ScriptParams, 'restart-host'>;

/** A fix ready to run on one server. */
export interface PlannedFix<N extends keyof FixScripts = keyof FixScripts> {
  scriptName: N;
  params: FixScripts[N];
  /** One sentence: what changes on the server. */
  description: string;
  /** The server restarts afterwards. */
  needsReboot: boolean;
}

/** What Twinlock knows when it plans a fix: the server, and its peer when verified together. */
export interface FixContext {
  target: HostInventory;
  peer: HostInventory | null;
  /** The peer's address as this workstation reaches it (a time source for a workgroup server). */
  peerAddress: string | null;
}

function missingKbs(ctx: FixContext): string[] {
  const have = new Set(ctx.target.hotfixes.map((h) => h.id));
  return [...new Set((ctx.peer?.hotfixes ?? []).map((h) => h.id))].filter((id) => !have.has(id));
}

/** Plans a fix for one server; throws a plain Error (turned into `invalid-input`) when it does not apply. */
export function planFix(fixId: FixId, ctx: FixContext): PlannedFix {
  const name = ctx.target.computerName;
  switch (fixId) {
    case 'install-hyperv':
      return {
        scriptName: 'fix-install-feature',
        params: { name: 'Hyper-V' },
        description: `Installs the Hyper-V role and its management tools on ${name}, then restarts it.`,
        needsReboot: true,
      };
    case 'open-agent-ports':
      return {
        scriptName: 'fix-open-firewall-ports',
        params: { group: AGENT_FIREWALL_GROUP, ports: [...AGENT_PORTS] },
        description: `Allows inbound TCP ${AGENT_PORTS.join(', ')} in Windows Defender Firewall on ${name} (rule group “${AGENT_FIREWALL_GROUP}”).`,
        needsReboot: false,
      };
    case 'resync-time': {
      // A domain member takes its time from the domain; a workgroup server from its peer.
      const source = ctx.target.partOfDomain ? '' : (ctx.peerAddress ?? ctx.peer?.computerName ?? '');
      return {
        scriptName: 'fix-resync-time',
        params: { source },
        description: source
          ? `Sets ${name}’s time source to ${source} and resynchronises its clock now (w32tm).`
          : `Resynchronises ${name}’s clock with the domain now (w32tm /resync).`,
        needsReboot: false,
      };
    }
    case 'power-plan-high':
      return {
        scriptName: 'fix-power-plan',
        params: { guid: HIGH_PERFORMANCE_PLAN },
        description: `Switches ${name} to the High performance power plan (powercfg /setactive).`,
        needsReboot: false,
      };
    case 'install-hotfix': {
      const kbs = missingKbs(ctx);
      const files = ctx.target.updateFiles.filter((f) => kbs.includes(f.kb));
      if (files.length === 0) {
        throw new TwinlockError({
          code: 'not-found',
          message: `${name} has no staged update package for the updates it lacks (${kbs.join(', ')}).`,
          hint: `Copy the .msu packages to C:\\ProgramData\\Twinlock\\updates on ${name}, then verify again.`,
          detail: { kbs },
        });
      }
      return {
        scriptName: 'fix-install-hotfix',
        params: { paths: files.map((f) => f.path) },
        description: `Installs ${files.map((f) => f.kb).join(', ')} on ${name} from the staged package${files.length === 1 ? '' : 's'} (wusa /quiet), then restarts it.`,
        needsReboot: true,
      };
    }
    case 'restart':
      return {
        scriptName: 'restart-host',
        params: { delaySeconds: 5, reason: 'fix' },
        description: `Restarts ${name} to finish pending changes; its VMs are shut down or saved as configured in Hyper-V.`,
        needsReboot: true,
      };
  }
}
