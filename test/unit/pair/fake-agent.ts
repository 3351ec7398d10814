/** A scripted pair of agents for apply tests: each status call advances along a list of states. */
import type { AgentStatus, PairState } from '../../../engine/api/models';
import { fakeHost } from '../agent/fakes';

export interface Step {
  state: PairState;
  progress?: number;
}

function status(role: 'primary' | 'secondary', step: Step | null): AgentStatus {
  return {
    nodeId: `node-${role}`,
    role: step ? role : 'none',
    pair: step
      ? {
          name: 'TL-NODE-PAIR',
          peer: role === 'primary' ? '10.10.1.22' : '10.10.1.21',
          state: step.state,
          progress: step.progress ?? 0,
          // One link: PowerShell 5.1 prints a one-item array as the bare object.
          links: { local: '10.10.1.21', remote: '10.10.1.22', up: true, rttMs: 0.2, mbps: 24000 } as never,
          witness: null,
          level: 3,
        }
      : null,
    vms: [],
  };
}

/** Runs `twinlockctl` by verb; `steps` are the states successive status calls report. */
export function fakeAgentHost(
  label: string,
  role: 'primary' | 'secondary',
  steps: Step[],
  opts: { linksUp?: boolean; refuse?: string; refuseVm?: string; alreadyPaired?: boolean } = {},
) {
  let i = -1;
  // Like a real agent, a server reports no pair until it created or joined one.
  let paired = opts.alreadyPaired ?? false;
  const ctl: string[][] = [];
  const protectedVms = new Set<string>();
  const host = fakeHost(label, {
    'invoke-twinlockctl': (params: { arguments: string[] }) => {
      const args = params.arguments;
      ctl.push(args);
      const answer = (output: unknown, exitCode = 0) => ({ exitCode, output, text: JSON.stringify(output) });
      if (opts.refuse && args.join(' ').startsWith(opts.refuse)) {
        return answer({ error: { code: 'peer-unreachable', message: 'the peer did not answer on 10.10.1.22:7442' } }, 3);
      }
      switch (`${args[0]} ${args[1]}`) {
        case 'links test':
          return answer({ links: [{ local: '10.10.1.21', remote: '10.10.1.22', up: opts.linksUp ?? true, rttMs: 0.2, mbps: 24000 }] });
        case 'pair create':
        case 'pair join':
          paired = true;
          return answer({ pairId: 'pair-7f3a', state: 'pairing' });
        case 'protect --vm':
          if (opts.refuseVm === args[2]) return answer({ error: { code: 'protect-failed', message: `${args[2]} cannot be protected` } }, 1);
          protectedVms.add(args[2]!);
          return answer({ vm: args[2], protected: true });
        case 'unprotect --vm':
          protectedVms.delete(args[2]!);
          return answer({ vm: args[2], protected: false });
        case 'pair remove':
          paired = false;
          protectedVms.clear();
          return answer({ state: 'none' });
        default:
          if (args[0] === 'status') {
            if (!paired) return answer(status(role, null));
            i = Math.min(i + 1, steps.length - 1);
            return answer({ ...status(role, steps[i] ?? null), vms: role === 'primary' ? [...protectedVms].map((name) => ({ name, state: 'Running', protected: true })) : [] });
          }
          return answer({ error: { code: 'unknown-verb', message: args.join(' ') } }, 2);
      }
    },
  });
  return { host, ctl, paired: () => paired, protectedVms };
}
