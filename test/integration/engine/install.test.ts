/**
 * Installing the agent against the lab, fault by fault: each test ends with the servers either
 * running the agent or exactly as they were (products, services, firewall rules, files; msiexec's
 * own logs under C:\ProgramData\Twinlock\logs are kept on purpose, for diagnosis).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiEvent, HostProgress, JobSnapshot, TwinlockEngine } from '../../../engine/api';
import { createEngine } from '../../../engine/engine';
import type { EngineOptions } from '../../../engine/engine';
import type { Lab, LabHost } from '../../../lab/index';
import { makePackage, startLab, TWINLOCK_SIGNER_SUBJECT } from '../../../lab/index';
import { waitFor } from '../../helpers/wait-for';
import { trustPackagePublisher } from './trust-publisher';

const PACKAGE_FILE = 'C:\\ProgramData\\Twinlock\\packages\\TwinlockAgent-3.2.1-x64.msi';
const LOGS = 'C:\\ProgramData\\Twinlock\\logs\\';
const timings: NonNullable<EngineOptions['timings']> = {
  install: {
    busyRetryDelaysMs: [20, 20, 20],
    healthTimeoutMs: 3000,
    healthIntervalMs: 50,
    uploadRetryDelaysMs: [20, 40, 80, 160],
    rebootPollMs: 50,
    rebootTimeoutMs: 20_000,
    rebootDelaySeconds: 5,
  },
};

let lab: Lab;
let engine: TwinlockEngine;
let dataDir: string;
let ids: [string, string];
let events: ApiEvent[];
const temps: string[] = [];

/** What "as it was" means on a server. */
function serverState(h: LabHost) {
  return {
    products: h.installedProducts().map((p) => `${p.name} ${p.version}`),
    services: [...h.services.keys()],
    rules: h.firewallRules.map((r) => r.name),
    files: h.listFiles().filter((f) => !f.startsWith(LOGS)),
  };
}

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

async function connectAll(e: TwinlockEngine): Promise<[string, string]> {
  const sessions = await Promise.all(
    lab.hosts.map((h) =>
      e.api.connect({
        address: h.address,
        port: h.port,
        username: h.username,
        password: h.password,
        acceptFingerprint: h.fingerprint,
      }),
    ),
  );
  return [sessions[0]!.sessionId, sessions[1]!.sessionId];
}

async function install(
  request: Partial<Parameters<TwinlockEngine['api']['install']>[0]> = {},
): Promise<JobSnapshot & { kind: 'install' }> {
  const ref = await engine.api.install({ sessions: ids, ...request });
  return (await engine.api.waitJob({ jobId: ref.jobId })) as JobSnapshot & { kind: 'install' };
}

function hostUpdates(sessionId: string): HostProgress[] {
  return events.flatMap((e) => (e.type === 'job' && e.job.hosts[sessionId] ? [e.job.hosts[sessionId]] : []));
}

const A = () => lab.host('TL-NODE-A');
const B = () => lab.host('TL-NODE-B');

beforeEach(async () => {
  lab = await startLab({ profile: 'matched-pair', timeScale: 600, latencyMs: 2 });
  dataDir = await tempDir('twinlock-install-');
  events = [];
  engine = createEngine({ dataDir, lab: { hosts: lab.hosts }, timings });
  await trustPackagePublisher(engine.api);
  engine.subscribe((e) => events.push(e));
  ids = await connectAll(engine);
});

