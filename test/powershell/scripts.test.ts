/**
 * Every remote script, on every lab profile's servers, runs for real: the engine's bootstrap and
 * stdin in pwsh with the Windows shim answering from the same profile, under Set-StrictMode
 * Latest. The JSON it prints must equal what the lab answers for that server and those
 * parameters, and what a fix or an install asks the shim to change must be what the lab records.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REMOTE_PATHS } from '../../engine/remote/scripts';
import { UPDATES_DIR } from '../../lab/handlers/inventory';
import { POWER_PLANS } from '../../lab/handlers/inventory';
import type { LabHost } from '../../lab/host';
import { profileNames } from '../../lab/profile';
import type { FirewallRule } from '../../lab/state';
import { offlineLab } from '../unit/lab/offline';
import type { OfflineLab } from '../unit/lab/offline';
import { runBoth } from './compare';
import { PowerShellTier, RESOURCES, ROOT, ctlAnswers, envelope, serverDocument } from './tier';
import { validateCluster, validationXml } from '../../lab/cluster-validation';

const AGENT_DIR = join(RESOURCES, 'agent');
const manifest = JSON.parse(readFileSync(join(AGENT_DIR, 'agent-manifest.json'), 'utf8'));
const packageBytes = readFileSync(join(AGENT_DIR, manifest.file));
const PACKAGE_PATH = `${REMOTE_PATHS.packagesDir}\\${manifest.file}`;
const AGENT_STATE_PARAMS = {
  productName: manifest.name,
  service: manifest.service,
  ctlPath: REMOTE_PATHS.ctlPath,
  firewallGroup: REMOTE_PATHS.firewallGroup,
};

let tier: PowerShellTier;
const started = Date.now();

/**
 * The witness, for real: a TCP listener on loopback stands in for a witness host, a temporary
 * folder for a share. pwsh connects to the one and writes into the other; the lab's world holds
 * the same two, so both sides must answer alike.
 */
let witnessListener: Server;
let witnessPort = 0;
let closedPort = 0;
let shareDir = '';

beforeAll(async () => {
  tier = new PowerShellTier();
  witnessListener = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => witnessListener.listen(0, '127.0.0.1', resolve));
  witnessPort = (witnessListener.address() as AddressInfo).port;
  // A port that was free a moment ago, closed again: nothing listens there.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  shareDir = mkdtempSync(join(tmpdir(), 'twinlock-tier-share-'));
  await tier.ready;
}, 180_000);

afterAll(async () => {
  await new Promise<void>((resolve) =>
    witnessListener ? witnessListener.close(() => resolve()) : resolve(),
  );
  if (shareDir) rmSync(shareDir, { recursive: true, force: true });
  await tier?.close();
  if (!tier) return;
  const scripts = new Set(tier.runs.map((r) => r.script));
  const slowest = [...tier.runs].sort((a, b) => b.ms - a.ms)[0];
  const line =
    `PowerShell tier: ${tier.runs.length} script × profile runs (${scripts.size} scripts, ${profileNames().length} profiles) ` +
    `in ${((Date.now() - started) / 1000).toFixed(1)} s; slowest ${slowest?.script} ${slowest?.ms} ms`;
  console.log(line);
  // scripts/test-summary.mjs repeats it under the whole run's closing line.
  mkdirSync(join(ROOT, 'test-results'), { recursive: true });
  writeFileSync(join(ROOT, 'test-results', 'powershell-tier.txt'), `${line}\n`);
});

/** The firewall rules the shim ends with: its starting rules with the changes the script asked for applied. */
function shimFirewall(
  start: FirewallRule[],
  changes: Array<Record<string, any>>,
): Array<Partial<FirewallRule>> {
  let rules: Array<Partial<FirewallRule>> = start.map((r) => ({ ...r }));
  for (const c of changes) {
    if (c.command === 'Remove-NetFirewallRule') rules = rules.filter((r) => r.name !== c.name);
    if (c.command === 'New-NetFirewallRule') {
      rules.push({
        name: c.name,
        displayName: c.displayName,
        group: c.group,
        enabled: true,
        direction: c.direction,
        action: c.action,
        protocol: c.protocol,
        localPorts: (c.localPorts as string[]).map(Number),
      });
    }
  }
  return rules;
}

const byName = (a: { name?: string }, b: { name?: string }): number =>
  String(a.name).localeCompare(String(b.name));

function argvOf(changes: Array<Record<string, any>>, command: string): string[][] {
  return changes.filter((c) => c.command === command).map((c) => c.argv as string[]);
}

type Both = (
  script: string,
  params: Record<string, unknown>,
  options?: Parameters<typeof runBoth>[5],
) => Promise<Awaited<ReturnType<typeof runBoth>>>;

/** test-witness against the real listener and folder (loopback only), and against what is not there. */
async function witnessCases(lab: OfflineLab, both: Both, label: string): Promise<void> {
  Object.assign(lab.world, {
    witness: {
      hosts: [{ address: '127.0.0.1', port: witnessPort }],
      shares: [{ path: shareDir, dir: shareDir }],
    },
  });
  const base = { timeoutMs: 2000, probeId: label.replace(/[^\w-]/g, '-') };
  const reached = await both('test-witness', {
    ...base,
    kind: 'host',
    address: '127.0.0.1',
    port: witnessPort,
  });
  expect(reached.real.data, `${label}: the listener is reached`).toMatchObject({
    reached: true,
    error: null,
  });
  const refused = await both('test-witness', {
    ...base,
    kind: 'host',
    address: '127.0.0.1',
    port: closedPort,
  });
  expect(refused.real.data).toMatchObject({ reached: false, step: 'connect', error: 'Refused' });
  const written = await both('test-witness', { ...base, kind: 'file-share', address: shareDir, port: null });
  expect(written.real.data).toMatchObject({ reached: true, step: null });
  expect(written.real.data.bytes).toBeGreaterThan(0);
  expect(readdirSync(shareDir), `${label}: the probe file is deleted`).toEqual([]);
  const missing = await both('test-witness', {
    ...base,
    kind: 'file-share',
    address: join(shareDir, 'absent'),
    port: null,
  });
  expect(missing.real.data).toMatchObject({ reached: false, step: 'write', error: 'NotFound' });
}

