/**
 * Level 1's installation and Roll back against fake servers: Failover Clustering enabled (never
 * an upload or msiexec), found already there, resumed without running Install-WindowsFeature
 * again, refused by an edition without it; Roll back removes it only where Twinlock added it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TwinlockError } from '../../../engine/api/errors';
import { installClusterFeature } from '../../../engine/agent/cluster-feature';
import { ClusterFeatureRecord } from '../../../engine/agent/cluster-feature-record';
import { rollbackClusterFeature } from '../../../engine/agent/cluster-rollback';
import type { InstallJournal } from '../../../engine/jobs/journal';
import { openJournal } from '../../../engine/jobs/journal';
import { fakeContext, fakeHost } from './fakes';
import type { FakeHost } from './fakes';

const RAW = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../fixtures/inventory/matched-node-a.json'), 'utf8'),
).data as Record<string, any>;

/** The fixture's get-inventory answer with the feature installed or not (absent: the edition has none). */
function inventory(feature: boolean | 'absent', editionId = 'ServerDatacenter'): Record<string, any> {
  const raw = structuredClone(RAW);
  raw.currentVersion.EditionID = editionId;
  raw.features = raw.features
    .filter((f: any) => f.Name !== 'Failover-Clustering' || feature !== 'absent')
    .map((f: any) =>
      f.Name === 'Failover-Clustering' ? { ...f, Installed: feature, InstallState: feature ? 1 : 0 } : f,
    );
  return raw;
}

const ENABLED = {
  success: true,
  restartNeeded: 'No',
  exitCode: 'Success',
  features: ['Failover-Clustering', 'RSAT-Clustering', 'RSAT-Clustering-Mgmt', 'RSAT-Clustering-PowerShell'],
};
const UNCHANGED = { success: true, restartNeeded: 'No', exitCode: 'NoChangeNeeded', features: [] };