afterEach(async () => {
  await engine?.close();
  await lab?.close();
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('agent installation against the lab', () => {
  it('installs on both servers with upload progress (bytes, rate, time left) and a journal on disk', async () => {
    const dir = await tempDir('twinlock-16m-');
    makePackage({ outDir: dir, sizeBytes: 16 * 1024 * 1024 });
    const done = await install({ packageDir: dir });
    expect(done.error).toBeNull();
    expect(done.result?.map((r) => r.action)).toEqual(['installed', 'installed']);
    for (const h of [A(), B()]) {
      expect(h.installedProducts().map((p) => p.version)).toEqual(['3.2.1']);
      expect(h.services.get('TwinlockAgent')).toMatchObject({ status: 'Running', startType: 'Automatic' });
      expect(h.firewallRules.map((r) => r.localPorts[0])).toEqual([7440, 7441, 7442]);
      expect(h.fileExists(PACKAGE_FILE)).toBe(true);
    }
    // Snapshots are throttled, so only some of the upload's reports are published.
    const upload = hostUpdates(ids[0]).filter((h) => h.step === 'upload' && h.bytesTotal);
    expect(upload.every((h) => h.bytesTotal === 16 * 1024 * 1024)).toBe(true);
    expect(upload.some((h) => h.bytesDone! > 0 && h.rateBps! > 0 && typeof h.etaSeconds === 'number')).toBe(
      true,
    );
    const journal = JSON.parse(await readFile(join(dataDir, 'journal', `${done.id}.json`), 'utf8'));
    expect(journal.state).toBe('done');
    expect(Object.keys(journal.hosts[0].steps)).toEqual(['upload', 'verify', 'msiexec', 'health']);
    expect(JSON.stringify(journal)).not.toContain(lab.hosts[0]!.password);
  });

  it('skips a server that already runs the same version, with a note', async () => {
    await install();
    const again = await install();
    expect(again.result?.map((r) => r.action)).toEqual(['already-installed', 'already-installed']);
    expect(again.result?.[0]?.note).toContain('already installed');
  });

  it('resumes an upload cut after N bytes from the size already on the server', async () => {
    const size = 3 * 1024 * 1024;
    B().faults.cutUploadAfterBytes = 1_500_000;
    const done = await install();
    expect(done.error).toBeNull();
    expect(B().installedProducts()).toHaveLength(1);
    // Resumed, not restarted: at most the rewind window (1 MiB) is sent twice.
    expect(B().sftpBytesWritten).toBeLessThan(size + 1_200_000);
    expect(B().sftpBytesWritten).toBeGreaterThanOrEqual(size);
  });

  it('fails on a full disk and leaves the server as it was', async () => {
    const before = serverState(B());
    B().faults.diskFull = true;
    const done = await install();
    expect(done.state).toBe('failed');
    expect(done.error?.code).toBe('install-failed');
    expect(done.error?.hint).toContain('free space');
    expect(serverState(B())).toEqual(before);
  });

  it('refuses a copy whose hash differs on the server, and removes it', async () => {
    const before = serverState(B());
    B().faults.corruptUploads = true;
    const done = await install();
    expect(done.state).toBe('failed');
    expect(done.error?.message).toContain('SHA-256');
    expect(done.error?.message).toContain('uploaded package was removed');
    expect(serverState(B())).toEqual(before);
    expect(A().installedProducts()).toHaveLength(1);
  });

  it('refuses an unsigned package with the reason and the remedy', async () => {
    const dir = await tempDir('twinlock-unsigned-');
    makePackage({ outDir: dir, signerSubject: null });
    const before = serverState(A());
    const done = await install({ packageDir: dir });
    expect(done.state).toBe('failed');
    expect(done.error?.message).toContain('NotSigned');
    expect(done.error?.hint).toBeTruthy();
    expect(serverState(A())).toEqual(before);
  });

  it('refuses a package signed by someone other than the manifest says', async () => {
    const dir = await tempDir('twinlock-signer-');
    makePackage({ outDir: dir, signerSubject: 'CN=Mallory', manifestSignerSubject: TWINLOCK_SIGNER_SUBJECT });
    const done = await install({ packageDir: dir });
    expect(done.state).toBe('failed');
    expect(done.error?.message).toContain('CN=Mallory');
    expect(done.error?.hint).toContain('publisher');
    expect(A().installedProducts()).toEqual([]);
  });

  it('fails on 1603 with the log’s meaningful lines, rolls back, and the server is as it was', async () => {
    const before = serverState(B());
    B().faults.msiExitCodes = [1603];
    const done = await install();
    expect(done.state).toBe('failed');
    expect(done.error?.message).toContain('rolled the installation back');
    const tail = done.hosts[ids[1]]?.logTail ?? [];
    expect(tail.some((l) => l.includes('returned actual error code 1603'))).toBe(true);
    expect(tail.some((l) => l.includes('Note: 1: 2205'))).toBe(false);
    expect(serverState(B())).toEqual(before);
    expect(done.hosts[ids[0]]?.state).toBe('done');
  });

  it('rolls back when the service will not start (1603, error 1920)', async () => {
    const before = serverState(A());
    A().faults.serviceWontStart = true;
    const done = await install();
    expect(done.state).toBe('failed');
    expect(done.hosts[ids[0]]?.logTail?.some((l) => l.includes('Error 1920'))).toBe(true);
    expect(serverState(A())).toEqual(before);
  });

  it('waits out another installation (1618) for the first K attempts, then installs', async () => {
    B().faults.msiExitCodes = [1618, 1618];
    const done = await install();
    expect(done.error).toBeNull();
    expect(B().installedProducts()).toHaveLength(1);
  });

  it('on 3010 without permission to restart, reports the restart as required per host', async () => {
    B().faults.msiExitCodes = [3010];
    const done = await install();
    expect(done.error).toBeNull();
    expect(done.result?.[1]).toMatchObject({ action: 'installed', exitCode: 3010, rebootRequired: true });
    expect(done.hosts[ids[1]]?.step).toBe('reboot-required');
    expect(B().restartsRequested).toBe(0);
    expect(B().pendingReboot).toBe(true);

    // The wizard's "Restart now": install again, allowed to restart this time.
    B().faults.rebootSeconds = 120;
    const again = await install({ allowReboot: true });
    expect(again.error).toBeNull();
    expect(again.result?.[1]).toMatchObject({
      action: 'already-installed',
      rebooted: true,
      rebootRequired: false,
    });
    expect(again.result?.[0]).toMatchObject({ action: 'already-installed', rebootRequired: false });
    expect(again.result?.[0]?.rebooted).toBeUndefined();
    expect(B().restartsRequested).toBe(1);
    expect(B().pendingReboot).toBe(false);
  });

  it('on 3010 with --allow-reboot, restarts the server, waits S seconds for SSH and finishes', async () => {
    B().faults.msiExitCodes = [3010];
    B().faults.rebootSeconds = 300; // 0.5 s of real time at timeScale 600
    const done = await install({ allowReboot: true });
    expect(done.error).toBeNull();
    expect(done.result?.[1]).toMatchObject({ exitCode: 3010, rebootRequired: false, rebooted: true });
    expect(B().restartsRequested).toBe(1);
    expect(B().pendingReboot).toBe(false);
    expect(B().services.get('TwinlockAgent')?.status).toBe('Running');
    expect(hostUpdates(ids[1]).some((h) => h.step === 'reboot' && h.message.includes('come back'))).toBe(
      true,
    );
  });

  /** Closes the engine (as a crash during the restart wait would stop it) and resumes in a new one. */
  async function resumeInNewEngine(options: {
    whileRestarting: boolean;
  }): Promise<JobSnapshot & { kind: 'install' }> {
    await engine.close();
    engine = createEngine({ dataDir, lab: { hosts: lab.hosts }, timings });
    engine.subscribe((e) => events.push(e));
    const [job] = await engine.api.resumableJobs({});
    expect(job).toBeDefined();
    for (;;) {
      // An admin resuming while the server is still down is told so, and tries again.
      const ref = await engine.api
        .resumeJob({ jobId: job!.jobId, password: lab.hosts[0]!.password })
        .catch((e: unknown) => e as { code: string });
      if ('jobId' in ref)
        return (await engine.api.waitJob({ jobId: ref.jobId })) as JobSnapshot & { kind: 'install' };
      expect(options.whileRestarting, JSON.stringify(ref)).toBe(true);
      expect(ref.code).toBe('unreachable');
      await B().whenUp();
    }
  }

  it('resumed after a crash during the restart wait, does not restart the server again', async () => {
    B().faults.msiExitCodes = [3010];
    B().faults.rebootSeconds = 300; // 0.5 s of real time at timeScale 600
    await engine.api.install({ sessions: ids, allowReboot: true });
    await B().whenDown();
    expect(B().restarts).toBe(1);
    await B().whenUp();

    const done = await resumeInNewEngine({ whileRestarting: false });
    expect(done.error).toBeNull();
    expect(done.result?.[1]).toMatchObject({
      action: 'installed',
      exitCode: 3010,
      rebooted: true,
      rebootRequired: false,
    });
    expect(B().restarts).toBe(1);
    expect(B().restartsRequested).toBe(1);
    expect(A().restarts).toBe(0);
    expect(B().services.get('TwinlockAgent')?.status).toBe('Running');
  });

  it('resumed just after its restart was scheduled, waits for that restart instead of asking for another', async () => {
    await engine.close();
    // shutdown.exe's delay, so that the crash falls between the request and the restart.
    engine = createEngine({
      dataDir,
      lab: { hosts: lab.hosts },
      timings: { install: { ...timings.install, rebootDelaySeconds: 180 } },
    });
    engine.subscribe((e) => events.push(e));
    ids = await connectAll(engine);
    B().faults.msiExitCodes = [3010];
    B().faults.rebootSeconds = 120;
    await engine.api.install({ sessions: ids, allowReboot: true });
    await B().until('restart-requested', () => B().restartsRequested > 0);

    const done = await resumeInNewEngine({ whileRestarting: true });
    expect(done.error).toBeNull();
    expect(done.result?.[1]).toMatchObject({ action: 'installed', rebooted: true, rebootRequired: false });
    expect(B().restarts).toBe(1);
    expect(B().restartsRequested).toBe(1);
    expect(B().pendingReboot).toBe(false);
  });

  it('an installation resumed by two Twinlock processes at once runs in one; the other is refused by name', async () => {
    B().faults.msiExitCodes = [3010];
    B().faults.rebootSeconds = 600;
    await engine.api.install({ sessions: ids, allowReboot: true });
    await B().whenDown();
    await engine.close();
    await B().whenUp();

    // Two engines on one data folder stand for the wizard and a `twinlock` command.
    engine = createEngine({ dataDir, lab: { hosts: lab.hosts }, timings });
    const other = createEngine({ dataDir, lab: { hosts: lab.hosts }, timings });
    try {
      const [job] = await engine.api.resumableJobs({});
      expect(await other.api.resumableJobs({})).toHaveLength(1);
      const password = lab.hosts[0]!.password;
      // A slow logon keeps the first resume busy longer than the second waits for a claim.
      A().faults.connectDelayMs = 11_000;
      const attempts = await Promise.allSettled(
        [engine, other].map((e) => e.api.resumeJob({ jobId: job!.jobId, password })),
      );
      const won = attempts.findIndex((a) => a.status === 'fulfilled');
      expect(won).toBeGreaterThanOrEqual(0);
      const lost = attempts[1 - won]!;
      expect(lost.status).toBe('rejected');
      const refusal = (lost as PromiseRejectedResult).reason as {
        code: string;
        message: string;
        detail: Record<string, unknown>;
      };
      expect(refusal).toMatchObject({ code: 'invalid-input', detail: { field: 'jobId' } });
      expect(refusal.message).toContain('another Twinlock window or command');
      A().faults.connectDelayMs = 0;
      const winner = [engine, other][won]!;
      const loser = [engine, other][1 - won]!;
      // While it runs, the other process neither offers it for resume nor discards it.
      expect(await loser.api.resumableJobs({})).toEqual([]);
      await expect(loser.api.discardJob({ jobId: job!.jobId })).rejects.toMatchObject({
        code: 'invalid-input',
      });
      const done = await winner.api.waitJob({
        jobId: (attempts[won] as PromiseFulfilledResult<{ jobId: string }>).value.jobId,
      });
      expect(done.error).toBeNull();
      expect(B().restarts).toBe(1);
      expect(
        B()
          .installedProducts()
          .map((p) => p.version),
      ).toEqual(['3.2.1']);
      expect(await loser.api.resumableJobs({})).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('on 1641 waits for the restart msiexec started', async () => {
    A().faults.msiExitCodes = [1641];
    A().faults.rebootSeconds = 120;
    const done = await install();
    expect(done.error).toBeNull();
    expect(done.result?.[0]).toMatchObject({ exitCode: 1641, rebooted: true });
    expect(A().restartsRequested).toBe(0);
  });

  it('stops with host-key-changed when the server comes back from its restart with another key', async () => {
    B().faults.msiExitCodes = [3010];
    B().faults.rebootSeconds = 600;
    const ref = await engine.api.install({ sessions: ids, allowReboot: true });
    await B().whenDown();
    B().faults.rotateHostKey();
    const done = await engine.api.waitJob({ jobId: ref.jobId });
    expect(done.state).toBe('failed');
    expect(done.error?.code).toBe('host-key-changed');
  });

  it('upgrades an older agent, and refuses a downgrade unless forced', async () => {
    const old = await tempDir('twinlock-old-');
    makePackage({ outDir: old, version: '3.1.0' });
    await install({ packageDir: old });
    const up = await install();
    expect(up.result?.map((r) => r.action)).toEqual(['upgraded', 'upgraded']);
    expect(
      A()
        .installedProducts()
        .map((p) => p.version),
    ).toEqual(['3.2.1']);

    const down = await install({ packageDir: old });
    expect(down.state).toBe('failed');
    expect(down.error?.message).toContain('does not downgrade');
    expect(
      A()
        .installedProducts()
        .map((p) => p.version),
    ).toEqual(['3.2.1']);

    const forced = await install({ packageDir: old, force: true });
    expect(forced.error).toBeNull();
    expect(
      A()
        .installedProducts()
        .map((p) => p.version),
    ).toEqual(['3.1.0']);
  });

  it('takes the 1638 path (same product code, another version) as an in-place upgrade', async () => {
    const older = await tempDir('twinlock-320-');
    const newer = await tempDir('twinlock-321-');
    const productCode = '{11111111-2222-4333-A444-555555555555}';
    makePackage({ outDir: older, version: '3.2.0', productCode });
    makePackage({ outDir: newer, version: '3.2.1', productCode });
    await install({ packageDir: older });
    const done = await install({ packageDir: newer });
    expect(done.error).toBeNull();
    expect(done.result?.map((r) => r.action)).toEqual(['upgraded', 'upgraded']);
    expect(B().installedProducts()).toMatchObject([{ productCode, version: '3.2.1' }]);
  });

  it('Roll back removes the agent, its firewall rules and the package: the server is as before', async () => {
    const before = serverState(A());
    await install();
    expect(serverState(A())).not.toEqual(before);
    const outcome = await engine.api.rollback({ sessionId: ids[0] });
    expect(outcome).toMatchObject({ computerName: 'TL-NODE-A', removedVersion: '3.2.1' });
    expect(outcome.removedFiles).toEqual([PACKAGE_FILE]);
    expect(serverState(A())).toEqual(before);
    expect((await engine.api.rollback({ sessionId: ids[0] })).removedVersion).toBeNull();
  });

  it('resumes from the journal after the engine process is killed mid-upload', async () => {
    const pkgDir = await tempDir('twinlock-big-');
    const size = 32 * 1024 * 1024;
    makePackage({ outDir: pkgDir, sizeBytes: size });
    await engine.close();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'install-child.ts')],
      {
        env: {
          ...process.env,
          TWINLOCK_TEST_INPUT: JSON.stringify({ dataDir, packageDir: pkgDir, hosts: lab.hosts }),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    // Killed as soon as 4 MiB of the 32 have reached the first server (the lab counts each write).
    await waitFor(
      [
        { emitter: A(), events: ['sftp-write'] },
        { emitter: child, events: ['exit'] },
      ],
      () => A().sftpBytesWritten >= 4 * 1024 * 1024,
      () => (child.exitCode !== null ? `the install exited first: ${stderr}` : null),
    );
    child.kill('SIGKILL');
    expect(await exited, stderr).toBe('SIGKILL');
    expect(A().sftpBytesWritten).toBeLessThan(size);
    expect(A().installedProducts()).toEqual([]);

    engine = createEngine({ dataDir, lab: { hosts: lab.hosts }, timings });
    const resumable = await engine.api.resumableJobs({});
    expect(resumable).toHaveLength(1);
    expect(resumable[0]).toMatchObject({ version: '3.2.1', needsPassword: true });
    const missing = await engine.api
      .resumeJob({ jobId: resumable[0]!.jobId })
      .catch((e: unknown) => e as { code: string });
    expect(missing).toMatchObject({ code: 'invalid-input' });

    const ref = await engine.api.resumeJob({ jobId: resumable[0]!.jobId, password: lab.hosts[0]!.password });
    const done = await engine.api.waitJob({ jobId: ref.jobId });
    expect(done.error).toBeNull();
    for (const h of [A(), B()]) {
      expect(h.installedProducts().map((p) => p.version)).toEqual(['3.2.1']);
      // The resumed upload continued from the server's partial copy instead of starting over.
      expect(h.sftpBytesWritten).toBeLessThan(size + 2 * 1024 * 1024);
    }
    expect(await engine.api.resumableJobs({})).toEqual([]);
    expect(existsSync(join(dataDir, 'journal', `${resumable[0]!.jobId}.json`))).toBe(true);
  });
});
