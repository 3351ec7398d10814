/** The remote scripts that change nothing on a server, with the parameters the Windows workflow gives them. */
import { REMOTE_PATHS } from '../../engine/remote/scripts';
import type { ScriptName, ScriptParams } from '../../engine/remote/scripts';

export const READ_ONLY_RUNS: { [N in ScriptName]?: ScriptParams[N] } = {
  'get-identity': {},
  'get-inventory': {},
  'get-agent-state': {
    productName: 'TwinlockAgent',
    service: 'TwinlockAgent',
    ctlPath: REMOTE_PATHS.ctlPath,
    firewallGroup: REMOTE_PATHS.firewallGroup,
  },
  // A file Windows itself signs: Get-FileHash and Get-AuthenticodeSignature on a real signature,
  // checked against a pin no publisher has (run-scripts.ts then pins the signer it reports).
  // No VM of that name (and no Hyper-V on a hosted runner): the answer says so.
  'get-vm-state': { names: ['Twinlock drill probe'] },
  'test-agent-package': { path: 'C:\\Windows\\System32\\notepad.exe', trustedThumbprint: '0'.repeat(40) },
  // The runner's own sshd stands in for a witness host; nothing is written anywhere.
  'test-witness': { kind: 'host', address: '127.0.0.1', port: 22, timeoutMs: 3000, probeId: 'workflow' },
  // A fresh runner: Twinlock added no link address, so the record is absent (none).
  'get-link-addresses': {},
  // A hosted runner has no Failover Clustering: the answer says so (featureInstalled false, cluster null).
  'get-cluster-state': {},
};
