/**
 * test-witness.ps1: a witness host answers on its port when the world has it there; a share is a
 * real folder, written, read back and cleaned up as the script does on Windows. Faults: the
 * witness unreachable from a server (its packets dropped: the connect times out, the share's path
 * is not found), the share read-only for a server (access denied at the write).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { str } from './types';
import type { ScriptHandler } from './types';

export const testWitness: ScriptHandler = ({ host, world, params }) => {
  const kind = str(params, 'kind');
  const address = str(params, 'address');
  const witness = world.witness ?? { hosts: [], shares: [] };
  const answer = (port: number | null, failure: { step: string; error: string } | null, bytes = 0) => ({
    kind,
    address,
    port,
    reached: failure === null,
    step: failure?.step ?? null,
    error: failure?.error ?? null,
    message: '',
    bytes,
    rttMs: failure === null ? 1 : 0,
  });

  if (kind === 'host') {
    const port = Math.trunc(Number(params.port)) || 0;
    const named = witness.hosts.filter((h) => h.address.toLowerCase() === address.toLowerCase());
    const known =
      named.length > 0 ||
      world.hosts.some((h) => h.name.toLowerCase() === address.toLowerCase()) ||
      /^\d{1,3}(\.\d{1,3}){3}$/.test(address);
    if (host.faults.witnessUnreachable) return answer(port, { step: 'connect', error: 'TimedOut' });
    if (witness.everywhere !== undefined) return answer(port, null);
    if (!known) return answer(port, { step: 'connect', error: 'NotFound' });
    if (!named.some((h) => h.port === port)) return answer(port, { step: 'connect', error: 'Refused' });
    return answer(port, null);
  }

  const everywhere =
    witness.everywhere === undefined
      ? undefined
      : {
          path: address,
          dir: join(
            witness.everywhere,
            createHash('sha256').update(address.toLowerCase()).digest('hex').slice(0, 16),
          ),
        };
  if (everywhere) mkdirSync(everywhere.dir, { recursive: true });
  const share = everywhere ?? witness.shares.find((s) => s.path.toLowerCase() === address.toLowerCase());
  if (!share || host.faults.witnessUnreachable) return answer(null, { step: 'write', error: 'NotFound' });
  if (host.faults.witnessShareReadOnly) return answer(null, { step: 'write', error: 'AccessDenied' });
  const probeId = str(params, 'probeId');
  const file = join(share.dir, `twinlock-witness-${probeId}.tmp`);
  const content = Buffer.from(`Twinlock witness check ${probeId}`, 'utf8');
  writeFileSync(file, content);
  const back = readFileSync(file);
  rmSync(file, { force: true });
  return back.equals(content)
    ? answer(null, null, back.length)
    : answer(null, { step: 'read', error: 'Mismatch' }, back.length);
};
