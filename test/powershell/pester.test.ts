/**
 * The Pester suite of the tier (ErrorPaths.Tests.ps1): every `throw` in resources/scripts,
 * found by PowerShell's own parser, reached by a case on a shimmed lab server.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildStdin } from '../../engine/remote/powershell-runner';
import { REMOTE_PATHS } from '../../engine/remote/scripts';
import { HANDLERS } from '../../lab/handlers/index';
import { offlineLab } from '../unit/lab/offline';
import {
  PowerShellTier,
  RESOURCES,
  SHIM,
  bootstrapText,
  resourceText,
  serverDocument,
  substitutePlatform,
} from './tier';

const lab = offlineLab('matched-pair');
const workgroup = offlineLab('uneven-pair');
let tier: PowerShellTier;
beforeAll(async () => {
  tier = new PowerShellTier();
  await tier.ready;
}, 180_000);
afterAll(async () => {
  await tier?.close();
  lab.dispose();
  workgroup.dispose();
});

/** The line of the `throw` in `script` whose text contains `marker`. */
function lineOf(script: string, marker: string): number {
  const lines = readFileSync(join(RESOURCES, 'scripts', `${script}.ps1`), 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes('throw') && l.includes(marker));
  if (i < 0) throw new Error(`${script}: no throw with ${marker}`);
  return i + 1;
}