const PROBE = /^\\\\[^\\]+\\[^\\]+\\twinlock-probe-[0-9a-f]{32}\.tmp$/;

/** A free address in the subnet of the server's business adapter (the last octet 250). */
function freeAddress(host: LabHost): string {
  const ip = host.profile.nics[0]!.ipv4[0]?.address ?? '192.168.50.21';
  return ip.replace(/\.\d+$/, '.250');
}

/**
 * Level 1's read-only scripts: test-cluster-prereqs with nothing chosen, with a free name and
 * address, with a name and an address already taken (by the lab, a prestaged object, the faults),
 * and test-cluster with and without the feature, a key logon, a node that is not there, -Include.
 */
async function clusterCases(lab: OfflineLab, host: LabHost, both: Both, label: string): Promise<void> {
  const world = lab.world;
  const peer = world.hosts.find((h) => h !== host)!;
  const vms = [...host.vms.map((v) => v.name), 'absent'];
  await both('test-cluster-prereqs', { clusterName: '', clusterAddress: '', vms: [] });
  const free = await both('test-cluster-prereqs', {
    clusterName: 'PAIR01-CL',
    clusterAddress: freeAddress(host),
    vms,
    sharePaths: ['\\\\TL-FS01\\VMs\\SQL01', 'D:\\Hyper-V\\SQL01'],
  });
  expect(free.real.data.address, `${label}: a free address on the business subnet`).toEqual({
    inUse: false,
    onLinkAdapter: host.profile.nics[0]!.name,
  });
  const probes = free.ps.changes.map((c) => [c.command, String(c.path)]);
  const reachable = (free.lab.data.storage.smbShares as Array<{ reachable: boolean }>).filter(
    (s) => s.reachable,
  );
  expect(probes.length, `${label}: one probe file written and deleted per share reached`).toBe(
    2 * reachable.length,
  );
  for (const [command, path] of probes) {
    expect(['Set-Content', 'Remove-Item']).toContain(command);
    expect(path).toMatch(PROBE);
  }

  // Taken: a server's name and address; prestaged: a disabled object; the faults of the other server.
  const taken = await both('test-cluster-prereqs', {
    clusterName: peer.name,
    clusterAddress: peer.profile.nics[0]!.ipv4[0]?.address ?? '10.0.0.1',
    vms: [],
  });
  expect(taken.real.data.address.inUse).toBe(true);
  // A workgroup server has no computer object in the directory: its name is taken only where it joined.
  if (host.profile.partOfDomain)
    expect(taken.real.data.directory.clusterObject).toBe(peer.profile.partOfDomain ? 'taken' : 'missing');
  world.clustering.directory.objects.set('pair02-cl', { name: 'PAIR02-CL', enabled: false });
  peer.faults.clusterNamesTaken = ['PAIR03-CL'];
  peer.faults.addressesInUse = [freeAddress(host)];
  try {
    for (const name of ['PAIR02-CL', 'pair03-cl']) {
      const r = await both('test-cluster-prereqs', {
        clusterName: name,
        clusterAddress: freeAddress(host),
        vms: [],
      });
      expect(r.real.data.address.inUse).toBe(true);
      if (host.profile.partOfDomain)
        expect(r.real.data.directory.clusterObject).toBe(name === 'PAIR02-CL' ? 'prestaged' : 'taken');
    }
  } finally {
    world.clustering.directory.objects.delete('pair02-cl');
    peer.faults.clusterNamesTaken = [];
    peer.faults.addressesInUse = [];
  }
  // A key logon's token carries no network credentials: the directory refuses the search.
  const keyed = await both(
    'test-cluster-prereqs',
    { clusterName: 'PAIR01-CL', clusterAddress: '', vms: [] },
    { logon: 'key' },
  );
  expect(keyed.real.data.directory.error).toBe(
    host.profile.partOfDomain ? 'An operations error occurred.' : '',
  );
  // A Cluster Shared Volume's mount point, and an address that is not one.
  mkdirSync(host.localPath('C:\\ClusterStorage\\Volume1')!, { recursive: true });
  const csv = await both('test-cluster-prereqs', { clusterName: '', clusterAddress: '', vms: [] });
  expect(csv.real.data.storage.csvPaths).toEqual(['C:\\ClusterStorage\\Volume1']);
  rmSync(host.localPath('C:\\ClusterStorage')!, { recursive: true, force: true });
  const bad = await both('test-cluster-prereqs', { clusterName: '', clusterAddress: '10.0.0', vms: [] });
  expect(bad.labExitCode).toBe(1);

  // Test-Cluster comes with the feature's tools: without them the script says so.
  const installed = host.profile.roles.failoverClustering;
  const nodes = [host.name, peer.name];
  const peerInstalled = peer.profile.roles.failoverClustering;
  try {
    host.profile.roles.failoverClustering = false;
    expect((await both('test-cluster', { nodes, include: [] })).labExitCode).toBe(1);
    host.profile.roles.failoverClustering = true;
    peer.profile.roles.failoverClustering = true;
    const all = await both('test-cluster', { nodes, include: [] });
    expect(all.real.ok, `${label}: Test-Cluster ran`).toBe(true);
    expect(all.ps.changes).toEqual([
      expect.objectContaining({ command: 'New-Item', path: 'C:\\ProgramData\\Twinlock\\reports' }),
      expect.objectContaining({ command: 'Test-Cluster', node: nodes, include: [] }),
    ]);
    const some = await both('test-cluster', {
      nodes: [`${peer.name}.${peer.profile.domain}`.toLowerCase(), host.name],
      include: ['Storage', 'Validate Active Directory Configuration'],
    });
    expect(some.real.data.categories.map((c: { name: string }) => c.name)).toEqual([
      'Storage',
      'System Configuration',
    ]);
    const key = await both('test-cluster', { nodes, include: [] }, { logon: 'key' });
    expect(key.real.error?.message).toBe(
      `You do not have administrative privileges on the server '${peer.name}'.`,
    );
    expect((await both('test-cluster', { nodes: [host.name], include: [] }, { logon: 'key' })).real.ok).toBe(
      true,
    );
    const absent = await both('test-cluster', { nodes: [host.name, 'TL-NOWHERE'], include: [] });
    expect(absent.real.error?.category).toBe('ConnectionError');
    // A node that refuses connections (off, say) is not reached either.
    peer.faults.refuseConnections = true;
    try {
      const off = await both('test-cluster', { nodes, include: [] });
      expect(off.real.error?.message).toMatch(new RegExp(`^Unable to connect to ${peer.name} via WMI\\.`));
    } finally {
      peer.faults.refuseConnections = false;
    }
    expect((await both('test-cluster', { nodes: [], include: [] })).labExitCode).toBe(1);

    // The results file the shim's Test-Cluster writes is the lab's, to the letter (but its start time).
    const xmlCheck = [
      '# Twinlock remote script: test-cluster',
      '# Version: 1',
      '# Purpose: reads back the results file Test-Cluster writes.',
      'param($P)',
      "$null = New-Item -ItemType Directory -Path 'C:\\ProgramData\\Twinlock\\reports' -Force",
      "$null = Test-Cluster -Node $P.nodes -ReportName 'C:\\ProgramData\\Twinlock\\reports\\check'",
      '(Get-Content -LiteralPath \'C:\\ProgramData\\Twinlock\\reports\\check.xml\' -Encoding UTF8) -join "`r`n"',
      '',
    ].join('\n');
    const xml = await tier.run({
      script: 'test-cluster',
      label: `${label} results file`,
      params: { nodes },
      server: serverDocument(host, world),
      scriptText: xmlCheck,
    });
    const start = / StartTime="[^"]*"/;
    expect(`${String(envelope(xml.stdout).data).replace(start, '')}\r\n`).toBe(
      validationXml(validateCluster([host, peer]), nodes, 'x').replace(start, ''),
    );
  } finally {
    host.profile.roles.failoverClustering = installed;
    peer.profile.roles.failoverClustering = peerInstalled;
  }
}

