import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { FixPreview, VerifyReport } from '../../../engine/api';
import { useVerifyStore } from '../../../renderer/src/stores/verify';
import { useVerifyFixStore } from '../../../renderer/src/stores/verify-fix';
import { withTwoSessions } from './two-sessions';

/** Only what the stores read of a report. */
function report(outcome: VerifyReport['outcome'], verdict: string): VerifyReport {
  return { level: 3, outcome, verdict, findings: [], hosts: [] as never, ranAt: '2025-01-01T00:00:00Z', blockersByLevel: [0, 0, 0], targets: [] };
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

describe('verify fix store', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('previews the fix on the right server, runs it, and takes the new verdict', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const client = await withTwoSessions({
      verify: () => report('blocked', 'Not ready: 1 blocker'),
      previewFix: () => preview,
      applyFix: async () => {
        await gate;
        return { fixId: 'install-hyperv', computerName: 'HV-B', message: 'Done, restarted and back.', rebooted: true, elapsedMs: 1200, report: report('ready', 'Ready for Level 3') };
      },
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
    client.emit({ type: 'log', level: 'info', message: 'Restarting HV-B to finish the fix.', at: '' });
    expect(fix.progressLine).toBe('Restarting HV-B to finish the fix.');
    fix.close();
    expect(fix.open).toBe(true);
    release();
    await running;

    expect(client.callsOf('applyFix')).toEqual([{ sessionId: 'sB', fixId: 'install-hyperv', level: 3 }]);
    expect(fix.runState).toBe('done');
    expect(verify.report?.verdict).toBe('Ready for Level 3');
    expect(verify.current).toBe(true);
    expect(verify.canContinue).toBe(true);
    fix.close();
    expect(fix.open).toBe(false);
  });

  it('says why a fix could not run, as a sentence and a hint', async () => {
    await withTwoSessions({
      previewFix: () => preview,
      applyFix: () => {
        throw { code: 'timeout', message: 'HV-B did not come back after its restart.', hint: 'Check its console.' };
      },
    });
    const fix = useVerifyFixStore();
    await fix.show({ fixId: 'install-hyperv', hostIndex: 1, title: 'Hyper-V role' });
    await fix.run();
    expect(fix.runState).toBe('error');
    expect(fix.error).toEqual({ code: 'timeout', message: 'HV-B did not come back after its restart.', hint: 'Check its console.' });
  });

  it('exports the report and keeps the written path', async () => {
    const client = await withTwoSessions({
      verify: () => report('ready', 'Ready for Level 3'),
      exportReport: (input: { format: string }) => ({ path: `/data/reports/r.${input.format}`, format: input.format, bytes: 2048 }),
    });
    const verify = useVerifyStore();
    await verify.run();
    await verify.exportReport('pdf');
    expect(client.callsOf('exportReport')).toEqual([{ report: verify.report, format: 'pdf' }]);
    expect(verify.exported).toEqual({ path: '/data/reports/r.pdf', format: 'pdf', bytes: 2048 });
  });
});
