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
  /** Every twinlockctl call: its verb and its stdin document. */
  const ctl: { verb: string; input: Record<string, any> }[] = [];
  const protectedVms = new Set<string>();
  const host = fakeHost(label, {
    'invoke-twinlockctl': (params: { verb: string[]; input: Record<string, any> }) => {
      const verb = params.verb.join(' ');
      const input = params.input;
      ctl.push({ verb, input });
      const answer = (output: unknown, exitCode = 0) => ({
        installed: true,
        exitCode,
        output,
        text: JSON.stringify(output),
      });
      if (opts.refuse && verb === opts.refuse) {
        return answer(
          { error: { code: 'peer-unreachable', message: 'the peer did not answer on 10.10.1.22:7442' } },
          3,
        );
      }
      switch (verb) {
        case 'links test':
          return answer({
            links: [
              {
                local: '10.10.1.21',
                remote: '10.10.1.22',
                up: opts.linksUp ?? true,
                rttMs: 0.2,
                mbps: 24000,
              },
            ],
          });
        case 'pair create':
        case 'pair join':
          paired = true;
          return answer({ pairId: 'pair-7f3a', state: 'pairing' });
        case 'protect':
          if (opts.refuseVm === input.vm)
            return answer(
              { error: { code: 'protect-failed', message: `${input.vm} cannot be protected` } },
              1,
            );
          protectedVms.add(input.vm);
          return answer({ vm: input.vm, protected: true });
        case 'unprotect':
          protectedVms.delete(input.vm);
          return answer({ vm: input.vm, protected: false });
        case 'pair remove':
          paired = false;
          protectedVms.clear();
          return answer({ state: 'none' });
        case 'status':
          if (!paired) return answer(status(role, null));
          i = Math.min(i + 1, steps.length - 1);
          return answer({
            ...status(role, steps[i] ?? null),
            vms:
              role === 'primary'
                ? [...protectedVms].map((name) => ({ name, state: 'Running', protected: true }))
                : [],
          });
        default:
          return answer({ error: { code: 'unknown-verb', message: verb } }, 2);
      }
    },
  });
  return { host, ctl, paired: () => paired, protectedVms };
}