it('Pester: every throw in the scripts is reached with its message', async () => {
  const a = serverDocument(lab.hosts[0]!, lab.world);
  // The second server's record of link addresses is not JSON.
  lab.hosts[1]!.writeFile(REMOTE_PATHS.linkAddressRecord, '{ "addresses": [ not json');
  const garbled = serverDocument(lab.hosts[1]!, lab.world);
  const notJson = `${REMOTE_PATHS.linkAddressRecord} is not the record Twinlock writes (it is not JSON): *`;
  const measure = {
    mode: 'send',
    adapter: 'SLOT 3 Port 1',
    localAddress: '127.0.0.3',
    prefixLength: 24,
    remoteAddress: '127.0.0.5',
    port: 39_999,
    seconds: 0.2,
    connectSeconds: 0.5,
    probes: 10,
  };
  // A server that is a node of a cluster (made by the lab's New-Cluster), for the cluster scripts' throws.
  for (const h of lab.hosts) h.profile.roles.failoverClustering = true;
  await HANDLERS['new-cluster']!({
    host: lab.hosts[0]!,
    world: lab.world,
    params: {
      name: 'L1-CL',
      nodes: ['TL-NODE-A', 'TL-NODE-B'],
      staticAddress: ['192.168.50.40'],
      description: 'twinlock pair=P; level=1',
    },
    account: lab.hosts[0]!.accounts[0]!,
    logon: 'password',
  });
  const clustered = serverDocument(lab.hosts[0]!, lab.world);
  const quorum = { kind: 'disk', path: '', disk: 'Cluster Disk 9', accountName: '', accessKey: '' };
  const cases = [
    {
      script: 'fix-install-feature',
      params: { name: 'RSAT' },
      server: a,
      marker: 'does not install',
      message: "Twinlock does not install the feature 'RSAT'.",
    },
    {
      script: 'fix-install-hotfix',
      params: { paths: ['C:\\Temp\\x.msu'] },
      server: a,
      marker: '$full is not an update package',
      message: 'C:\\Temp\\x.msu is not an update package in C:\\ProgramData\\Twinlock\\updates.',
    },
    {
      script: 'fix-install-hotfix',
      params: { paths: ['C:\\ProgramData\\Twinlock\\updates\\x" /extract:C:\\.msu'] },
      server: a,
      marker: '$given is not an update package',
      message:
        'C:\\ProgramData\\Twinlock\\updates\\x" /extract:C:\\.msu is not an update package in C:\\ProgramData\\Twinlock\\updates.',
    },
    {
      script: 'fix-open-firewall-ports',
      params: { group: 'g', ports: [65536] },
      server: a,
      marker: 'not a TCP port',
      message: 'Port 65536 is not a TCP port number.',
    },
    {
      script: 'fix-power-plan',
      params: { guid: '{bad}' },
      server: a,
      marker: 'not a power plan GUID',
      message: "'{bad}' is not a power plan GUID.",
    },
    {
      script: 'fix-power-plan',
      params: { guid: '11111111-2222-3333-4444-555555555555' },
      server: a,
      marker: 'could not activate',
      message:
        'powercfg could not activate the power plan 11111111-2222-3333-4444-555555555555 (exit code 1).',
    },
    {
      script: 'fix-resync-time',
      params: { source: '' },
      server: serverDocument(workgroup.hosts[1]!, workgroup.world),
      marker: 'could not resynchronise',
      message: 'w32tm could not resynchronise the clock: *no time data was available.',
    },
    {
      script: 'fix-resync-time',
      params: { source: 'ntp /update' },
      server: a,
      marker: 'is not a host name',
      message: "The time source 'ntp /update' is not a host name or IP address.",
    },
    {
      script: 'invoke-twinlockctl',
      params: { ctlPath: REMOTE_PATHS.ctlPath, verb: ['version', '--json'], input: {} },
      server: a,
      marker: 'has no verb',
      message:
        "twinlockctl has no verb 'version --json'. Verbs: version, status, links test, pair create, pair join, protect, unprotect, drill, pair remove.",
    },
    {
      script: 'invoke-twinlockctl',
      params: { ctlPath: REMOTE_PATHS.ctlPath, verb: ['status'], input: null },
      server: a,
      marker: 'needs an input object',
      message: 'twinlockctl status needs an input object ({} when the verb takes none).',
    },
    {
      script: 'restart-host',
      params: { delaySeconds: 5, reason: 'fix' },
      server: serverDocument(lab.hosts[0]!, lab.world, { faults: { shutdownExitCode: 5 } }),
      marker: 'refused to schedule',
      message: 'shutdown.exe refused to schedule the restart (exit code 5).',
    },
    {
      script: 'measure-link',
      params: { ...measure, mode: 'both' },
      server: a,
      marker: 'mode must be',
      message: "mode must be listen or send, not 'both'.",
    },
    {
      script: 'measure-link',
      params: { ...measure, adapter: 'No Such Adapter' },
      server: a,
      marker: 'has no adapter named',
      message: "This server has no adapter named 'No Such Adapter'.",
    },
    {
      script: 'set-link-address',
      params: { adapter: 'SLOT 3 Port 2', address: '172.31.250.300', prefixLength: 30 },
      server: a,
      marker: 'is not an IP address',
      message: "'172.31.250.300' is not an IP address.",
    },
    {
      script: 'set-link-address',
      params: { adapter: 'SLOT 3 Port 2', address: '172.31.250.1', prefixLength: 33 },
      server: a,
      marker: 'is not valid for',
      message: 'The prefix length 33 is not valid for 172.31.250.1 (1 to 32).',
    },
    {
      script: 'set-link-address',
      params: { adapter: 'No Such Adapter', address: '172.31.250.1', prefixLength: 30 },
      server: a,
      marker: 'no network adapter named',
      message: "There is no network adapter named 'No Such Adapter' on this server.",
    },
    {
      script: 'set-link-address',
      params: { adapter: 'SLOT 3 Port 2', address: '10.10.1.21', prefixLength: 24 },
      server: a,
      marker: 'already in use',
      message: "10.10.1.21 is already in use on this server by the adapter 'SLOT 3 Port 1'.",
    },
    // A record that is not JSON (hand-edited, say) is named, never overwritten.
    {
      script: 'set-link-address',
      params: { adapter: 'SLOT 3 Port 2', address: '172.31.250.1', prefixLength: 30 },
      server: garbled,
      marker: 'is not the record Twinlock writes',
      message: notJson,
    },
    {
      script: 'remove-link-address',
      params: { adapter: 'SLOT 3 Port 2', address: '172.31.250.1', onlyIfRecorded: true },
      server: garbled,
      marker: 'is not the record Twinlock writes',
      message: notJson,
    },
    {
      script: 'new-cluster',
      params: {
        name: 'L1-CL',
        nodes: ['TL-NODE-A', 'TL-NODE-B'],
        staticAddress: ['192.168.50.40'],
        description: '',
      },
      server: a,
      marker: 'Failover Clustering is not installed',
      message:
        'Failover Clustering is not installed on TL-NODE-A. Install the Failover-Clustering feature with its management tools first.',
    },
    {
      script: 'set-cluster-quorum',
      params: quorum,
      server: clustered,
      marker: 'There is no disk named',
      message:
        "There is no disk named 'Cluster Disk 9' in the cluster or available to it (Get-ClusterAvailableDisk). Choose a disk both servers see on shared storage.",
    },
    {
      script: 'set-cluster-quorum',
      params: { ...quorum, kind: 'bogus' },
      server: clustered,
      marker: 'is not a quorum witness kind',
      message: "'bogus' is not a quorum witness kind (file-share, disk, cloud or node-majority).",
    },
    {
      script: 'remove-cluster',
      params: { name: 'OTHER-CL' },
      server: clustered,
      marker: 'This server is a node of cluster',
      message: "This server is a node of cluster 'L1-CL', not 'OTHER-CL'. Nothing was removed.",
    },
    {
      script: 'get-link-addresses',
      params: {},
      server: garbled,
      marker: 'is not the record Twinlock writes',
      message: notJson,
    },
    {
      script: 'test-cluster-prereqs',
      params: { clusterName: 'PAIR01-CL', clusterAddress: '10.0.0', vms: [] },
      server: a,
      marker: 'is not an IPv4 address',
      message: "The cluster address '10.0.0' is not an IPv4 address such as 10.0.0.50.",
    },
    {
      script: 'test-cluster',
      params: { nodes: [], include: [] },
      server: a,
      marker: 'nodes is empty',
      message: 'nodes is empty: name the servers to validate, for example TL-NODE-A and TL-NODE-B.',
    },
    // The matched pair has no Failover Clustering yet: Test-Cluster is not there.
    {
      script: 'test-cluster',
      params: { nodes: ['TL-NODE-A', 'TL-NODE-B'], include: [] },
      server: a,
      marker: 'is not available on',
      message:
        'Test-Cluster is not available on TL-NODE-A: install the Failover Clustering feature with its management tools first.',
    },
    {
      script: 'invoke-cluster-drill',
      params: { action: 'stop-node', node: '', vm: '' },
      server: a,
      marker: 'needs the name of a cluster node',
      message: "The drill step 'stop-node' needs the name of a cluster node.",
    },
    {
      script: 'invoke-cluster-drill',
      params: { action: 'live-migrate', node: 'TL-NODE-B', vm: '' },
      server: a,
      marker: 'A live migration needs',
      message: 'A live migration needs the name of the VM to move.',
    },
    {
      script: 'invoke-cluster-drill',
      params: { action: 'reboot', node: 'TL-NODE-B', vm: '' },
      server: a,
      marker: 'is not a drill step',
      message: "'reboot' is not a drill step (stop-node, start-node, drain, resume or live-migrate).",
    },
  ].map((c) => ({
    script: c.script,
    line: lineOf(c.script, c.marker),
    stdin: buildStdin(c.params, substitutePlatform(resourceText(`scripts/${c.script}.ps1`))),
    server: c.server,
    // Pester's -BeLikeExactly: wildcard characters in the expected text are escaped except a leading *.
    message: c.message.replace(/[[\]?]/g, '`$&'),
  }));
  const run = await tier.pester(join(import.meta.dirname, 'ErrorPaths.Tests.ps1'), {
    ScriptsDir: join(RESOURCES, 'scripts'),
    Bootstrap: bootstrapText(),
    ShimPath: SHIM,
    Cases: cases,
  });
  console.log(`Pester: ${run.passed} passed, ${run.failed} failed of ${run.total}`);
  expect(run.failures).toEqual([]);
  expect(run.failed).toBe(0);
  expect(run.passed).toBe(run.total);
  // One test per throw, one per case.
  expect(run.total).toBeGreaterThanOrEqual(2 * cases.length);
});
