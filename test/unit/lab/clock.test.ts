import { describe, expect, it } from 'vitest';
import { LabClock } from '../../../lab/clock';

describe('LabClock', () => {
  it('turns lab seconds into real time at its scale', () => {
    const clock = new LabClock(60);
    expect(clock.realMs(180)).toBe(3000);
    expect(() => new LabClock(0)).toThrow(/positive/);
  });

  it('paused, runs nothing by itself; advanced, runs what falls due, in order, and reads the new time', async () => {
    const clock = new LabClock(1000);
    clock.pause();
    const start = clock.now();
    const ran: string[] = [];
    clock.after(clock.realMs(30), () => ran.push(`b@${clock.labSecondsSince(start)}`));
    clock.after(clock.realMs(10), () => ran.push(`a@${clock.labSecondsSince(start)}`));
    const cancel = clock.after(clock.realMs(20), () => ran.push('cancelled'));
    cancel();
    const slept = clock.sleep(25).then(() => ran.push('slept'));
    await new Promise((r) => setImmediate(r));
    expect(ran).toEqual([]);
    await clock.advance(10);
    expect(ran).toEqual(['a@10']);
    await clock.advance(20);
    await slept;
    expect(ran).toEqual(['a@10', 'slept', 'b@30']);
    expect(clock.labSecondsSince(start)).toBe(30);
  });

  it('resumes from where it stands, and refuses to advance while running', async () => {
    const clock = new LabClock(1000);
    clock.pause();
    const paused = clock.now();
    await clock.advance(3600);
    clock.resume();
    expect(clock.now()).toBeGreaterThanOrEqual(paused + clock.realMs(3600));
    await expect(clock.advance(1)).rejects.toThrow(/paused/);
    // Timers set while it runs fire in real time.
    await new Promise<void>((resolve) => clock.after(1, resolve));
  });

  it('passes network time in real time even while paused', async () => {
    const clock = new LabClock(60);
    clock.pause();
    await clock.network(1);
    await clock.network(0);
  });
});
