/**
 * The lab answers each script without running PowerShell, so its answers must keep the keys the
 * script's final [pscustomobject] declares: this catches a script and its lab model drifting apart.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SCRIPT_NAMES } from '../../../engine/remote/scripts';
import { CTL_PATH } from '../../../lab/msiexec';
import { offlineLab } from './offline';

const SCRIPTS = join(import.meta.dirname, '../../../resources/scripts');
const AGENT_DIR = join(import.meta.dirname, '../../../resources/agent');
const manifest = JSON.parse(readFileSync(join(AGENT_DIR, 'agent-manifest.json'), 'utf8'));

/** Keys of the last top-level `[pscustomobject]@{ … }` in a script, in order. */
function declaredKeys(source: string): string[] {
  const start = source.lastIndexOf('\n[pscustomobject]@{');
  const block = source.slice(start, source.indexOf('\n}', start));
  return [...block.matchAll(/^ {4}(\w+)\s*=/gm)].map((m) => m[1]!);
}

const lab = offlineLab('matched-pair');
afterAll(() => lab.dispose());
const host = lab.hosts[0]!;
host.writeFile('C:\\p.msi', readFileSync(join(AGENT_DIR, manifest.file)));

const PARAMS: Record<string, Record<string, unknown>> = {
  'get-identity': {},
  'get-inventory': {},
  'test-agent-package': { path: 'C:\\p.msi' },
  'install-agent': { path: 'C:\\p.msi', logPath: 'C:\\l.log', arguments: [] },
  'get-agent-state': {
    productName: 'TwinlockAgent',
    service: 'TwinlockAgent',
    ctlPath: CTL_PATH,
    firewallGroup: 'Twinlock Agent',
  },
  'invoke-twinlockctl': { ctlPath: CTL_PATH, verb: ['version'], input: {} },
  'uninstall-agent': { productCode: manifest.productCode, logPath: 'C:\\u.log' },
  'fix-install-feature': { name: 'Hyper-V' },
  'fix-open-firewall-ports': { group: 'Twinlock Agent', ports: [7440] },
  'fix-resync-time': { source: '' },
  'fix-power-plan': { guid: '8c5e7fda-e8bf-4a96-9a85-a6e23a8c635c' },
  'fix-install-hotfix': { paths: [] },
  'restart-host': { delaySeconds: 5, reason: 'fix' },
  'remove-agent-package': { paths: ['C:\\p.msi'], firewallGroup: 'Twinlock Agent' },
  'get-vm-state': { names: ['SQL01', 'absent'] },
  'test-witness': { kind: 'host', address: '127.0.0.1', port: 7443, timeoutMs: 1000, probeId: 'x' },
  'set-link-address': { adapter: 'SLOT 3 Port 2', address: '172.31.0.1', prefixLength: 30 },
  'remove-link-address': { adapter: 'SLOT 3 Port 2', address: '172.31.0.1' },
  'get-link-addresses': {},
  'test-cluster-prereqs': { clusterName: 'PAIR01-CL', clusterAddress: '192.168.50.50', vms: ['SQL01'] },
  'test-cluster': { nodes: ['TL-NODE-A', 'TL-NODE-B'], include: [] },
  'get-cluster-state': {},
  'new-cluster': {
    name: 'SHAPES-CL',
    nodes: ['TL-NODE-A', 'TL-NODE-B'],
    staticAddress: ['192.168.50.250'],
    description: 'twinlock pair=shapes; level=1',
  },
  'set-cluster-quorum': { kind: 'node-majority', path: '', disk: '', accountName: '', accessKey: '' },
  'add-cluster-vm-role': { vm: 'SQL01' },
  'wait-cluster-roles': { vms: ['SQL01'], timeoutSeconds: 0 },
  'remove-cluster-vm-role': { vm: 'SQL01' },
  'remove-cluster': { name: 'SHAPES-CL' },
  'install-cluster-feature': {},
  'uninstall-cluster-feature': {},
  // On the cluster new-cluster made.
  'invoke-cluster-drill': { action: 'start-node', node: 'TL-NODE-B', vm: '' },
};
// Test-Cluster comes with the Failover Clustering feature's tools.
host.profile.roles.failoverClustering = true;

/**
 * The cluster scripts whose answer is not a top-level [pscustomobject] (a function builds it, or
 * a nested object is the answer): the keys they print, as the script's own object literals name them.
 */
const CLUSTER_KEYS: Record<string, string[]> = {
  'new-cluster': ['name', 'addresses', 'description', 'domain', 'nodes'],
  'set-cluster-quorum': ['type', 'witness'],
  'add-cluster-vm-role': ['name', 'vm', 'ownerNode', 'state'],
  'remove-cluster-vm-role': ['removed'],
  'remove-cluster': ['removed', 'computerObjectRemoved'],
  'wait-cluster-roles': ['settled', 'roles', 'missing'],
};

describe('lab answers keep the keys each script declares', () => {
  // Uninstalling last keeps the agent in place for the scripts that need it.
  const last = ['uninstall-agent', 'remove-agent-package'];
  // The cluster scripts run in the order a pairing and an unpairing run them, on servers with the feature.
  const cluster = [
    'get-cluster-state',
    'new-cluster',
    'set-cluster-quorum',
    'add-cluster-vm-role',
    'wait-cluster-roles',
    'invoke-cluster-drill',
    'remove-cluster-vm-role',
    'remove-cluster',
  ];
  for (const h of lab.hosts) h.profile.roles.failoverClustering = true;
  // measure-link answers per mode: test/powershell/measure-link.test.ts compares both with the script's.
  const order = [...SCRIPT_NAMES]
    .filter((n) => n !== 'measure-link')
    .sort((a, b) => Number(last.includes(a)) - Number(last.includes(b)))
    .sort((a, b) => (cluster.indexOf(a) + 1 || 0) - (cluster.indexOf(b) + 1 || 0));
  for (const name of order) {
    it(name, async () => {
      const keys = CLUSTER_KEYS[name] ?? declaredKeys(readFileSync(join(SCRIPTS, `${name}.ps1`), 'utf8'));
      if (!CLUSTER_KEYS[name]) expect(keys.length).toBeGreaterThan(2);
      const data = (await lab.run(host, name, PARAMS[name])) as Record<string, unknown>;
      expect(Object.keys(data)).toEqual(keys);
    });
  }
});
