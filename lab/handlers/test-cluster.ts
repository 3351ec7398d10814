/**
 * test-cluster.ps1: Windows' cluster validation on the nodes named, as lab/cluster-validation.ts
 * decides it from their profiles. Test-Cluster writes its report (.htm) and the results (.xml)
 * under C:\ProgramData\Twinlock\reports; the script reads the XML back into categories and tests.
 * Test-Cluster reaches the other nodes as the logged-on account: a key-based logon has no network
 * credentials, so Windows denies it access to them.
 */
import { mkdirSync } from 'node:fs';
import { includeOnly, validateCluster, validationHtml, validationXml, worst } from '../cluster-validation';
import type { LabHost } from '../host';
import { PsError, scriptThrow } from '../powershell-shapes';
import type { LabWorld } from '../world';
import { list } from './types';
import type { ScriptHandler } from './types';

export const REPORTS_DIR = 'C:\\ProgramData\\Twinlock\\reports';

/** The server a node name (its computer name, or that name with its domain) names, or undefined. */
export function nodeNamed(world: LabWorld, name: string): LabHost | undefined {
  const n = name.toLowerCase();
  return world.hosts.find(
    (h) => h.name.toLowerCase() === n || `${h.name}.${h.profile.domain}`.toLowerCase() === n,
  );
}

/** The node answers the network (not restarting, powered off or refusing connections). */
export function answers(node: LabHost): boolean {
  return !node.isDown() && !node.faults.refuseConnections;
}

/** Test-Cluster's error when it cannot reach a node (not found, or off). */
export function unreachableNode(name: string): PsError {
  return new PsError(
    `Unable to connect to ${name} via WMI. This may be due to networking issues or firewall configuration on ${name}.`,
    'ConnectionError',
    'Test-Cluster,Microsoft.FailoverClusters.PowerShell.TestClusterCommand',
  );
}

/** Test-Cluster's error when the session's token carries no credentials to the other node. */
export function accessDenied(name: string): PsError {
  return new PsError(
    `You do not have administrative privileges on the server '${name}'.`,
    'PermissionDenied',
    'Test-Cluster,Microsoft.FailoverClusters.PowerShell.TestClusterCommand',
  );
}

/** `Validation Report 2026.12.03 At 09.15.42` for a moment of the server's clock (its time zone is UTC in the lab). */
export function reportBaseName(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `Validation Report ${d.getUTCFullYear()}.${two(d.getUTCMonth() + 1)}.${two(d.getUTCDate())} At ${two(d.getUTCHours())}.${two(d.getUTCMinutes())}.${two(d.getUTCSeconds())}`;
}

export const testCluster: ScriptHandler = ({ host, world, params, logon }) => {
  const names = list(params, 'nodes').filter((n) => n !== '');
  const include = list(params, 'include').filter((n) => n !== '');
  if (names.length === 0)
    throw scriptThrow('nodes is empty: name the servers to validate, for example TL-NODE-A and TL-NODE-B.');
  if (!host.profile.roles.failoverClustering) {
    throw scriptThrow(
      `Test-Cluster is not available on ${host.name}: install the Failover Clustering feature with its management tools first.`,
    );
  }
  const dir = host.localPath(REPORTS_DIR);
  if (dir) mkdirSync(dir, { recursive: true });
  const nodes: LabHost[] = [];
  for (const name of names) {
    const node = nodeNamed(world, name);
    if (!node || !answers(node)) throw unreachableNode(name);
    if (!nodes.includes(node)) nodes.push(node);
  }
  const remote = nodes.find((n) => n !== host);
  if (remote && logon === 'key') throw accessDenied(remote.name);

  const now = host.now();
  const ranAt = new Date(now).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
  const base = `${REPORTS_DIR}\\${reportBaseName(now)}`;
  const categories = includeOnly(validateCluster(nodes), include);
  const nodeNames = nodes.map((n) => n.name);
  host.writeFile(`${base}.xml`, validationXml(categories, nodeNames, ranAt));
  host.writeFile(`${base}.htm`, validationHtml(categories, nodeNames, ranAt));
  const results = categories.map((c) => ({
    name: c.name,
    result: worst(c.tests.map((t) => t.result)),
    tests: c.tests.map((t) => ({ name: t.name, result: t.result, message: t.message })),
  }));
  return {
    nodes: nodeNames,
    reportPath: `${base}.htm`,
    ranAt,
    result: worst(results.map((c) => c.result)),
    categories: results,
  };
};
