import { afterEach, describe, expect, it, vi } from 'vitest';
import { TwinlockError } from '../../../engine/api/errors';
import type { JobSnapshot } from '../../../engine/api/jobs';
import type { DiscoveredHost, InstallOutcome } from '../../../engine/api/models';
import { createJobRunner } from '../../../engine/jobs/job-runner';
import { ManualClock } from '../../helpers/manual-clock';

const outcome: InstallOutcome = {
  sessionId: 's1',
  computerName: 'SRV-A',
  component: 'agent',
  action: 'installed',
  version: '1.0.0',
  exitCode: 0,
  rebootRequired: false,
};

function host(address: string): DiscoveredHost {
  return {
    address,
    port: 22,
    name: null,
    kind: 'windows-ssh',
    banner: null,
    openPorts: [22],
    rttMs: 1,
    reason: 'ok',
  };
}

function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('createJobRunner', () => {
  it('publishes a first snapshot at once and a final one with the result', async () => {
    const events: JobSnapshot[] = [];
    const runner = createJobRunner((s) => events.push(s));
    const ref = runner.start(
      'install',
      async (ctx) => {
        ctx.progress(50, 'Uploading');
        return [outcome];
      },
      { s1: 'SRV-A', s2: 'SRV-B' },
    );
    expect(ref.kind).toBe('install');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      id: ref.jobId,
      state: 'running',
      percent: 0,
      result: null,
      error: null,
      finishedAt: null,
    });
    expect(events[0]?.hosts.s1).toMatchObject({ label: 'SRV-A', state: 'pending' });

    const final = await runner.wait(ref.jobId);
    expect(final).toMatchObject({ state: 'done', percent: 100, result: [outcome], error: null });
    expect(final.finishedAt).not.toBeNull();
    expect(events.at(-1)).toBe(final);
    expect(runner.get(ref.jobId)).toBe(final);
    expect(Object.isFrozen(final)).toBe(true);
    expect(Object.isFrozen(final.hosts)).toBe(true);
  });

  it('starts scans with an empty result list', () => {
    const runner = createJobRunner(() => undefined);
    const ref = runner.start('scan', () => new Promise(() => undefined));
    expect(runner.get(ref.jobId).result).toEqual([]);
  });

  it('throttles a flood of progress but always sends the final snapshot', async () => {
    vi.useFakeTimers();
    const events: JobSnapshot[] = [];
    const runner = createJobRunner((s) => events.push(s), { throttleMs: 100 });
    const ref = runner.start('install', async (ctx) => {
      for (let i = 0; i < 1000; i++) {
        ctx.progress(i / 10, `step ${i}`);
        if (i % 10 === 0) await vi.advanceTimersByTimeAsync(5);
      }
      return [outcome];
    });
    // The work itself moves the fake clock forward.
    const final = await runner.wait(ref.jobId);
    // 1000 updates over ~500 ms of job time: about one event per 100 ms, plus the first and the last.
    expect(events.length).toBeLessThanOrEqual(10);
    expect(events.at(-1)).toBe(final);
    expect(final.state).toBe('done');
    const times = events.filter((e) => e.state === 'running').map((e) => e.percent);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('publishes every step a host enters, even one that ends within the throttle interval', async () => {
    vi.useFakeTimers();
    const events: JobSnapshot[] = [];
    const runner = createJobRunner((s) => events.push(s), { throttleMs: 100 });
    const ref = runner.start(
      'install',
      async (ctx) => {
        for (const step of ['upload', 'verify', 'msiexec', 'health'] as const) {
          ctx.host('s1', { state: 'running', step, percent: 10 });
          ctx.host('s1', { percent: 50 });
        }
        return [outcome];
      },
      { s1: 'SRV-A' },
    );
    await runner.wait(ref.jobId);
    // Each host starts in the closed list's `waiting` step, then goes through each step it reports.
    expect(events[0]?.hosts.s1?.step).toBe('waiting');
    const steps = [...new Set(events.map((e) => e.hosts.s1?.step).filter((s) => s !== 'waiting'))];
    expect(steps).toEqual(['upload', 'verify', 'msiexec', 'health']);
    // Each step's last figures are published before the next step starts.
    for (const step of steps)
      expect(events.some((e) => e.hosts.s1?.step === step && e.hosts.s1?.percent === 50)).toBe(true);
    // Within a step, percentages are still coalesced.
    expect(events.filter((e) => e.state === 'running').length).toBeLessThanOrEqual(10);
  });

  it('publishes the latest state after a quiet period', async () => {
    vi.useFakeTimers();
    const events: JobSnapshot[] = [];
    const runner = createJobRunner((s) => events.push(s), { throttleMs: 100 });
    let release!: () => void;
    runner.start('install', async (ctx) => {
      ctx.progress(10, 'a');
      ctx.progress(20, 'b');
      await new Promise<void>((r) => (release = r));
      return [outcome];
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(events.at(-1)?.percent).toBe(0);
    await vi.advanceTimersByTimeAsync(150);
    expect(events.at(-1)).toMatchObject({ percent: 20, message: 'b', state: 'running' });
    release();
    await vi.runAllTimersAsync();
    expect(events.at(-1)?.state).toBe('done');
  });

  it('merges per-host progress and clamps percentages', async () => {
    const runner = createJobRunner(() => undefined);
    let check!: () => void;
    const ref = runner.start(
      'install',
      async (ctx) => {
        ctx.host('s1', { state: 'running', step: 'upload', percent: 150, bytesDone: 10, bytesTotal: 100 });
        ctx.host('s3', { label: 'SRV-C', state: 'running', step: 'verify' });
        ctx.host('s1', { message: 'Uploading' });
        await new Promise<void>((r) => (check = r));
        return [outcome];
      },
      { s1: 'SRV-A' },
    );
    await new Promise((r) => setTimeout(r, 0));
    const snap = runner.get(ref.jobId);
    expect(snap.hosts.s1).toMatchObject({
      label: 'SRV-A',
      state: 'running',
      step: 'upload',
      percent: 100,
      bytesDone: 10,
      message: 'Uploading',
    });
    expect(snap.hosts.s3).toMatchObject({ label: 'SRV-C', step: 'verify', percent: 0 });
    check();
    await runner.wait(ref.jobId);
  });

  it('reports failure with the error as data, and marks unfinished hosts', async () => {
    const runner = createJobRunner(() => undefined);
    const ref = runner.start(
      'install',
      async (ctx) => {
        ctx.host('s1', { state: 'running' });
        ctx.host('s2', { state: 'done' });
        throw new TwinlockError({
          code: 'install-failed',
          message: 'msiexec returned 1603.',
          hint: 'Read the log.',
        });
      },
      { s1: 'A', s2: 'B', s3: 'C' },
    );
    const final = await runner.wait(ref.jobId);
    expect(final.state).toBe('failed');
    expect(final.error).toEqual({
      code: 'install-failed',
      message: 'msiexec returned 1603.',
      hint: 'Read the log.',
    });
    expect(final.message).toBe('msiexec returned 1603.');
    expect(final.hosts.s1?.state).toBe('failed');
    expect(final.hosts.s2?.state).toBe('done');
    expect(final.hosts.s3?.state).toBe('skipped');
  });

  it('turns unexpected errors (even synchronous ones) into internal errors', async () => {
    const runner = createJobRunner(() => undefined);
    const ref = runner.start('pair', () => {
      throw new TypeError('boom');
    });
    const final = await runner.wait(ref.jobId);
    expect(final.state).toBe('failed');
    expect(final.error?.code).toBe('internal');
    expect(final.error?.message).toContain('boom');
  });

  it('cancels through the signal', async () => {
    const events: JobSnapshot[] = [];
    const runner = createJobRunner((s) => events.push(s));
    const ref = runner.start(
      'install',
      async (ctx) => {
        ctx.host('s1', { state: 'running' });
        return untilAborted(ctx.signal);
      },
      { s1: 'A' },
    );
    runner.cancel(ref.jobId);
    const final = await runner.wait(ref.jobId);
    expect(final.state).toBe('cancelled');
    expect(final.error?.code).toBe('cancelled');
    expect(final.hosts.s1?.state).toBe('skipped');
    expect(events.at(-1)).toBe(final);
    runner.cancel(ref.jobId);
    expect(runner.get(ref.jobId)).toBe(final);
  });

  it('keeps the partial scan results of a cancelled scan, copied so later edits do not leak', async () => {
    const runner = createJobRunner(() => undefined);
    let mutate!: () => void;
    const ref = runner.start('scan', async (ctx) => {
      const found = [host('10.0.0.1')];
      ctx.partial(found);
      mutate = () => found.push(host('10.0.0.99'));
      return untilAborted(ctx.signal);
    });
    await new Promise((r) => setTimeout(r, 0));
    expect(runner.get(ref.jobId).result).toEqual([host('10.0.0.1')]);
    mutate();
    expect(runner.get(ref.jobId).result).toHaveLength(1);
    runner.cancel(ref.jobId);
    const final = await runner.wait(ref.jobId);
    expect(final.state).toBe('cancelled');
    expect(final.result).toEqual([host('10.0.0.1')]);
  });

  it('ignores updates after the end', async () => {
    const clock = new ManualClock();
    const events: JobSnapshot[] = [];
    const runner = createJobRunner((s) => events.push(s), { clock, throttleMs: 100 });
    let late!: () => void;
    const ref = runner.start('install', async (ctx) => {
      late = () => ctx.progress(10, 'late');
      return [outcome];
    });
    const final = await runner.wait(ref.jobId);
    const count = events.length;
    late();
    // Nothing is scheduled for the late update, and nothing is sent once its throttle interval is over.
    expect(clock.timers).toBe(0);
    await clock.advance(1000);
    expect(events).toHaveLength(count);
    expect(runner.get(ref.jobId)).toBe(final);
  });

  it('says not-found for unknown jobs', async () => {
    const runner = createJobRunner(() => undefined);
    expect(() => runner.get('nope')).toThrow(TwinlockError);
    try {
      runner.get('nope');
    } catch (err) {
      expect((err as TwinlockError).code).toBe('not-found');
    }
    await expect(runner.wait('nope')).rejects.toMatchObject({ code: 'not-found' });
    expect(() => runner.cancel('nope')).toThrow(TwinlockError);
  });

  it('never starts work cancelled before it began', async () => {
    const runner = createJobRunner(() => undefined);
    const work = vi.fn(async () => [outcome]);
    const ref = runner.start('install', work);
    runner.cancel(ref.jobId);
    expect((await runner.wait(ref.jobId)).state).toBe('cancelled');
    expect(work).not.toHaveBeenCalled();
  });

  it('cancels everything and waits for the jobs to end', async () => {
    const runner = createJobRunner(() => undefined);
    const a = runner.start('install', (ctx) => untilAborted(ctx.signal));
    const b = runner.start('scan', (ctx) => untilAborted(ctx.signal));
    await runner.cancelAll();
    expect(runner.get(a.jobId).state).toBe('cancelled');
    expect(runner.get(b.jobId).state).toBe('cancelled');
    expect(runner.list().map((s) => s.id)).toEqual([b.jobId, a.jobId]);
  });

  it('does not wait forever for work that ignores cancellation', async () => {
    const clock = new ManualClock();
    const runner = createJobRunner(() => undefined, { clock });
    const ref = runner.start('install', () => new Promise(() => undefined));
    await new Promise((r) => setTimeout(r, 0));
    let returned = false;
    const cancelling = runner.cancelAll(50).then(() => (returned = true));
    // It waits out its grace period, on the runner's clock, and no longer.
    await clock.advance(49);
    expect(returned).toBe(false);
    await clock.advance(1);
    await cancelling;
    expect(returned).toBe(true);
    expect(clock.timers).toBe(0);
    expect(runner.get(ref.jobId).state).toBe('running');
  });

  it('survives a throwing listener and feeds the journal', async () => {
    const journal: JobSnapshot[] = [];
    const runner = createJobRunner(
      () => {
        throw new Error('listener bug');
      },
      { journal: { record: (s) => journal.push(s) } },
    );
    const ref = runner.start('install', async () => [outcome]);
    const final = await runner.wait(ref.jobId);
    expect(final.state).toBe('done');
    expect(journal[0]?.state).toBe('running');
    expect(journal.at(-1)).toBe(final);
  });

  it('forgets the oldest finished jobs beyond the limit', async () => {
    const runner = createJobRunner(() => undefined, { keepFinished: 2 });
    const refs = [1, 2, 3].map(() => runner.start('install', async () => [outcome]));
    for (const r of refs) await runner.wait(r.jobId);
    expect(() => runner.get(refs[0]!.jobId)).toThrow(TwinlockError);
    expect(runner.get(refs[2]!.jobId).state).toBe('done');
  });
});
