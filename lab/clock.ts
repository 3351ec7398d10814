/**
 * Lab time. Durations inside the lab (an msiexec run, a storage mirror, a reboot) are stated in
 * lab seconds and pass `timeScale` times faster than real time, so a "3-minute mirror" takes
 * three real seconds at the default scale of 60. Wall-clock readings (a server's date) stay real.
 */
export class LabClock {
  /** Lab seconds per real second; a test may change it (durations already running then stretch or shrink). */
  timeScale: number;

  constructor(timeScale: number) {
    if (!(timeScale > 0)) throw new Error('timeScale must be positive');
    this.timeScale = timeScale;
  }

  /** Real milliseconds that `labSeconds` take. */
  realMs(labSeconds: number): number {
    return (labSeconds * 1000) / this.timeScale;
  }

  /** Lab seconds elapsed since a real `Date.now()` reading. */
  labSecondsSince(realStartMs: number): number {
    return ((Date.now() - realStartMs) * this.timeScale) / 1000;
  }

  /** Waits `labSeconds` of lab time. */
  sleep(labSeconds: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, this.realMs(labSeconds)));
  }
}
