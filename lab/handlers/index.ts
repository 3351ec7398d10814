/** The lab's answer to each remote script, by the name in its header. */
import { testAgentPackage } from './agent-package';
import { getAgentState, invokeTwinlockctl } from './agent-state';
import { installClusterFeature, uninstallClusterFeature } from './cluster-feature';
import { FIX_HANDLERS } from './fixes';
import { removeAgentPackage, restartHost } from './host-control';
import { getIdentity } from './identity';
import { installAgent, uninstallAgent } from './install';
import { getLinkAddresses, removeLinkAddress, setLinkAddress } from './link-address';
import { getInventory } from './inventory';
import { measureLink } from './measure-link';
import type { ScriptHandler } from './types';
import { getVmState } from './vm-state';
import {
  addClusterVmRole,
  getClusterState,
  newCluster,
  removeCluster,
  removeClusterVmRole,
  setClusterQuorum,
  waitClusterRoles,
} from './cluster';
import { testWitness } from './witness';

export const HANDLERS: Record<string, ScriptHandler> = {
  'get-identity': getIdentity,
  'get-inventory': getInventory,
  'test-agent-package': testAgentPackage,
  'install-agent': installAgent,
  'uninstall-agent': uninstallAgent,
  'get-agent-state': getAgentState,
  'invoke-twinlockctl': invokeTwinlockctl,
  ...FIX_HANDLERS,
  'restart-host': restartHost,
  'remove-agent-package': removeAgentPackage,
  'measure-link': measureLink,
  'get-vm-state': getVmState,
  'test-witness': testWitness,
  'set-link-address': setLinkAddress,
  'remove-link-address': removeLinkAddress,
  'get-link-addresses': getLinkAddresses,
  'get-cluster-state': getClusterState,
  'new-cluster': newCluster,
  'set-cluster-quorum': setClusterQuorum,
  'add-cluster-vm-role': addClusterVmRole,
  'remove-cluster-vm-role': removeClusterVmRole,
  'wait-cluster-roles': waitClusterRoles,
  'remove-cluster': removeCluster,
  'install-cluster-feature': installClusterFeature,
  'uninstall-cluster-feature': uninstallClusterFeature,
};

export type { ScriptContext, ScriptHandler } from './types';