/** A server whose feature turns on when install-cluster-feature runs (and off at uninstall, Windows' restart aside). */
function server(name: string, installed: boolean, answer: Record<string, unknown> = ENABLED): FakeHost {
  let on = installed;
  const host = fakeHost(name, {
    'get-inventory': () => inventory(on),
    'get-identity': () => ({ lastBootUpTime: '2026-12-01T08:00:00.000Z' }),
    'install-cluster-feature': () => {
      const was = on;
      on = true;
      return was ? UNCHANGED : answer;
    },
    'uninstall-cluster-feature': () =>
      on ? { ...ENABLED, restartNeeded: 'Yes', exitCode: 'SuccessRestartRequired' } : { ...UNCHANGED },
  });
  return Object.assign(host, { fingerprint: `SHA256:${name.padEnd(43, 'x')}` });
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'twinlock-l1-unit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const targets = (...hosts: FakeHost[]) =>
  hosts.map((h) => ({ sessionId: `s-${h.label}`, label: h.label, host: h }));

function journalOf(hosts: FakeHost[], steps: Record<string, Record<string, string>> = {}): InstallJournal {
  return {
    format: 'twinlock-journal/1',
    jobId: 'job-l1',
    kind: 'install',
    state: 'running',
    startedAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    request: { packageDir: '', allowReboot: false, force: false, level: 1 },
    hosts: hosts.map((h) => ({
      sessionId: `s-${h.label}`,
      computerName: h.label,
      address: h.address,
      port: h.port,
      username: h.username,
      fingerprint: h.fingerprint,
      steps: steps[h.label] ?? {},
    })),
  };
}

describe('installClusterFeature', () => {
  it('enables the feature on both servers with no upload and no msiexec, and records where it added it', async () => {
    const a = server('NODE-A', false);
    const b = server('NODE-B', false);
    const record = new ClusterFeatureRecord(dir);
    const ctx = fakeContext<'install'>();
    const journal = await openJournal(dir, journalOf([a, b]));
    const outcomes = await installClusterFeature(ctx, targets(a, b), {}, { record, journal });
    expect(outcomes).toEqual([
      expect.objectContaining({
        computerName: 'NODE-A',
        component: 'failover-clustering',
        action: 'installed',
        version: '20348.2762',
        rebootRequired: false,
      }),
      expect.objectContaining({ computerName: 'NODE-B', action: 'installed' }),
    ]);
    for (const h of [a, b]) {
      expect(h.calls.filter((c) => c.kind !== 'script')).toEqual([]);
      expect(h.calls.map((c) => (c.kind === 'script' ? c.name : c.kind))).toEqual([
        'get-inventory',
        'get-identity',
        'install-cluster-feature',
        'get-inventory',
      ]);
      expect(await record.find(h.fingerprint)).toMatchObject({ computerName: h.label, jobId: 'job-l1' });
    }
    expect(Object.keys(journal.snapshot().hosts[0]!.steps)).toEqual(['feature', 'health']);
    expect(journal.snapshot().hosts[0]!.featureInstalledBefore).toBe(false);
    const steps = ctx.hostPatches.filter((p) => p.sessionId === 's-NODE-A').map((p) => p.patch.step);
    expect(steps).toEqual(['check', 'check', 'feature', 'feature', 'health', 'health']);
    expect(ctx.hostPatches.map((p) => p.patch.message).join('\n')).toContain(
      'Enabling Failover Clustering and its tools (Install-WindowsFeature Failover-Clustering -IncludeManagementTools)',
    );
  });

  it('answers already-installed where the feature was there, and records nothing for Roll back', async () => {
    const a = server('NODE-A', true);
    const b = server('NODE-B', false);
    const record = new ClusterFeatureRecord(dir);
    const ctx = fakeContext<'install'>();
    const outcomes = await installClusterFeature(ctx, targets(a, b), {}, { record });
    expect(outcomes.map((o) => o.action)).toEqual(['already-installed', 'installed']);
    expect(outcomes[0]!.note).toBe('Failover Clustering was already installed on NODE-A: nothing to do.');
    expect(ctx.hosts['s-NODE-A']).toMatchObject({ state: 'skipped', percent: 100 });
    expect(await record.find(a.fingerprint)).toBeNull();
    expect(await record.find(b.fingerprint)).not.toBeNull();
  });

  it('reports the restart Windows asks for when it may not restart', async () => {
    const a = server('NODE-A', false, {
      ...ENABLED,
      restartNeeded: 'Yes',
      exitCode: 'SuccessRestartRequired',
    });
    const ctx = fakeContext<'install'>();
    const [outcome] = await installClusterFeature(ctx, targets(a), {}, {});
    expect(outcome).toMatchObject({ action: 'installed', rebootRequired: true });
    expect(outcome!.rebooted).toBeUndefined();
    expect(ctx.hosts['s-NODE-A']).toMatchObject({ state: 'done', step: 'reboot-required' });
    expect(a.scripts('restart-host')).toEqual([]);
  });

  it('resumes without running Install-WindowsFeature again', async () => {
    const a = server('NODE-A', true);
    const journal = await openJournal(dir, {
      ...journalOf([a], { 'NODE-A': { feature: new Date().toISOString() } }),
      hosts: journalOf([a], { 'NODE-A': { feature: new Date().toISOString() } }).hosts.map((h) => ({
        ...h,
        featureInstalledBefore: false,
        featureRestartNeeded: false,
      })),
    });
    const [outcome] = await installClusterFeature(fakeContext<'install'>(), targets(a), {}, { journal });
    // What was there before the job started decides: this job added it.
    expect(outcome).toMatchObject({ action: 'installed', rebootRequired: false });
    expect(a.scripts('install-cluster-feature')).toEqual([]);
  });

  it('says which edition lacks the feature and that Level 1 needs Standard or Datacenter', async () => {
    const a = server('NODE-A', false);
    a.handlers['get-inventory'] = () => inventory('absent', 'ServerSolution');
    a.handlers['install-cluster-feature'] = () => {
      throw new TwinlockError({
        code: 'script-failed',
        message:
          "ArgumentNotValid: The role, role service, or feature name is not valid: 'Failover-Clustering'. The name was not found.",
        detail: {
          script: 'install-cluster-feature',
          category: 'InvalidArgument',
          errorId: 'NameDoesNotExist,Microsoft.Windows.ServerManager.Commands.AddWindowsFeatureCommand',
        },
      });
    };
    const ctx = fakeContext<'install'>();
    const err = await installClusterFeature(ctx, targets(a), {}, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TwinlockError);
    expect(err).toMatchObject({
      code: 'incompatible',
      message:
        'NODE-A runs Windows Server 2022 Datacenter (edition ServerSolution), which does not have Failover Clustering; Level 1 needs Windows Server Standard or Datacenter on both servers.',
    });
    expect(ctx.hosts['s-NODE-A']).toMatchObject({ state: 'failed' });
  });
});

describe('rollbackClusterFeature', () => {
  it('removes the feature where Twinlock added it, and says the restart is still needed', async () => {
    const a = server('NODE-A', false);
    const record = new ClusterFeatureRecord(dir);
    await installClusterFeature(fakeContext<'install'>(), targets(a), {}, { record });
    const outcome = await rollbackClusterFeature(targets(a)[0]!, { record, allowReboot: false });
    expect(outcome).toMatchObject({
      component: 'failover-clustering',
      removedVersion: 'Failover-Clustering',
      rebootRequired: true,
      message:
        'NODE-A: Failover Clustering and its tools are removed at the next restart; restart NODE-A to finish (or roll back again allowing Twinlock to restart it).',
    });
    expect(a.scripts('uninstall-cluster-feature')).toHaveLength(1);
    // Kept until the removal is seen finished, so that a second Roll back can finish it.
    expect(await record.find(a.fingerprint)).not.toBeNull();
  });

  it('never removes a feature that was there before', async () => {
    const a = server('NODE-A', true);
    const outcome = await rollbackClusterFeature(targets(a)[0]!, {
      record: new ClusterFeatureRecord(dir),
      allowReboot: true,
    });
    expect(outcome).toMatchObject({ removedVersion: null, rebootRequired: false });
    expect(outcome.message).toMatch(/^NODE-A: Failover Clustering was already there before/);
    expect(a.scripts('uninstall-cluster-feature')).toEqual([]);
  });

  it('explains a cluster node: remove the pair first', async () => {
    const a = server('NODE-A', false);
    const record = new ClusterFeatureRecord(dir);
    await installClusterFeature(fakeContext<'install'>(), targets(a), {}, { record });
    a.handlers['uninstall-cluster-feature'] = () => {
      throw new TwinlockError({
        code: 'script-failed',
        message: 'Failover Clustering cannot be removed: This server is a node of a failover cluster.',
        detail: {
          script: 'uninstall-cluster-feature',
          errorId:
            'Alteration_PrerequisiteCheck_Failed,Microsoft.Windows.ServerManager.Commands.RemoveWindowsFeatureCommand',
        },
      });
    };
    const err = await rollbackClusterFeature(targets(a)[0]!, { record, allowReboot: false }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      code: 'install-failed',
      message:
        'NODE-A is still a node of a failover cluster, and Windows does not remove Failover Clustering from a cluster node.',
      hint: expect.stringContaining('twinlock unpair'),
    });
  });
});
