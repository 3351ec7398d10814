/**
 * The restart step restarts a server at most once per job: a resumed job reads the boot time and
 * the journal's record of its request before it asks Windows for anything.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TwinlockError } from '../../../engine/api/errors';
import type { InstallTimings, InstallTarget } from '../../../engine/agent/install-types';
import { ReconnectingHost } from '../../../engine/agent/reconnecting-host';
import { systemClock } from '../../../engine/jobs/sleep';
import { ManualClock } from '../../helpers/manual-clock';
import {
  bootedSince,
  memoryRestartJournal,
  readBootTime,
  rebootAndWait,
} from '../../../engine/agent/reboot-step';
import type { RestartRecord } from '../../../engine/agent/reboot-step';
import { fakeContext, fakeHost } from './fakes';
import type { FakeHost } from './fakes';

const BEFORE = '2026-11-28T10:00:00.0000000Z';
const AFTER = '2026-12-01T10:00:00.0000000Z';
const opts: Required<InstallTimings> = {
  busyRetryDelaysMs: [1],
  healthTimeoutMs: 50,
  healthIntervalMs: 1,
  msiTimeoutMs: 1000,
  uploadRetryDelaysMs: [1],
  rebootTimeoutMs: 5_000,
  rebootPollMs: 5,
  rebootDelaySeconds: 5,
  clock: systemClock,
};

/** A server that restarts `delayMs` after `restart()` is called (resolving once it is back), answering get-identity with its boot time. */
function server(options: { scheduled?: boolean } = {}) {
  let booted = BEFORE;
  let scheduled = options.scheduled ?? false;
  let down = false;
  const hosts: FakeHost[] = [];
  const restart = (delayMs: number) =>
    new Promise<void>((back) => {
      scheduled = true;
      setTimeout(() => {
        down = true;
        for (const h of hosts) void h.close();
        setTimeout(() => {
          booted = AFTER;
          scheduled = false;
          down = false;
          back();
        }, 20);
      }, delayMs);
    });
  const open = (): FakeHost => {
    const h = fakeHost('HV-A', {
      'get-identity': () => ({ computerName: 'HV-A', lastBootUpTime: booted }),
      'restart-host': () => {
        if (scheduled)
          return {
            scheduled: false,
            alreadyPending: true,
            exitCode: 1190,
            delaySeconds: 5,
            lastBootUpTime: booted,
          };
        void restart(10);
        return {
          scheduled: true,
          alreadyPending: false,
          exitCode: 0,
          delaySeconds: 5,
          lastBootUpTime: booted,
        };
      },
    });
    hosts.push(h);
    return h;
  };
  const target: InstallTarget = {
    sessionId: 's1',
    label: 'HV-A',
    host: open(),
    reconnect: () => {
      if (down)
        return Promise.reject(new TwinlockError({ code: 'unreachable', message: 'HV-A does not answer.' }));
      return Promise.resolve(open());
    },
  };
  const restartCalls = () => hosts.reduce((n, h) => n + h.scripts('restart-host').length, 0);
  return { target, restart, restartCalls, hosts };
}

function journalWith(facts: RestartRecord) {
  const journal = memoryRestartJournal();
  void journal.note(facts);
  return journal;
}

