/** get-vm-state.ps1: Get-VM for each name given, verbatim, as the server shows it now. */
import { visibleVmState } from '../agent';
import { VM_STATE_NUMBER } from '../state';
import { list } from './types';
import type { ScriptHandler } from './types';

export const getVmState: ScriptHandler = ({ host, world, params }) => {
  const hyperV = host.profile.roles.hyperV;
  const vms = list(params, 'names').map((name) => {
    const state = hyperV ? visibleVmState(host, world, name) : null;
    if (state === null) return { name, found: false, state: null, uptimeSeconds: 0, addresses: [] };
    return {
      name,
      found: true,
      state: VM_STATE_NUMBER[state],
      // The lab's VMs have run since their server booted (a failed-over copy: since the server booted too).
      uptimeSeconds: state === 'Running' ? Math.max(0, Math.floor((Date.now() - host.bootedAt) / 1000)) : 0,
      // The lab's VMs report no address through their integration services.
      addresses: [],
    };
  });
  return { computerName: host.name, hyperV, vms };
};
