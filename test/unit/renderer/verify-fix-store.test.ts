import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { FixPreview, FixResult, JobSnapshotOf, VerifyReport } from '../../../engine/api';
import { useVerifyStore } from '../../../renderer/src/stores/verify';
import { useVerifyFixStore } from '../../../renderer/src/stores/verify-fix';
import { withTwoSessions } from './two-sessions';

/** Only what the stores read of a report. */
function report(outcome: VerifyReport['outcome'], verdict: string): VerifyReport {
  return {
    level: 3,
    outcome,
    verdict,
    findings: [],
    hosts: [] as never,
    ranAt: '2025-01-01T00:00:00Z',
    blockersByLevel: [0, 0, 0],
    targets: [],
  };
}

const preview: FixPreview = {
  fixId: 'install-hyperv',
  computerName: 'HV-B',
  description: 'Installs the Hyper-V role on HV-B, then restarts it.',
  scriptName: 'fix-install-feature',
  script: '# Twinlock remote script: fix-install-feature\nparam($P)\n',
  params: { name: 'Hyper-V' },
  needsReboot: true,
};

const flush = () => new Promise((r) => setTimeout(r, 0));

/** A fix job's snapshot as the engine publishes it. */
function fixJob(
  state: JobSnapshotOf<'fix'>['state'],
  percent: number,
  message: string,
  result: FixResult | null = null,
): JobSnapshotOf<'fix'> {
  return {
    id: 'job-fix',
    kind: 'fix',
    state,
    startedAt: '2025-01-01T00:00:00Z',
    finishedAt: state === 'running' ? null : '2025-01-01T00:01:00Z',
    percent,
    message,
    hosts: {},
    error: null,
    result,
  };
}

