/**
 * Lab time. Durations inside the lab (an msiexec run, a storage mirror, a reboot, a twinlockctl
 * verb's delay) are stated in lab seconds and pass `timeScale` times faster than real time, so a
 * "3-minute mirror" takes three real seconds at the default scale of 60. Every such duration is
 * measured and waited on through this clock (`now`, `after`, `sleep`), so a test may also stop it
 * (`pause`) and move it itself (`advance`): the servers then do nothing on their own until told.
 * The network's delays (each exec's latency, a slow connect) go through `network`: real time even
 * while paused, so that a paused lab still answers its scripts. Wall-clock readings (a server's
 * date, its last boot time) stay real.
 */

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  /** The real timer while the clock runs. */
  handle: ReturnType<typeof setTimeout> | null;
}

/** Lets the work a timer resumed (promise chains, socket callbacks already due) run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

export class LabClock {
  /** Lab seconds per real second; a test may change it (durations already running then stretch or shrink). */
  timeScale: number;
  /** The reading while paused; null while the clock follows real time. */
  private pausedAt: number | null = null;
  /** Real time skipped by `advance` (or lost while paused) so far. */
  private offset = 0;
  private seq = 0;
  private timers = new Set<Timer>();

  constructor(timeScale: number) {
    if (!(timeScale > 0)) throw new Error('timeScale must be positive');
    this.timeScale = timeScale;
  }

  /** Real milliseconds that `labSeconds` take. */
  realMs(labSeconds: number): number {
    return (labSeconds * 1000) / this.timeScale;
  }

  /** The lab's reading in real milliseconds: `Date.now()` while it runs and nobody moved it. */
  now(): number {
    return this.pausedAt ?? Date.now() + this.offset;
  }

  /** Lab seconds elapsed since a reading of {@link now}. */
  labSecondsSince(startMs: number): number {
    return ((this.now() - startMs) * this.timeScale) / 1000;
  }

  /** Calls `fn` after `realMs` of lab time; returns what cancels it. Never keeps the process alive. */
  after(realMs: number, fn: () => void): () => void {
    const timer: Timer = { at: this.now() + Math.max(0, realMs), seq: this.seq++, fn, handle: null };
    this.timers.add(timer);
    if (this.pausedAt === null) this.arm(timer);
    return () => {
      if (timer.handle) clearTimeout(timer.handle);
      this.timers.delete(timer);
    };
  }

  /** Waits `labSeconds` of lab time. */
  sleep(labSeconds: number): Promise<void> {
    return this.sleepMs(this.realMs(labSeconds));
  }

  /** Waits `realMs` of lab time, stated in real milliseconds. */
  sleepMs(realMs: number): Promise<void> {
    return new Promise((resolve) => this.after(realMs, resolve));
  }

  /** Waits `realMs` of network time (an exec's latency, a slow connect): real time, paused or not. */
  network(realMs: number): Promise<void> {
    return realMs > 0 ? new Promise((resolve) => setTimeout(resolve, realMs)) : Promise.resolve();
  }

  /** Stops the clock: lab durations then end only through {@link advance}. */
  pause(): void {
    if (this.pausedAt !== null) return;
    this.pausedAt = this.now();
    for (const timer of this.timers) {
      if (timer.handle) clearTimeout(timer.handle);
      timer.handle = null;
    }
  }

  /** Lets the clock follow real time again, from where it stands. */
  resume(): void {
    if (this.pausedAt === null) return;
    this.offset = this.pausedAt - Date.now();
    this.pausedAt = null;
    for (const timer of this.timers) this.arm(timer);
  }

  /**
   * Moves a paused clock forward by `labSeconds`, running each lab timer that falls due on the
   * way, in order, and letting what each one starts run before the next.
   */
  async advance(labSeconds: number): Promise<void> {
    if (this.pausedAt === null) throw new Error('advance needs a paused clock: call pause() first');
    const until = this.pausedAt + this.realMs(labSeconds);
    await settle();
    for (;;) {
      const next = [...this.timers].sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next || next.at > until) break;
      this.timers.delete(next);
      this.pausedAt = Math.max(this.pausedAt, next.at);
      next.fn();
      await settle();
    }
    this.pausedAt = until;
    await settle();
  }

  private arm(timer: Timer): void {
    timer.handle = setTimeout(
      () => {
        // Node's timers may fire a millisecond before Date.now() says they are due: a lab timer
        // never runs before the lab's own reading reaches it.
        if (this.now() < timer.at) return this.arm(timer);
        this.timers.delete(timer);
        timer.fn();
      },
      Math.max(0, timer.at - this.now()),
    );
    timer.handle.unref();
  }
}
