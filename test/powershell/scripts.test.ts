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
import { PowerShellTier, RESOURCES, ROOT, ctlAnswers, envelope } from './tier';

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

type Both = (script: string, params: Record<string, unknown>) => Promise<{ lab: any; real: any }>;

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
