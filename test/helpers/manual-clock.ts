/**
 * A clock for the engine's waits (engine/jobs/sleep.ts) that moves only when the test says so:
 * `advance(ms)` runs the timers that fall due, in order, letting the work each one resumes run
 * before the next. `timer` events tell a test that the code under test has started to wait.
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../../engine/jobs/sleep';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

/** Lets promise chains and I/O callbacks that are already due run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

export class ManualClock extends EventEmitter implements Clock {
  private current: number;
  private seq = 0;
  private pending: Pending[] = [];

  constructor(start = Date.parse('2026-12-01T10:00:00Z')) {
    super();
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  timer(ms: number, fn: () => void): () => void {
    const entry: Pending = { at: this.current + Math.max(0, ms), seq: this.seq++, fn };
    this.pending.push(entry);
    this.emit('timer', ms);
    return () => {
      this.pending = this.pending.filter((p) => p !== entry);
    };
  }

  /** Timers set and not yet run or cancelled. */
  get timers(): number {
    return this.pending.length;
  }

  /** Moves time forward by `ms`, running each timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const until = this.current + ms;
    await settle();
    for (;;) {
      const next = [...this.pending].sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next || next.at > until) break;
      this.pending = this.pending.filter((p) => p !== next);
      this.current = Math.max(this.current, next.at);
      next.fn();
      await settle();
    }
    this.current = until;
    await settle();
  }
}
