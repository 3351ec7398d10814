/**
 * The checks a sync link's addresses get as they are typed: each an IP address, a prefix length
 * that fits it, both on the same subnet and different. Whether an address collides with one
 * already on a server (or a route) only the engine knows: its answer is shown beside the field.
 */
import type { SyncLink } from '../../engine/api';

/** The fields of one link the page edits, as in the engine's field names (`links.0.localAddress`). */
export type LinkField = 'localNic' | 'remoteNic' | 'localAddress' | 'remoteAddress' | 'prefixLength';

function ipv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const p of parts) {
    // Windows reads 010 as octal; four plain decimal parts only.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return null;
    value = value * 256 + Number(p);
  }
  return value;
}

function looksIpv6(text: string): boolean {
  return /^[0-9A-Fa-f:]+$/.test(text) && text.includes(':') && (text.match(/::/g)?.length ?? 0) <= 1;
}

function addressProblem(text: string): string | null {
  if (text === '') return 'Enter the IP address, for example 172.30.0.1.';
  if (text !== text.trim()) return 'The address starts or ends with a space: remove it.';
  if (ipv4(text) === null && !looksIpv6(text)) return 'Use an IP address, for example 172.30.0.1.';
  return null;
}

/** The problem of each field of a link, by field; empty when it is fine. */
export function linkProblems(link: SyncLink): Partial<Record<LinkField, string>> {
  const out: Partial<Record<LinkField, string>> = {};
  if (link.localNic === '') out.localNic = 'Choose the adapter on this server.';
  if (link.remoteNic === '') out.remoteNic = 'Choose the adapter on this server.';
  const local = addressProblem(link.localAddress);
  const remote = addressProblem(link.remoteAddress);
  if (local) out.localAddress = local;
  if (remote) out.remoteAddress = remote;
  const a = ipv4(link.localAddress);
  const b = ipv4(link.remoteAddress);
  const max = a !== null || b !== null ? 32 : 128;
  const prefix = link.prefixLength;
  if (prefix !== undefined && (!Number.isInteger(prefix) || prefix < 1 || prefix > max)) {
    out.prefixLength = `A prefix length is a whole number from 1 to ${max}.`;
    return out;
  }
  if (local || remote) return out;
  if (link.localAddress === link.remoteAddress) {
    out.remoteAddress = 'Both ends have the same address: give each server its own.';
    return out;
  }
  if (a !== null && b !== null) {
    const bits = prefix ?? 24;
    const size = 2 ** (32 - bits);
    if (Math.floor(a / size) !== Math.floor(b / size)) {
      out.remoteAddress = `Not on the same /${bits} subnet as ${link.localAddress}: use a neighbouring address or a shorter prefix.`;
    } else if (bits <= 30) {
      for (const [field, value] of [
        ['localAddress', a],
        ['remoteAddress', b],
      ] as const) {
        if (value % size === 0)
          out[field] = `That is the subnet’s own address on a /${bits}: use one inside it.`;
        else if (value % size === size - 1)
          out[field] = `That is the /${bits} subnet’s broadcast address: use one inside it.`;
      }
    }
  }
  return out;
}
