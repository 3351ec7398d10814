import { describe, expect, it } from 'vitest';
import { sleep } from '../../../engine/jobs/sleep';
import { ManualClock } from '../../helpers/manual-clock';

describe('sleep', () => {
  it('waits on the clock it is given, and only as long as asked', async () => {
    const clock = new ManualClock();
    let woke = false;
    const waiting = sleep(1000, undefined, clock).then(() => (woke = true));
    await clock.advance(999);
    expect(woke).toBe(false);
    await clock.advance(1);
    await waiting;
    expect(woke).toBe(true);
  });

  it('is cut short by a cancel, with cancelled, and leaves no timer behind', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal, clock);
    expect(clock.timers).toBe(1);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'cancelled' });
    expect(clock.timers).toBe(0);
    await expect(sleep(1, controller.signal, clock)).rejects.toMatchObject({ code: 'cancelled' });
  });
});