async function walkServer(lab: OfflineLab, host: LabHost, profile: string): Promise<void> {
  const world = lab.world;
  const label = `${profile}/${host.name}`;
  const both = async (
    script: string,
    params: Record<string, unknown>,
    options: Parameters<typeof runBoth>[5] = {},
  ) => {
    const r = await runBoth(tier, world, host, script, params, { label, ...options });
    expect(
      r.real,
      `${label} ${script}: PowerShell printed ${r.ps.stdout.slice(0, 400)} ${r.ps.stderr.slice(0, 800)}`,
    ).toEqual(r.lab);
    expect(r.ps.exitCode, `${label} ${script} exit code`).toBe(r.labExitCode);
    return r;
  };

  await both('get-identity', {});
  await both('get-inventory', {});
  // Where the role is absent the shim's pwsh still finds a Get-VM defined for an earlier server,
  // so that answer (hyperV false) is compared on Hyper-V hosts only.
  if (host.profile.roles.hyperV)
    await both('get-vm-state', { names: [...host.vms.map((v) => v.name), 'absent', '*'] });
  await witnessCases(lab, both, label);
  await clusterCases(lab, host, both, label);
  await both('get-agent-state', AGENT_STATE_PARAMS);
  await both('test-agent-package', { path: PACKAGE_PATH, trustedThumbprint: manifest.signer.thumbprint });

  host.writeFile(PACKAGE_PATH, packageBytes);
  // The pinned publisher (PowerShell's -eq ignores case), none, and another one.
  for (const [pin, trusted] of [
    [manifest.signer.thumbprint, true],
    [manifest.signer.thumbprint.toLowerCase(), true],
    ['', false],
    ['0'.repeat(40), false],
  ] as const) {
    const check = await both('test-agent-package', { path: PACKAGE_PATH, trustedThumbprint: pin });
    expect(check.real.data.signerTrusted, `${label}: signerTrusted with pin ${JSON.stringify(pin)}`).toBe(
      trusted,
    );
  }

  // msiexec is Windows Installer's program, not the script: the shim's msiexec returns the exit
  // code the lab's Windows Installer gave and writes the log it wrote; the script does the rest.
  const logPath = `${REMOTE_PATHS.logsDir}\\install-${host.name}.log`;
  const install = await both(
    'install-agent',
    { path: PACKAGE_PATH, logPath, arguments: manifest.installArgs },
    {
      shimFaultsFromLab: (out) => ({
        msiexec: {
          exitCode: envelope(out).data.exitCode,
          log: host.fileExists(logPath) ? host.readFile(logPath).toString('base64') : null,
        },
      }),
    },
  );
  expect(argvOf(install.ps.changes, 'msiexec.exe')).toEqual([
    ['/i', PACKAGE_PATH, '/qn', '/norestart', '/l*v', logPath, ...manifest.installArgs],
  ]);
  expect(
    host.products.has(manifest.productCode),
    `${label}: the lab installed what msiexec was asked to install`,
  ).toBe(install.lab.data.exitCode === 0);

  // The verbs that change nothing on the agent: `<verb words> --input -` and one JSON document on stdin.
  const reads = [
    { verb: ['version'], input: {} },
    { verb: ['status'], input: {} },
  ];
  const ctl = await ctlAnswers(
    host,
    world,
    reads.map((c) => ({ argv: [...c.verb, '--input', '-'], input: c.input })),
  );
  const state = await both('get-agent-state', AGENT_STATE_PARAMS, { ctl });
  expect(state.ps.changes).toEqual(
    host.agent ? [{ command: 'twinlockctl.exe', argv: ['version', '--input', '-'], stdin: '{}' }] : [],
  );
  for (const c of reads) {
    const r = await both(
      'invoke-twinlockctl',
      { ctlPath: REMOTE_PATHS.ctlPath, verb: c.verb, input: c.input },
      { ctl },
    );
    if (host.agent)
      expect(r.ps.changes).toEqual([
        { command: 'twinlockctl.exe', argv: [...c.verb, '--input', '-'], stdin: '{}' },
      ]);
  }
  await both('get-inventory', {});

  // Fixes: the changes the script asks for are the ones the lab records.
  const rulesBefore = host.firewallRules.map((r) => ({ ...r }));
  const ports = await both('fix-open-firewall-ports', {
    group: REMOTE_PATHS.firewallGroup,
    ports: [7440, 7441, 7442],
  });
  expect(shimFirewall(rulesBefore, ports.ps.changes).sort(byName)).toEqual(
    [...host.firewallRules].sort(byName),
  );

  for (const guid of [POWER_PLANS['High performance']!, POWER_PLANS.Balanced!.toUpperCase()]) {
    const plan = await both('fix-power-plan', { guid });
    expect(argvOf(plan.ps.changes, 'powercfg.exe')).toEqual([['/setactive', guid]]);
    expect(POWER_PLANS[host.profile.powerPlan]).toBe(guid.toLowerCase());
  }

  const skewBefore = host.faults.clockSkewSeconds;
  const time = await both('fix-resync-time', { source: '' });
  expect(argvOf(time.ps.changes, 'w32tm.exe')).toEqual([
    ['/config', '/syncfromflags:domhier', '/update'],
    ['/resync', '/force'],
  ]);
  expect(host.faults.clockSkewSeconds).toBe(time.lab.ok ? 0 : skewBefore);
  const peer = world.hosts.find((h) => h !== host)!;
  const peerTime = await both('fix-resync-time', { source: peer.name });
  expect(argvOf(peerTime.ps.changes, 'w32tm.exe')).toEqual([
    ['/config', `/manualpeerlist:${peer.name}`, '/syncfromflags:manual', '/update'],
    ['/resync', '/force'],
  ]);

  const bootChanges = host.onNextBoot.length;
  const feature = await both('fix-install-feature', { name: 'Hyper-V' });
  const asked = feature.ps.changes.filter((c) => c.command === 'Install-WindowsFeature');
  expect(asked).toEqual(
    feature.lab.data?.restartNeeded === 'Yes'
      ? [{ command: 'Install-WindowsFeature', name: ['Hyper-V'], includeManagementTools: true }]
      : [],
  );
  expect(host.onNextBoot.length - bootChanges).toBe(asked.length);

  const staged = host.profile.stagedUpdates.map((f) => `${UPDATES_DIR}\\${f}`);
  const hotfix = await both('fix-install-hotfix', { paths: staged });
  expect(argvOf(hotfix.ps.changes, 'wusa.exe')).toEqual(staged.map((p) => [p, '/quiet', '/norestart']));

  const uninstallLog = `${REMOTE_PATHS.logsDir}\\uninstall-${host.name}.log`;
  const uninstall = await both(
    'uninstall-agent',
    { productCode: manifest.productCode, logPath: uninstallLog },
    {
      shimFaultsFromLab: (out) => ({
        msiexec: {
          exitCode: envelope(out).data.exitCode,
          log: host.fileExists(uninstallLog) ? host.readFile(uninstallLog).toString('base64') : null,
        },
      }),
    },
  );
  expect(argvOf(uninstall.ps.changes, 'msiexec.exe')).toEqual([
    ['/x', manifest.productCode, '/qn', '/norestart', '/l*v', uninstallLog],
  ]);
  expect(host.products.has(manifest.productCode)).toBe(false);

  const rulesLeft = host.firewallRules
    .filter((r) => r.group === REMOTE_PATHS.firewallGroup)
    .map((r) => r.name)
    .sort();
  const remove = await both('remove-agent-package', {
    paths: [PACKAGE_PATH, `${REMOTE_PATHS.packagesDir}\\absent.msi`],
    firewallGroup: REMOTE_PATHS.firewallGroup,
  });
  expect(remove.ps.changes.filter((c) => c.command === 'Remove-Item').map((c) => c.path)).toEqual([
    PACKAGE_PATH,
  ]);
  expect(
    remove.ps.changes
      .filter((c) => c.command === 'Remove-NetFirewallRule')
      .map((c) => c.name)
      .sort(),
  ).toEqual(rulesLeft);
  expect(host.fileExists(PACKAGE_PATH)).toBe(false);

  // Sync-link addresses: set on a spare adapter once (then reported), refused where they cannot go; removed, then nothing to do.
  // Each address added is recorded in C:\ProgramData\Twinlock\link-addresses.json, and only those: both write the same record.
  const RECORD = REMOTE_PATHS.linkAddressRecord;
  const recordOf = (text: string | null) =>
    text === null
      ? null
      : (JSON.parse(text.replace(/^\uFEFF/, '')) as { addresses: Record<string, unknown>[] });
  /** Both records, equal once the time each was written is set aside (the lab's clock runs fast). */
  const sameRecord = (r: { files: Record<string, { lab: string | null; ps: string | null }> }) => {
    const { lab, ps } = r.files[RECORD]!;
    expect(lab?.startsWith('\uFEFF'), 'Set-Content -Encoding UTF8 writes a byte-order mark').toBe(
      ps?.startsWith('\uFEFF'),
    );
    const strip = (doc: ReturnType<typeof recordOf>) =>
      doc === null
        ? null
        : doc.addresses.map(({ addedAt, ...rest }) => {
            expect(String(addedAt)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
            return rest;
          });
    expect(strip(recordOf(ps)), `${label} the record pwsh wrote`).toEqual(strip(recordOf(lab)));
    return strip(recordOf(lab));
  };
  const spare = host.profile.nics[host.profile.nics.length - 1]!.name;
  const business = host.profile.nics[0]!.name;
  const link = { adapter: spare, address: '172.31.250.1' };
  const empty = await both('get-link-addresses', {});
  expect(empty.lab.data).toEqual({ path: RECORD, exists: false, addresses: [] });
  const set = await both('set-link-address', { ...link, prefixLength: 30 }, { files: [RECORD] });
  expect(set.ps.changes.filter((c) => c.command === 'New-NetIPAddress')).toEqual([
    expect.objectContaining({
      interfaceAlias: spare,
      ipAddress: '172.31.250.1',
      prefixLength: 30,
      addressFamily: 'IPv4',
    }),
  ]);
  expect(set.ps.changes.map((c) => c.command)).toEqual(
    expect.arrayContaining(['New-NetIPAddress', 'Set-Content', 'Move-Item']),
  );
  expect(sameRecord(set)).toEqual([{ adapter: spare, address: '172.31.250.1', prefixLength: 30 }]);
  expect(host.profile.nics.at(-1)!.ipv4).toContainEqual({ address: '172.31.250.1', prefixLength: 30 });
  const read = await both('get-link-addresses', {});
  expect(read.lab.data).toMatchObject({
    exists: true,
    addresses: [{ adapter: spare, address: '172.31.250.1', prefixLength: 30 }],
  });
  const again = await both('set-link-address', { ...link, prefixLength: 30 }, { files: [RECORD] });
  expect(again.lab.data).toMatchObject({ added: false, alreadyPresent: true, prefixLength: 30 });
  expect(again.ps.changes).toEqual([]);
  for (const refused of [
    // On another adapter (where there is one): refused, the address is this adapter's.
    ...(business !== spare ? [{ adapter: business, address: '172.31.250.1', prefixLength: 30 }] : []),
    { adapter: 'No Such Adapter', address: '172.31.250.9', prefixLength: 30 },
    { adapter: spare, address: '172.31.250.300', prefixLength: 30 },
    { adapter: spare, address: '172.31.250.9', prefixLength: 33 },
  ]) {
    const r = await both('set-link-address', refused);
    expect(r.labExitCode, JSON.stringify(refused)).toBe(1);
    expect(r.ps.changes).toEqual([]);
  }
  // An address the profile gave (the admin set it) is not Twinlock's: with onlyIfRecorded it stays.
  const own = host.profile.nics.find((n) => n.ipv4.length > 0)!;
  const theirs = { adapter: own.name, address: own.ipv4[0]!.address, onlyIfRecorded: true };
  const kept = await both('remove-link-address', theirs, { files: [RECORD] });
  expect(kept.lab.data).toEqual({
    adapter: own.name,
    address: theirs.address,
    removed: false,
    recorded: false,
    reason: 'not-added-by-twinlock',
  });
  expect(kept.ps.changes).toEqual([]);
  expect(own.ipv4.map((ip) => ip.address)).toContain(theirs.address);
  const removed = await both('remove-link-address', { ...link, onlyIfRecorded: true }, { files: [RECORD] });
  expect(removed.lab.data).toEqual({ ...link, removed: true, recorded: true, reason: null });
  expect(removed.ps.changes.filter((c) => c.command === 'Remove-NetIPAddress')).toEqual([
    expect.objectContaining({
      command: 'Remove-NetIPAddress',
      interfaceAlias: spare,
      ipAddress: '172.31.250.1',
    }),
  ]);
  expect(sameRecord(removed)).toEqual([]);
  expect(host.profile.nics.at(-1)!.ipv4).not.toContainEqual(
    expect.objectContaining({ address: '172.31.250.1' }),
  );
  const nothing = await both('remove-link-address', link);
  expect(nothing.lab.data).toMatchObject({ removed: false, recorded: false, reason: 'not-present' });
  expect(nothing.ps.changes).toEqual([]);
  // The record read back after the last removal: there, and empty.
  const emptied = await both('get-link-addresses', {});
  expect(emptied.lab.data).toEqual({ path: RECORD, exists: true, addresses: [] });

  const restarts = host.restartsRequested;
  const restart = await both('restart-host', { delaySeconds: 30, reason: 'fix' });
  expect(argvOf(restart.ps.changes, 'shutdown.exe')).toEqual([
    ['/r', '/t', '30', '/d', 'p:2:17', '/c', 'Twinlock: restart to finish a fix'],
  ]);
  expect(host.restartsRequested).toBe(restarts + 1);

  await clusterFeatureCases(host, both);
}

/**
 * Failover Clustering enabled, enabled again (nothing to do), removed (until the restart it asks
 * for), removed again: each time Windows is asked to change only what the lab changes.
 */
async function clusterFeatureCases(
  host: LabHost,
  both: (
    script: string,
    params: Record<string, unknown>,
  ) => Promise<{ lab: any; ps: { changes: Array<Record<string, any>> } }>,
): Promise<void> {
  const asked = (changes: Array<Record<string, any>>, verb: string) =>
    changes.filter((c) => c.command === `${verb}-WindowsFeature`);
  const change = (verb: string) => [
    { command: `${verb}-WindowsFeature`, name: ['Failover-Clustering'], includeManagementTools: true },
  ];
  const installed = host.profile.roles.failoverClustering;
  const install = await both('install-cluster-feature', {});
  const added = (install.lab.data?.features ?? []).length > 0;
  expect(asked(install.ps.changes, 'Install')).toEqual(added ? change('Install') : []);
  if (install.lab.ok) {
    expect(added).toBe(!installed);
    expect(host.profile.roles.failoverClustering || host.clusterFeaturePending === 'install').toBe(true);
  }
  const again = await both('install-cluster-feature', {});
  expect(asked(again.ps.changes, 'Install')).toEqual([]);
  if (again.lab.ok) expect(again.lab.data.exitCode).toBe('NoChangeNeeded');
  await both('get-inventory', {});

  const remove = await both('uninstall-cluster-feature', {});
  const removed = (remove.lab.data?.features ?? []).length > 0;
  expect(asked(remove.ps.changes, 'Uninstall')).toEqual(removed ? change('Uninstall') : []);
  if (remove.lab.ok && host.clusterFeaturePending === 'uninstall') {
    expect(remove.lab.data).toMatchObject({ restartNeeded: 'Yes', exitCode: 'SuccessRestartRequired' });
    // Windows finishes the removal at the restart: until then the feature shows as installed.
    expect(host.profile.roles.failoverClustering).toBe(true);
  }
  const removeAgain = await both('uninstall-cluster-feature', {});
  expect(asked(removeAgain.ps.changes, 'Uninstall')).toEqual([]);
  await both('get-inventory', {});
}

describe('every script on every lab profile: pwsh with the Windows shim answers as the lab does', () => {
  for (const profile of profileNames()) {
    it(
      profile,
      async () => {
        const lab = offlineLab(profile);
        try {
          for (const host of lab.hosts) await walkServer(lab, host, profile);
        } finally {
          lab.dispose();
        }
      },
      180_000,
    );
  }

  it('measure-link (a sender nothing answers; test/powershell/measure-link.test.ts runs both ends)', async () => {
    const lab = offlineLab('matched-pair');
    try {
      const host = lab.hosts[1]!;
      const params = {
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
      const r = await runBoth(tier, lab.world, host, 'measure-link', params);
      expect(r.real.ok, r.ps.stdout + r.ps.stderr).toBe(true);
      expect(r.real.data.reached).toBe(false);
      expect(r.lab.data.reached).toBe(false);
      expect(Object.keys(r.real.data)).toEqual(Object.keys(r.lab.data));
    } finally {
      lab.dispose();
    }
  }, 60_000);

  it('invoke-cluster-drill (a two-node cluster: live migration, drain and resume, a node stopped and started, the impossible refused)', async () => {
    // 60×: a live migration's pause is a few real milliseconds, a failover's 40 lab seconds most of a second.
    const lab = offlineLab('matched-pair', 60);
    try {
      const [a, b] = lab.hosts as [LabHost, LabHost];
      lab.world.clustering.clusters.push({
        name: 'PAIR01-CL',
        addresses: ['192.168.50.50'],
        description: 'twinlock pair=PAIR01; level=1',
        domain: 'contoso.local',
        nodes: [
          { name: a.name, state: 'Up' },
          { name: b.name, state: 'Up' },
        ],
        quorumType: 'NodeAndFileShareMajority',
        witness: { kind: 'file-share', address: '\\\\TL-WITNESS\\twinlock-witness', state: 'Online' },
        roles: ['SQL01', 'APP01'].map((vm) => ({
          name: vm,
          vm,
          ownerNode: a.name,
          state: 'Online' as const,
        })),
        networks: [],
      });
      const step = async (on: LabHost, action: string, node: string, vm = '') => {
        const r = await runBoth(tier, lab.world, on, 'invoke-cluster-drill', { action, node, vm });
        expect(
          r.real,
          `${on.name} ${action} ${node} ${vm}: PowerShell printed ${r.ps.stdout.slice(0, 400)} ${r.ps.stderr.slice(0, 800)}`,
        ).toEqual(r.lab);
        expect(r.ps.exitCode).toBe(r.labExitCode);
        return r;
      };
      const owners = (r: { lab: any }) =>
        r.lab.data.roles.map((x: any) => `${x.vm}@${x.ownerNode}:${x.state}`);

      const migrated = await step(a, 'live-migrate', b.name, 'SQL01');
      expect(migrated.ps.changes).toEqual([
        { command: 'Move-ClusterVirtualMachineRole', name: 'SQL01', node: b.name, migrationType: 'Live' },
      ]);
      expect(owners(migrated)).toEqual([`SQL01@${b.name}:Online`, `APP01@${a.name}:Online`]);

      const drained = await step(b, 'drain', a.name);
      expect(drained.ps.changes).toEqual([
        { command: 'Suspend-ClusterNode', name: a.name, drain: true, wait: true },
      ]);
      expect(drained.lab.data.nodes).toEqual([
        { name: a.name, state: 'Paused' },
        { name: b.name, state: 'Up' },
      ]);
      expect(owners(drained)).toEqual([`SQL01@${b.name}:Online`, `APP01@${b.name}:Online`]);
      // A paused node takes no role: Windows' error, nothing asked for.
      const refused = await step(b, 'live-migrate', a.name, 'SQL01');
      expect(refused.lab.error.message).toContain('A cluster node is not available for this operation.');
      expect(refused.ps.changes).toEqual([]);

      const resumed = await step(b, 'resume', a.name);
      expect(resumed.ps.changes).toEqual([
        { command: 'Resume-ClusterNode', name: a.name, failback: 'Immediate' },
      ]);
      expect(owners(resumed)).toEqual([`SQL01@${b.name}:Online`, `APP01@${a.name}:Online`]);

      const stopped = await step(b, 'stop-node', a.name);
      expect(stopped.ps.changes).toEqual([{ command: 'Stop-ClusterNode', name: a.name }]);
      expect(owners(stopped)).toEqual([`SQL01@${b.name}:Online`, `APP01@${b.name}:Pending`]);
      // The last node that is up, a server whose cluster service is stopped, an unknown role and step.
      for (const [on, action, node, vm] of [
        [b, 'stop-node', b.name, ''],
        [a, 'live-migrate', b.name, 'APP01'],
        [b, 'live-migrate', b.name, 'NOPE01'],
        [b, 'start-node', 'TL-NODE-Z', ''],
        [b, 'reboot', a.name, ''],
      ] as const) {
        const r = await step(on, action, node, vm);
        expect(r.labExitCode, `${action} ${node} ${vm}`).toBe(1);
        expect(r.ps.changes).toEqual([]);
      }
      const started = await step(b, 'start-node', a.name);
      expect(started.ps.changes).toEqual([{ command: 'Start-ClusterNode', name: a.name }]);
      expect(started.lab.data.nodes).toEqual([
        { name: a.name, state: 'Up' },
        { name: b.name, state: 'Up' },
      ]);
    } finally {
      lab.dispose();
    }
  }, 120_000);

  it('the cluster scripts on matched-pair: the cluster made, its witness, its VM roles, and taken apart', async () => {
    const lab = offlineLab('matched-pair');
    try {
      const [a, b] = [lab.hosts[0]!, lab.hosts[1]!];
      for (const h of [a, b]) h.profile.roles.failoverClustering = true;
      // The roles come online on the lab clock, moved here by hand.
      lab.world.clock.pause();
      const share = '\\\\TL-WITNESS\\twinlock-witness';
      Object.assign(lab.world, { witness: { hosts: [], shares: [{ path: share, dir: shareDir }] } });
      const both = async (host: LabHost, script: string, params: Record<string, unknown>) => {
        const r = await runBoth(tier, lab.world, host, script, params, { label: `cluster/${host.name}` });
        expect(
          r.real,
          `${script}: PowerShell printed ${r.ps.stdout.slice(0, 600)} ${r.ps.stderr.slice(0, 800)}`,
        ).toEqual(r.lab);
        expect(r.ps.exitCode, `${script} exit code`).toBe(r.labExitCode);
        return r;
      };
      const commands = (r: { ps: { changes: Array<{ command: string }> } }) =>
        r.ps.changes.map((c) => c.command);
      const none = await both(a, 'get-cluster-state', {});
      expect(none.lab.data).toEqual({ featureInstalled: true, toolsInstalled: true, cluster: null });
      // Nothing to do where there is no cluster.
      expect((await both(a, 'remove-cluster', { name: 'L1-CL' })).lab.data).toEqual({
        removed: false,
        computerObjectRemoved: false,
      });
      const make = {
        name: 'L1-CL',
        nodes: ['TL-NODE-A', 'TL-NODE-B'],
        staticAddress: ['192.168.50.40'],
        description: 'twinlock pair=P; level=1',
      };
      // Refused as Windows refuses: a name another computer holds, an address in use, an address on no network.
      a.faults.clusterNamesTaken = ['L1-CL'];
      const taken = await both(a, 'new-cluster', make);
      a.faults.clusterNamesTaken = [];
      expect(taken.lab.error.message).toMatch(/already in use on the network/);
      expect(commands(taken)).toEqual([]);
      lab.world.clustering.directory.addressesInUse.add('192.168.50.40');
      const inUse = await both(a, 'new-cluster', make);
      lab.world.clustering.directory.addressesInUse.clear();
      expect(inUse.lab.error.message).toMatch(/Static address '192.168.50.40' is already in use/);
      expect((await both(a, 'new-cluster', { ...make, staticAddress: ['10.99.0.1'] })).lab.ok).toBe(false);
      b.profile.roles.failoverClustering = false;
      expect((await both(a, 'new-cluster', make)).lab.error.message).toMatch(
        /'TL-NODE-B' does not have the Failover Clustering feature/,
      );
      b.profile.roles.failoverClustering = true;
      const made = await both(a, 'new-cluster', make);
      expect(commands(made)).toEqual(['New-Cluster', 'Set-ClusterDescription']);
      expect(made.ps.changes[0]).toMatchObject({
        name: 'L1-CL',
        node: ['TL-NODE-A', 'TL-NODE-B'],
        staticAddress: ['192.168.50.40'],
        noStorage: true,
        administrativeAccessPoint: '',
      });
      expect(made.lab.data).toMatchObject({ name: 'L1-CL', addresses: ['192.168.50.40'] });
      const state = await both(b, 'get-cluster-state', {});
      expect(
        state.lab.data.cluster.networks.map((n: { address: string; role: number }) => [n.address, n.role]),
      ).toContainEqual(['192.168.50.0', 3]);
      // The witness: a share that is not there, one a node may not write, then the share; a disk; the cloud; none.
      const quorum = { kind: 'file-share', path: share, disk: '', accountName: '', accessKey: '' };
      expect(
        (await both(a, 'set-cluster-quorum', { ...quorum, path: '\\\\TL-WITNESS\\absent' })).lab.error
          .message,
      ).toMatch(/network name cannot be found/);
      b.faults.witnessShareReadOnly = true;
      expect((await both(a, 'set-cluster-quorum', quorum)).lab.error.message).toMatch(/Access is denied/);
      b.faults.witnessShareReadOnly = false;
      const shared = await both(a, 'set-cluster-quorum', quorum);
      expect(shared.lab.data).toEqual({
        type: 'NodeAndFileShareMajority',
        witness: { kind: 'file-share', address: share, state: 'Online' },
      });
      const disk = await both(a, 'set-cluster-quorum', {
        ...quorum,
        kind: 'disk',
        path: '',
        disk: 'Cluster Disk 1',
      });
      expect(commands(disk)).toEqual(['Add-ClusterDisk', 'Set-ClusterQuorum']);
      expect(
        commands(
          await both(a, 'set-cluster-quorum', { ...quorum, kind: 'disk', path: '', disk: 'Cluster Disk 1' }),
        ),
      ).toEqual(['Set-ClusterQuorum']);
      const cloud = await both(a, 'set-cluster-quorum', {
        ...quorum,
        kind: 'cloud',
        path: '',
        accountName: 'contosowitness',
        accessKey: 'S3cr3t==',
      });
      expect(JSON.stringify(cloud.ps.changes)).not.toContain('S3cr3t==');
      expect(JSON.stringify(cloud.lab.data)).not.toContain('S3cr3t==');
      await both(a, 'set-cluster-quorum', { ...quorum, kind: 'node-majority', path: '' });
      await both(a, 'set-cluster-quorum', quorum);
      // VM roles: added once, coming online on the lab clock.
      const role = await both(a, 'add-cluster-vm-role', { vm: 'SQL01' });
      expect(role.lab.data).toEqual({ name: 'SQL01', vm: 'SQL01', ownerNode: 'TL-NODE-A', state: 'Pending' });
      expect(commands(await both(a, 'add-cluster-vm-role', { vm: 'SQL01' }))).toEqual([]);
      expect((await both(a, 'add-cluster-vm-role', { vm: 'NOPE' })).lab.ok).toBe(false);
      const waiting = await both(a, 'wait-cluster-roles', { vms: ['SQL01', 'APP01'], timeoutSeconds: 0 });
      expect(waiting.lab.data).toMatchObject({ settled: false, missing: ['APP01'] });
      await lab.world.clock.advance(lab.world.clustering.timings.onlineSeconds);
      const online = await both(b, 'wait-cluster-roles', { vms: ['SQL01'], timeoutSeconds: 0 });
      expect(online.lab.data).toEqual({
        settled: true,
        roles: [{ name: 'SQL01', vm: 'SQL01', ownerNode: 'TL-NODE-A', state: 'Online' }],
        missing: [],
      });
      await both(b, 'get-cluster-state', {});
      // Taken apart: the role, then the cluster and its computer object.
      expect(commands(await both(a, 'remove-cluster-vm-role', { vm: 'SQL01' }))).toEqual([
        'Remove-ClusterGroup',
      ]);
      expect((await both(a, 'remove-cluster-vm-role', { vm: 'SQL01' })).lab.data).toEqual({ removed: false });
      expect((await both(a, 'remove-cluster', { name: 'OTHER-CL' })).lab.ok).toBe(false);
      const removed = await both(a, 'remove-cluster', { name: 'L1-CL' });
      expect(removed.lab.data).toEqual({ removed: true, computerObjectRemoved: true });
      expect(removed.ps.changes).toEqual([
        { command: 'Remove-Cluster', name: 'L1-CL', force: true, cleanupAD: true },
      ]);
      expect(lab.world.clustering.clusters).toEqual([]);
      expect(lab.world.clustering.directory.objects.has('l1-cl')).toBe(false);
    } finally {
      lab.dispose();
    }
  }, 180_000);

  it('ran every script in resources/scripts', () => {
    const scripts = readdirSync(join(RESOURCES, 'scripts'))
      .filter((f) => f.endsWith('.ps1'))
      .map((f) => f.replace(/\.ps1$/, ''));
    const ran = new Set(tier.runs.map((r) => r.script));
    expect(
      scripts.filter((s) => !ran.has(s)),
      'scripts with no run in the PowerShell tier',
    ).toEqual([]);
  });
});