describe('verify fix store', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('previews the fix on the right server, runs it as a job with its stages, and takes the new verdict', async () => {
    const client = await withTwoSessions({
      verify: () => report('blocked', 'Not ready: 1 blocker'),
      previewFix: () => preview,
      applyFix: () => ({ jobId: 'job-fix', kind: 'fix' }),
      job: () => fixJob('running', 10, 'Installs the Hyper-V role on HV-B, then restarts it…'),
    });
    const verify = useVerifyStore();
    await verify.run();
    expect(verify.canContinue).toBe(false);

    const fix = useVerifyFixStore();
    await fix.show({ fixId: 'install-hyperv', hostIndex: 1, title: 'Hyper-V role' });
    expect(client.callsOf('previewFix')).toEqual([{ sessionId: 'sB', fixId: 'install-hyperv' }]);
    expect(fix.preview?.needsReboot).toBe(true);

    const running = fix.run();
    expect(fix.runState).toBe('running');
    await flush();
    client.emit({ type: 'job', job: fixJob('running', 40, 'Restarting HV-B; waiting for it to come back…') });
    expect(fix.progressLine).toBe('Restarting HV-B; waiting for it to come back…');
    expect(fix.percent).toBe(40);
    fix.close();
    expect(fix.open).toBe(true);
    client.emit({
      type: 'job',
      job: fixJob('done', 100, 'Done, restarted and back.', {
        fixId: 'install-hyperv',
        computerName: 'HV-B',
        message: 'Done, restarted and back.',
        rebooted: true,
        elapsedMs: 1200,
        report: report('ready', 'Ready for Level 3'),
      }),
    });
    await running;

    expect(client.callsOf('applyFix')).toEqual([{ sessionId: 'sB', fixId: 'install-hyperv', level: 3 }]);
    expect(fix.runState).toBe('done');
    expect(fix.result?.rebooted).toBe(true);
    expect(verify.report?.verdict).toBe('Ready for Level 3');
    expect(verify.current).toBe(true);
    expect(verify.canContinue).toBe(true);
    fix.close();
    expect(fix.open).toBe(false);
  });

  it('stops waiting for a restart on request, and says so', async () => {
    const client = await withTwoSessions({
      previewFix: () => preview,
      applyFix: () => ({ jobId: 'job-fix', kind: 'fix' }),
      job: () => fixJob('running', 40, 'Restarting HV-B; waiting for it to come back…'),
      cancelJob: () => ({}),
    });
    const fix = useVerifyFixStore();
    await fix.show({ fixId: 'install-hyperv', hostIndex: 1, title: 'Hyper-V role' });
    const running = fix.run();
    await flush();
    await fix.cancel();
    expect(client.callsOf('cancelJob')).toEqual([{ jobId: 'job-fix' }]);
    const stopped = {
      code: 'cancelled' as const,
      message: 'Twinlock stopped waiting for HV-B; the restart itself goes on.',
      hint: 'Connect again once the server is back, then verify again.',
    };
    client.emit({ type: 'job', job: { ...fixJob('cancelled', 40, 'Cancelled'), error: stopped } });
    await running;
    expect(fix.runState).toBe('error');
    expect(fix.error).toEqual(stopped);
  });

  it('says why a fix could not run, as a sentence and a hint', async () => {
    await withTwoSessions({
      previewFix: () => preview,
      applyFix: () => {
        throw {
          code: 'not-found',
          message: 'There is no open connection with id sB.',
          hint: 'Connect to the server again.',
        };
      },
    });
    const fix = useVerifyFixStore();
    await fix.show({ fixId: 'install-hyperv', hostIndex: 1, title: 'Hyper-V role' });
    await fix.run();
    expect(fix.runState).toBe('error');
    expect(fix.error).toEqual({
      code: 'not-found',
      message: 'There is no open connection with id sB.',
      hint: 'Connect to the server again.',
    });
  });

  it('exports the report and keeps the written path', async () => {
    const client = await withTwoSessions({
      verify: () => report('ready', 'Ready for Level 3'),
      exportReport: (input: { format: string }) => ({
        path: `/data/reports/r.${input.format}`,
        format: input.format,
        bytes: 2048,
      }),
    });
    const verify = useVerifyStore();
    await verify.run();
    await verify.exportReport('pdf');
    expect(client.callsOf('exportReport')).toEqual([
      { report: verify.report, format: 'pdf', includeContent: true },
    ]);
    expect(verify.exported).toEqual({ path: '/data/reports/r.pdf', format: 'pdf', bytes: 2048 });
  });

  it('hands the report’s bytes to the shell’s Save dialog, and says where the admin saved it', async () => {
    const hosts = [{ computerName: 'HV-A' }, { computerName: 'HV-B' }] as never;
    const client = await withTwoSessions({
      verify: () => ({ ...report('ready', 'Ready for Level 3'), hosts }),
      exportReport: (input: { format: string }) => ({
        path: `/data/reports/r.${input.format}`,
        format: input.format,
        bytes: 4,
        contentBase64: Buffer.from('%PDF').toString('base64'),
      }),
    });
    const saved: unknown[] = [];
    client.saveFile = async (file) => {
      saved.push(file);
      return { saved: true, path: 'D:\\Reports\\verification-HV-A-HV-B.pdf' };
    };
    const verify = useVerifyStore();
    await verify.run();
    await verify.exportReport('pdf');
    expect(saved).toEqual([
      { name: 'verification-HV-A-HV-B.pdf', kind: 'PDF document', contentBase64: 'JVBERg==' },
    ]);
    expect(verify.saved).toEqual({
      saved: true,
      where: 'path',
      path: 'D:\\Reports\\verification-HV-A-HV-B.pdf',
    });
    // The engine's copy is still named, without the bytes kept in the page.
    expect(verify.exported).toEqual({ path: '/data/reports/r.pdf', format: 'pdf', bytes: 4 });
    // Cancelled in the dialog: nothing saved, and the page says only where the engine's copy is.
    client.saveFile = async () => ({ saved: false, path: null });
    await verify.exportReport('pdf');
    expect(verify.saved).toEqual({ saved: false });
  });
});
