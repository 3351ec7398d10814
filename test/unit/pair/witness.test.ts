import { describe, expect, it } from 'vitest';
import type { Witness } from '../../../engine/api/models';
import type { RemoteHost } from '../../../engine/remote/types';
import { checkWitnessFrom, witnessIssues } from '../../../engine/pair/witness';

/** A server whose test-witness answers `answer` (or throws it), recording the parameters it got. */
function server(answer: unknown, seen: unknown[] = []): RemoteHost {
  return {
    label: 'x',
    address: 'x',
    port: 22,
    username: 'u',
    fingerprint: '',
    async runScript(name: string, params: unknown) {
      seen.push({ name, params });
      if (answer instanceof Error) throw answer;
      return answer;
    },
    upload: async () => {},
    mkdirp: async () => {},
    isConnected: () => true,
    close: async () => {},
  } as RemoteHost;
}

const share: Witness = { kind: 'file-share', address: '\\\\files\\twinlock' };
const host: Witness = { kind: 'host', address: 'witness01' };
const ok = { reached: true, step: null, error: null, message: '', bytes: 40, rttMs: 3 };

describe('checkWitnessFrom', () => {
  it('checks from every server, each with its own probe file, and passes only when all reached it', async () => {
    const seen: any[] = [];
    const check = await checkWitnessFrom(
      [
        { computerName: 'A', host: server(ok, seen) },
        { computerName: 'B', host: server(ok, seen) },
      ],
      share,
    );
    expect(check.ok).toBe(true);
    expect(check.from.map((f) => f.message)).toEqual([
      'Wrote 40 bytes to \\\\files\\twinlock, read them back and deleted the file (3 ms).',
      'Wrote 40 bytes to \\\\files\\twinlock, read them back and deleted the file (3 ms).',
    ]);
    expect(seen.map((s) => s.name)).toEqual(['test-witness', 'test-witness']);
    expect(seen[0].params.probeId).not.toBe(seen[1].params.probeId);
    expect(seen[0].params).toMatchObject({ kind: 'file-share', address: '\\\\files\\twinlock', port: null });
  });

  it('uses port 7443 for a host unless told, and says why each failure happened', async () => {
    const seen: any[] = [];
    const check = await checkWitnessFrom(
      [
        {
          computerName: 'A',
          host: server({ ...ok, reached: false, step: 'connect', error: 'Refused' }, seen),
        },
        { computerName: 'B', host: server({ ...ok, reached: false, step: 'connect', error: 'TimedOut' }) },
      ],
      host,
    );
    expect(seen[0].params).toMatchObject({ kind: 'host', port: 7443 });
    expect(check.ok).toBe(false);
    expect(check.from[0]!.message).toContain('nothing listens on TCP 7443');
    expect(check.from[1]!.message).toContain('a firewall between B and the witness');
    expect(witnessIssues(check).map((i) => i.field)).toEqual(['witness.address', 'witness.address']);
    const denied = await checkWitnessFrom(
      [{ computerName: 'B', host: server({ ...ok, reached: false, step: 'write', error: 'AccessDenied' }) }],
      share,
    );
    expect(denied.from[0]!.message).toContain('B may not write to \\\\files\\twinlock');
    const broken = await checkWitnessFrom([{ computerName: 'A', host: server(new Error('pipe closed')) }], {
      ...host,
      port: 9000,
    });
    expect(broken.from[0]).toMatchObject({ ok: false, message: expect.stringContaining('pipe closed') });
  });
});
