/**
 * `twinlock verify --level 1` against the lab: Level 1's cluster rules and Windows' Test-Cluster
 * per category and test; the different-domains, unshared-storage and key-only-logon profiles each
 * end blocked, with a one-sentence reason and the fix; bad cluster flags are named.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import type { Finding, VerifyReport } from '../../../engine/api';
import { CLUSTER_NAME_MESSAGE } from '../../../engine/api/models';
import { newHostKey } from '../../../lab/host-key';
import type { Lab } from '../../../lab/index';
import { startLab } from '../../../lab/index';
import { runTwinlock } from './twinlock';

let home: string;
let lab: Lab | null = null;

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'twinlock-cli-verify-l1-'));
});

afterEach(async () => {
  await lab?.close();
  lab = null;
});

afterAll(() => {
  if (home) rmSync(home, { recursive: true, force: true });
});

/** A lab of `profile`; `feature`: Failover Clustering already enabled on both, as the Install step leaves it. */
async function open(profile: string, options: { feature?: boolean; authorizedKeys?: string[] } = {}) {
  lab = await startLab({
    profile,
    latencyMs: 1,
    ...(options.authorizedKeys ? { authorizedKeys: options.authorizedKeys } : {}),
  });
  if (options.feature !== false)
    for (const h of lab.hosts) lab.host(h.name).profile.roles.failoverClustering = true;
  return lab;
}

const targets = (l: Lab) => l.hosts.map((h) => `${h.address}:${h.port}`);
const verify = (l: Lab, args: string[] = [], env: Record<string, string> = {}) =>
  runTwinlock(['verify', ...targets(l), '--level', '1', '--trust-new', ...args], {
    TWINLOCK_HOME: home,
    TWINLOCK_PASSWORD: l.hosts[0]!.password,
    ...env,
  });

const blockers = (r: VerifyReport) => r.findings.filter((f) => f.severity === 'blocker');

/** One sentence: a single full stop, at the end, outside Windows' quoted text and paths. */
function expectOneSentence(text: string): void {
  const bare = text.replace(/“[^”]*”/g, '“…”').replace(/\b[A-Z]:\\\S*/g, 'PATH');
  expect(bare, text).toMatch(/\.$/);
  expect(bare.slice(0, -1), text).not.toMatch(/[.!?]\s+[A-Z]/);
}

function expectBlocker(f: Finding | undefined, reason: RegExp, remedy: RegExp): void {
  expect(f, 'the blocker').toBeDefined();
  expect(f!.category).toBe('Cluster');
  expectOneSentence(f!.reason);
  expect(f!.reason).toMatch(reason);
  expect(f!.remedy).toMatch(remedy);
}

