import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ErrorCodeSchema, ErrorDataSchema, JobSnapshotSchema } from '../../../engine/api';

describe('errors on the wire', () => {
  it('carry one of the closed codes, never another string', () => {
    expect(ErrorCodeSchema.options).toEqual([...ERROR_CODES]);
    expect(ErrorDataSchema.safeParse({ code: 'oops', message: 'x' }).success).toBe(false);
    expect(ErrorDataSchema.safeParse({ code: 'timeout', message: 'x' }).success).toBe(true);
  });

  it('check the detail a shell reads by its code, and keep the other facts as they are', () => {
    const unknownKey = {
      code: 'unknown-host-key',
      message: 'Compare the fingerprint.',
      detail: { fingerprint: 'SHA256:abc', checkCommand: 'Get-…', extra: 1 },
    };
    expect(ErrorDataSchema.parse(unknownKey)).toEqual(unknownKey);
    expect(ErrorDataSchema.safeParse({ ...unknownKey, detail: { checkCommand: 'x' } }).success).toBe(false);
    const refused = {
      code: 'invalid-input',
      message: 'name: bad',
      detail: { field: 'name', issues: [{ field: 'name', message: 'bad' }] },
    };
    expect(ErrorDataSchema.parse(refused)).toEqual(refused);
    expect(
      ErrorDataSchema.safeParse({ ...refused, detail: { field: 'name', issues: [{ message: 'bad' }] } })
        .success,
    ).toBe(false);
    expect(
      ErrorDataSchema.safeParse({ code: 'publisher-untrusted', message: 'x', detail: { subject: 'CN=x' } })
        .success,
    ).toBe(false);
    expect(
      ErrorDataSchema.safeParse({
        code: 'install-failed',
        message: 'x',
        detail: { host: 'HV-A', exitCode: 1603 },
      }).success,
    ).toBe(true);
  });

  it('hold a failed job’s error to the same rules', () => {
    const job = {
      id: 'j1',
      kind: 'fix',
      state: 'failed',
      startedAt: '2026-01-01T00:00:00Z',
      finishedAt: '2026-01-01T00:00:01Z',
      percent: 10,
      message: 'Failed',
      hosts: {},
      result: null,
    };
    expect(JobSnapshotSchema.safeParse({ ...job, error: { code: 'timeout', message: 'x' } }).success).toBe(
      true,
    );
    expect(JobSnapshotSchema.safeParse({ ...job, error: { code: 'E_TIMEOUT', message: 'x' } }).success).toBe(
      false,
    );
  });
});
