/**
 * The record a server keeps of the link addresses Twinlock added to its adapters
 * (`C:\ProgramData\Twinlock\link-addresses.json`, written by set-link-address and taken from by
 * remove-link-address): an unpairing removes those, and leaves the addresses the admin set.
 * Kept on the server, so every workstation that unpairs it reads the same record.
 */
import { z } from 'zod';
import { parseScriptResult } from '../agent/script-results';
import type { RemoteHost, RunOptions } from '../remote/types';

export const RecordedLinkAddressSchema = z.object({
  adapter: z.string(),
  address: z.string(),
  prefixLength: z.number().int(),
  addedAt: z.string(),
});
export type RecordedLinkAddress = z.infer<typeof RecordedLinkAddressSchema>;

/** PowerShell 5.1 may answer a one-entry list as the bare entry, and an empty one as null. */
const GetLinkAddressesSchema = z.object({
  path: z.string(),
  exists: z.boolean(),
  addresses: z.preprocess(
    (v) => (v === null || v === undefined ? [] : Array.isArray(v) ? v : [v]),
    z.array(RecordedLinkAddressSchema),
  ),
});

/** Reads a server's record of the link addresses Twinlock added (none recorded: empty). */
export async function readLinkAddressRecord(
  host: RemoteHost,
  options: RunOptions = {},
): Promise<RecordedLinkAddress[]> {
  const raw = await host.runScript('get-link-addresses', {}, options);
  return parseScriptResult('get-link-addresses', GetLinkAddressesSchema, raw, host.label).addresses;
}

/** Whether the record holds an address on an adapter (adapter names compared as Windows does, without case). */
export function isRecorded(
  record: readonly RecordedLinkAddress[],
  adapter: string,
  address: string,
): boolean {
  return record.some(
    (e) =>
      e.address.toLowerCase() === address.toLowerCase() && e.adapter.toLowerCase() === adapter.toLowerCase(),
  );
}