describe('rebootAndWait', () => {
  it('records the boot time before asking for the restart, then the request', async () => {
    const s = server();
    const journal = memoryRestartJournal();
    const result = await rebootAndWait(
      fakeContext<'install'>(),
      s.target,
      new ReconnectingHost(s.target),
      opts,
      () => undefined,
      false,
      journal,
    );
    expect(result).toBe('restarted');
    expect(s.restartCalls()).toBe(1);
    const first = s.hosts[0]!.calls.filter((c) => c.kind === 'script').map(
      (c) => (c as { name: string }).name,
    );
    expect(first).toEqual(['get-identity', 'restart-host']);
    expect(journal.read().bootTime).toBe(BEFORE);
    expect(Date.parse(journal.read().restartRequestedAt!)).toBeGreaterThan(Date.now() - 10_000);
  });

  it('does not restart a server whose boot time shows the restart already happened', async () => {
    const s = server();
    await s.restart(0);
    const t = { ...s.target, host: await s.target.reconnect!() };
    const journal = journalWith({
      bootTime: BEFORE,
      restartRequestedAt: new Date(Date.now() - 60_000).toISOString(),
    });
    const result = await rebootAndWait(
      fakeContext<'install'>(),
      t,
      new ReconnectingHost(t),
      opts,
      () => undefined,
      false,
      journal,
    );
    expect(result).toBe('already-restarted');
    expect(s.restartCalls()).toBe(0);
  });

  it('waits for a restart the journal says was requested, without asking again', async () => {
    const s = server({ scheduled: true });
    const journal = journalWith({ bootTime: BEFORE, restartRequestedAt: new Date().toISOString() });
    setTimeout(() => void s.restart(0), 40);
    const result = await rebootAndWait(
      fakeContext<'install'>(),
      s.target,
      new ReconnectingHost(s.target),
      opts,
      () => undefined,
      false,
      journal,
    );
    expect(result).toBe('restarted');
    expect(s.restartCalls()).toBe(0);
  });

  it('takes Windows refusing a second restart (1190) as the first one still pending, and waits for it', async () => {
    const s = server({ scheduled: true });
    const journal = journalWith({ bootTime: BEFORE });
    setTimeout(() => void s.restart(0), 40);
    const result = await rebootAndWait(
      fakeContext<'install'>(),
      s.target,
      new ReconnectingHost(s.target),
      opts,
      () => undefined,
      false,
      journal,
    );
    expect(result).toBe('restarted');
    expect(s.restartCalls()).toBe(1);
  });

  it('waits on when the connection drops but the server did not restart', async () => {
    const s = server({ scheduled: true });
    const journal = journalWith({ bootTime: BEFORE, restartRequestedAt: new Date().toISOString() });
    // A network blip first: the session drops, the boot time stays; the real restart comes later.
    let restarted = false;
    setTimeout(() => void s.hosts[0]!.close(), 20);
    setTimeout(() => {
      restarted = true;
      void s.restart(0);
    }, 150);
    const result = await rebootAndWait(
      fakeContext<'install'>(),
      s.target,
      new ReconnectingHost(s.target),
      opts,
      () => undefined,
      false,
      journal,
    );
    expect(result).toBe('restarted');
    // It came back from the real restart, not from the blip.
    expect(restarted).toBe(true);
    expect(s.restartCalls()).toBe(0);
  });
});

describe('bootedSince', () => {
  it('counts a later boot, not the jitter of LastBootUpTime or an unreadable value', () => {
    expect(bootedSince(BEFORE, AFTER)).toBe(true);
    expect(bootedSince(BEFORE, '2026-11-28T10:00:00.6000000Z')).toBe(false);
    expect(bootedSince(AFTER, BEFORE)).toBe(false);
    expect(bootedSince(BEFORE, 'yesterday')).toBe(false);
  });
});

describe('readBootTime', () => {
  it('reads LastBootUpTime as Windows PowerShell 5.1 prints it, and nothing else', async () => {
    const golden = JSON.parse(
      readFileSync(join(import.meta.dirname, '../../fixtures/identity/matched-node-a.json'), 'utf8'),
    ).data;
    expect(await readBootTime(fakeHost('HV-A', { 'get-identity': () => golden }))).toBe(
      '2025-11-26T14:50:12.3450000Z',
    );
    expect(
      await readBootTime(
        fakeHost('HV-A', { 'get-identity': () => ({ ...golden, lastBootUpTime: undefined }) }),
      ),
    ).toBeNull();
    expect(
      await readBootTime(fakeHost('HV-A', { 'get-identity': () => ({ ...golden, lastBootUpTime: 'soon' }) })),
    ).toBeNull();
  });
  it('gives up after the restart timeout on its clock, however long that is in real time', async () => {
    // A restart was asked for, but the server never goes down: 15 minutes, moved by the test.
    const clock = new ManualClock();
    const s = server({ scheduled: true });
    const journal = journalWith({
      bootTime: BEFORE,
      restartRequestedAt: new Date(clock.now()).toISOString(),
    });
    const waiting = rebootAndWait(
      fakeContext<'install'>(),
      s.target,
      new ReconnectingHost(s.target),
      { ...opts, clock, rebootTimeoutMs: 15 * 60_000, rebootPollMs: 2_000 },
      () => undefined,
      false,
      journal,
    ).then(
      () => null,
      (err: unknown) => err,
    );
    let outcome: unknown;
    void waiting.then((e) => (outcome = e));
    await clock.advance(15 * 60_000 - 1_000);
    expect(outcome).toBeUndefined();
    await clock.advance(1_000);
    expect(await waiting).toMatchObject({
      code: 'timeout',
      message: 'HV-A did not come back within 15 min of its restart.',
    });
    expect(s.restartCalls()).toBe(0);
  });
});
