import { describe, expect, it } from 'vitest';
import type { UploadProgress } from '../../../engine/remote/types';
import {
  MAX_SFTP_WRITE,
  RESUME_REWIND,
  UPLOAD_CHUNK,
  createProgressMeter,
  resumeOffset,
} from '../../../engine/remote/sftp-upload';

describe('upload limits', () => {
  it('keeps every write within Windows OpenSSH’s 100 KB', () => {
    expect(UPLOAD_CHUNK).toBeLessThanOrEqual(MAX_SFTP_WRITE);
  });
});

describe('resumeOffset', () => {
  const MB = 1024 * 1024;
  it('starts from zero without a remote file, or with one as long or longer', () => {
    expect(resumeOffset(3 * MB, null)).toBe(0);
    expect(resumeOffset(3 * MB, 3 * MB)).toBe(0);
    expect(resumeOffset(3 * MB, 4 * MB)).toBe(0);
  });
  it('continues a shorter file, rewinding over the window that may hold holes, on a chunk boundary', () => {
    const off = resumeOffset(3 * MB, 2 * MB + 1234);
    expect(off).toBeLessThanOrEqual(2 * MB + 1234 - RESUME_REWIND);
    expect(off).toBeGreaterThan(0);
    expect(off % UPLOAD_CHUNK).toBe(0);
    expect(resumeOffset(3 * MB, 1000)).toBe(0);
  });
  it('can be turned off', () => {
    expect(resumeOffset(3 * MB, 2 * MB, false)).toBe(0);
  });
});

describe('createProgressMeter', () => {
  it('reports at most once per interval, always the final one, with a rate', () => {
    let t = 0;
    const seen: UploadProgress[] = [];
    const meter = createProgressMeter(
      1000,
      (p) => seen.push(p),
      100,
      () => t,
    );
    meter.update(0, true);
    for (let i = 1; i <= 100; i++) {
      t = i * 10;
      meter.update(i * 10);
    }
    meter.update(1000, true);
    // 1 s of updates every 10 ms on the meter's own clock: one report per 100 ms, plus the first and the last.
    expect(seen.map((p) => p.bytesDone)).toEqual([
      0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1000,
    ]);
    expect(seen[0]).toEqual({ bytesDone: 0, bytesTotal: 1000, rateBps: 0 });
    expect(seen.at(-1)).toMatchObject({ bytesDone: 1000, bytesTotal: 1000 });
    // 10 bytes per 10 ms = 1000 B/s.
    expect(seen.at(-1)!.rateBps).toBe(1000);
  });
});