describe('twinlock verify --level 1', () => {
  it('is ready on the matched pair and lists Test-Cluster per category and test', async () => {
    const l = await open('matched-pair');
    const text = await verify(l);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^Ready for Level 1\n/);
    for (const title of [
      'Failover Clustering available',
      'Storage both servers reach',
      'Logon for the cluster',
    ])
      expect(text.stdout).toMatch(new RegExp(`pass {4}${title}`));
    expect(text.stdout).toContain('Windows’ Test-Cluster on TL-NODE-A and TL-NODE-B: passed');
    expect(text.stdout).toContain('\n  System Configuration: passed\n');
    expect(text.stdout).toContain('    passed  Validate Active Directory Configuration');
    expect(text.stdout).toContain(
      'No cluster name or address given: they are checked when the pair’s cluster is chosen',
    );

    const json = await verify(l, ['--json']);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout.trim()) as VerifyReport;
    expect(report).toMatchObject({ level: 1, outcome: 'ready', blockersByLevel: [0, 0, 0], cluster: null });
    expect(report.clusterValidation?.categories.map((c) => c.name)).toEqual([
      'Inventory',
      'Network',
      'Storage',
      'System Configuration',
      'Hyper-V Configuration',
    ]);
    expect(report.clusterValidation?.nodes).toEqual(['TL-NODE-A', 'TL-NODE-B']);
    expect(report.clusterPrereqs?.map((p) => p.computerName)).toEqual(['TL-NODE-A', 'TL-NODE-B']);
    expect(report.findings.filter((f) => f.category === 'Cluster').map((f) => f.ruleId)).toEqual([
      'cluster.feature',
      'cluster.domain',
      'cluster.computer-object',
      'cluster.storage',
      'cluster.address',
      'cluster.name',
      'cluster.logon',
      'cluster.validation',
    ]);
    // Test-Cluster wrote its report on the first server.
    expect(l.host('TL-NODE-A').readFile(report.clusterValidation!.reportPath).toString()).toContain(
      'Validate',
    );
  });

  it('checks the cluster name and address it is given, and says what is wrong with them', async () => {
    const l = await open('matched-pair');
    const ok = await verify(l, [
      '--cluster-name',
      'PAIR01-CL',
      '--cluster-address',
      '192.168.50.50',
      '--json',
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    const good = JSON.parse(ok.stdout.trim()) as VerifyReport;
    expect(good.cluster).toEqual({ name: 'PAIR01-CL', address: '192.168.50.50' });
    expect(good.findings.find((f) => f.ruleId === 'cluster.address')?.reason).toBe(
      '192.168.50.50 is free and on the business network of both servers.',
    );

    l.host('TL-NODE-B').faults.addressesInUse = ['192.168.50.50'];
    l.host('TL-NODE-B').faults.clusterNamesTaken = ['PAIR01-CL'];
    const bad = await verify(l, [
      '--cluster-name',
      'PAIR01-CL',
      '--cluster-address',
      '192.168.50.50',
      '--json',
    ]);
    expect(bad.code).toBe(2);
    const report = JSON.parse(bad.stdout.trim()) as VerifyReport;
    const ids = blockers(report).map((f) => f.ruleId);
    expect(ids).toEqual(expect.arrayContaining(['cluster.computer-object', 'cluster.address']));
    expectBlocker(
      report.findings.find((f) => f.ruleId === 'cluster.address'),
      /^192\.168\.50\.50 already answers on the network/,
      /--cluster-address/,
    );
    expectBlocker(
      report.findings.find((f) => f.ruleId === 'cluster.computer-object'),
      /enabled computer object named PAIR01-CL/,
      /^Choose another cluster name \(--cluster-name/,
    );
  });

  it('names the flag and the rule for a bad cluster name, before reaching any server', async () => {
    const l = await open('matched-pair', { feature: false });
    const run = await verify(l, ['--cluster-name', 'NOT_A_NAME!', '--cluster-address', '192.168.50.50']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`--cluster-name “NOT_A_NAME!” is not valid: ${CLUSTER_NAME_MESSAGE}`);
    const half = await verify(l, ['--cluster-name', 'PAIR01-CL']);
    expect(half.code).toBe(1);
    expect(half.stderr).toContain('--cluster-address is missing');
  });

  it('says why Test-Cluster did not run: the feature not installed yet, or --no-test-cluster', async () => {
    const l = await open('matched-pair', { feature: false });
    const before = await verify(l, ['--json']);
    expect(before.code, before.stderr).toBe(0);
    const report = JSON.parse(before.stdout.trim()) as VerifyReport;
    expect(report.outcome).toBe('warnings');
    expect(report.clusterValidation).toBeNull();
    expect(report.findings.find((f) => f.ruleId === 'cluster.validation')).toMatchObject({
      severity: 'warning',
      reason: expect.stringMatching(
        /^Test-Cluster was not run: Failover Clustering is not installed on TL-NODE-A and TL-NODE-B yet/,
      ),
    });
    for (const h of l.hosts) l.host(h.name).profile.roles.failoverClustering = true;
    const skipped = await verify(l, ['--no-test-cluster']);
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toContain(
      'Windows’ Test-Cluster: not run. Windows’ Test-Cluster was not asked for this time (--no-test-cluster)',
    );
  });

  it('ends blocked for servers in two domains: join the second to the first’s domain', async () => {
    const l = await open('different-domains');
    const run = await verify(l, ['--json']);
    expect(run.code).toBe(2);
    const report = JSON.parse(run.stdout.trim()) as VerifyReport;
    expect(blockers(report).map((f) => f.ruleId)).toEqual(['cluster.domain', 'cluster.validation']);
    expectBlocker(
      report.findings.find((f) => f.ruleId === 'cluster.domain'),
      /^TL-NODE-A is a member of contoso\.local and TL-NODE-B of fabrikam\.local, and every node of a failover cluster must be a member of the same domain\.$/,
      /^Join TL-NODE-B to contoso\.local/,
    );
    // Windows' own words for the same thing, from Test-Cluster's System Configuration tests.
    const system = report.clusterValidation!.categories.find((c) => c.name === 'System Configuration')!;
    expect(system.result).toBe('failed');
    expect(system.tests.find((t) => t.name === 'Validate Active Directory Configuration')?.message).toMatch(
      /not all members of the same domain/,
    );
    expect(report.findings.find((f) => f.ruleId === 'cluster.validation')?.reason).toContain(
      'System Configuration › Validate Active Directory Configuration: “The nodes are not all members of the same domain.',
    );
  });

  it('ends blocked for VMs on one server’s own disks: move them to shared storage', async () => {
    const l = await open('unshared-storage');
    const run = await verify(l, ['--json']);
    expect(run.code).toBe(2);
    const report = JSON.parse(run.stdout.trim()) as VerifyReport;
    expect(blockers(report).map((f) => f.ruleId)).toEqual(['cluster.storage', 'cluster.validation']);
    expectBlocker(
      report.findings.find((f) => f.ruleId === 'cluster.storage'),
      /^SQL01 \(D:\\Hyper-V\\SQL01\), APP01 \(D:\\Hyper-V\\APP01\) and FILE01 \(D:\\Hyper-V\\FILE01\) are on TL-NODE-A’s own disks, so TL-NODE-B could not start them after a failover\.$/,
      /^Move SQL01, APP01 and FILE01 to storage both servers reach.*Move-VMStorage/,
    );
    expect(report.clusterValidation!.categories.find((c) => c.name === 'Storage')?.result).toBe('failed');
  });

  it('ends blocked for a key-based logon: connect with the password', async () => {
    const admin = newHostKey();
    const keyFile = join(home, 'admin_ed25519');
    writeFileSync(keyFile, admin.private, { mode: 0o600 });
    const l = await open('key-only-logon', { authorizedKeys: [admin.public] });
    const run = await verify(l, ['--identity', keyFile, '--json'], { TWINLOCK_PASSWORD: '' });
    expect(run.code, run.stderr).toBe(2);
    const report = JSON.parse(run.stdout.trim()) as VerifyReport;
    expect(blockers(report).map((f) => f.ruleId)).toEqual(['cluster.logon']);
    const logon = report.findings.find((f) => f.ruleId === 'cluster.logon')!;
    expect(logon.reason).toBe(
      'The cluster is created from TL-NODE-A reaching TL-NODE-B as you; a key-based SSH logon to Windows carries no network credentials, so Windows refuses that second hop.',
    );
    expectBlocker(logon, /second hop/, /^Connect to TL-NODE-A with the account’s password instead of a key/);
    expect(report.clusterValidation).toBeNull();
    expect(report.findings.find((f) => f.ruleId === 'cluster.validation')?.reason).toMatch(
      /^Test-Cluster was not run: it reaches TL-NODE-B from TL-NODE-A as you/,
    );
    // Without network credentials the directory cannot be asked either: said, not guessed.
    expect(report.findings.find((f) => f.ruleId === 'cluster.computer-object')).toMatchObject({
      severity: 'warning',
      reason: expect.stringMatching(
        /^Twinlock could not read the directory from TL-NODE-A \(Windows: “An operations error occurred\.”\)/,
      ),
    });
    // The same servers pass Level 3: the lockstep agent needs no second hop.
    expect(report.blockersByLevel).toEqual([1, 0, 0]);
  });
});
