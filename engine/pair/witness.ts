/**
 * The witness checked from both servers, in parallel, with test-witness.ps1: a witness host must
 * answer on its TCP port, a file share must take a probe file written, read back and deleted.
 * A pair whose servers cannot both reach its witness would lose its tie-breaker exactly when it
 * needs one, so the pairing refuses it before anything changes.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Witness, WitnessCheck } from '../api/models';
import { WITNESS_PORT } from '../api/models';
import { toErrorData } from '../api/errors';
import type { RemoteHost } from '../remote/types';

/** How long a witness host has to accept the connection. */
export const WITNESS_TIMEOUT_MS = 3000;

/** One server to check from. */
export interface WitnessVantage {
  computerName: string;
  host: RemoteHost;
}

const AnswerSchema = z.object({
  reached: z.boolean(),
  step: z.string().nullable().optional(),
  error: z.string().nullable().optional(),
  message: z.string().nullable().optional(),
  bytes: z.number().nullable().optional(),
  rttMs: z.number().nullable().optional(),
});
type Answer = z.infer<typeof AnswerSchema>;

/** The port a host witness is reached on. */
export function witnessPort(witness: Witness): number {
  return witness.port ?? WITNESS_PORT;
}

/** What one server's answer means, in words for an admin. */
export function describeAnswer(witness: Witness, from: string, answer: Answer): string {
  const { address } = witness;
  const port = witnessPort(witness);
  const seconds = `${WITNESS_TIMEOUT_MS / 1000} s`;
  if (witness.kind === 'host') {
    if (answer.reached) return `TCP ${port} on ${address} reached in ${answer.rttMs ?? 0} ms.`;
    switch (answer.error ?? '') {
      case 'Refused':
        return `${address} answered, but nothing listens on TCP ${port}: start the witness service there, or give the port it listens on.`;
      case 'TimedOut':
        return `No answer from ${address} on TCP ${port} within ${seconds}: a firewall between ${from} and the witness may drop the traffic; allow TCP ${port} to it.`;
      case 'NotFound':
        return `${address} could not be found from ${from} (the name does not resolve): check the name, or give its IP address.`;
      case 'Unreachable':
        return `${address} is unreachable from ${from} (no route to it): check ${from}'s network and routes.`;
      default:
        return `${from} could not reach ${address} on TCP ${port}${answer.message ? `: ${answer.message}` : '.'}`;
    }
  }
  if (answer.reached)
    return `Wrote ${answer.bytes ?? 0} bytes to ${address}, read them back and deleted the file (${answer.rttMs ?? 0} ms).`;
  switch (answer.error ?? '') {
    case 'NotFound':
      return `The share ${address} was not found from ${from}: check the server and share names, and that ${from} reaches that server over SMB (TCP 445).`;
    case 'AccessDenied':
      return `${from} may not ${answer.step === 'delete' ? 'delete files in' : 'write to'} ${address}: give its computer account (${from}$) Change permission on the share and Modify on its folder.`;
    case 'Mismatch':
      return `What ${from} read back from ${address} differs from what it wrote: the share does not keep files faithfully (a filter or a full disk?).`;
    case 'Unreachable':
    case 'TimedOut':
      return `The server of ${address} is unreachable from ${from}: check the network between them (SMB, TCP 445).`;
    default:
      return `${from} could not ${answer.step ?? 'write'} a file in ${address}${answer.message ? `: ${answer.message}` : '.'}`;
  }
}

/** Checks `witness` from each server at once; `ok` only when every one reached it. */
export async function checkWitnessFrom(
  vantages: readonly WitnessVantage[],
  witness: Witness,
  options: { signal?: AbortSignal } = {},
): Promise<WitnessCheck> {
  const from = await Promise.all(
    vantages.map(async (v) => {
      try {
        const raw = await v.host.runScript(
          'test-witness',
          {
            kind: witness.kind === 'host' ? 'host' : 'file-share',
            address: witness.address,
            port: witness.kind === 'host' ? witnessPort(witness) : null,
            timeoutMs: WITNESS_TIMEOUT_MS,
            // Each server writes its own probe file: two checks at once never read each other's.
            probeId: randomBytes(8).toString('hex'),
          },
          { timeoutMs: WITNESS_TIMEOUT_MS + 30_000, ...(options.signal ? { signal: options.signal } : {}) },
        );
        const answer = AnswerSchema.parse(raw);
        return {
          computerName: v.computerName,
          ok: answer.reached,
          message: describeAnswer(witness, v.computerName, answer),
          rttMs: answer.reached ? (answer.rttMs ?? null) : null,
        };
      } catch (err) {
        return {
          computerName: v.computerName,
          ok: false,
          message: `${v.computerName} could not check the witness: ${toErrorData(err).message}`,
          rttMs: null,
        };
      }
    }),
  );
  return { witness, from, ok: from.every((f) => f.ok) };
}

/** A failed check as preflight issues on `field` (`witness.address`), one per server that could not reach it. */
export function witnessIssues(
  check: WitnessCheck,
  field = 'witness.address',
): Array<{ field: string; message: string }> {
  return check.from
    .filter((f) => !f.ok)
    .map((f) => ({
      field,
      message: `${f.computerName} cannot reach the witness ${check.witness.address}: ${f.message}`,
    }));
}
