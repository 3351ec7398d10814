/**
 * set-link-address.ps1, remove-link-address.ps1 and get-link-addresses.ps1: a sync link's address
 * on its adapter (`profile.nics[].ipv4`, which get-inventory reads), and the record of the
 * addresses Twinlock added, `C:\ProgramData\Twinlock\link-addresses.json` on the server's drive
 * (written as Windows PowerShell 5.1's Set-Content writes it: UTF-8 with a byte-order mark).
 */
import { isIP } from 'node:net';
import type { LabHost } from '../host';
import { scriptThrow } from '../powershell-shapes';
import { str } from './types';
import type { ScriptHandler } from './types';

/** Where a server keeps the record of the link addresses Twinlock added. */
export const LINK_ADDRESS_RECORD = 'C:\\ProgramData\\Twinlock\\link-addresses.json';

/** One link address Twinlock added. */
export interface RecordedLinkAddress {
  adapter: string;
  address: string;
  prefixLength: number;
  addedAt: string;
}

/** The record on a lab server's drive (none: empty); throws as the scripts do when it is not JSON. */
export function readLinkAddressRecord(host: LabHost): RecordedLinkAddress[] {
  if (!host.fileExists(LINK_ADDRESS_RECORD)) return [];
  const text = host
    .readFile(LINK_ADDRESS_RECORD)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
  let record: unknown;
  try {
    record = text.trim() === '' ? null : JSON.parse(text);
  } catch (err) {
    throw scriptThrow(
      `${LINK_ADDRESS_RECORD} is not the record Twinlock writes (it is not JSON): ${(err as Error).message}`,
    );
  }
  const addresses =
    record && typeof record === 'object' && 'addresses' in record
      ? (record as { addresses: unknown }).addresses
      : null;
  if (addresses === null || addresses === undefined) return [];
  return (Array.isArray(addresses) ? addresses : [addresses])
    .filter((e): e is Record<string, unknown> => e !== null && typeof e === 'object')
    .map((e) => ({
      adapter: e.adapter === undefined || e.adapter === null ? '' : String(e.adapter),
      address: e.address === undefined || e.address === null ? '' : String(e.address),
      prefixLength: Math.round(Number(e.prefixLength ?? 0)) || 0,
      addedAt: e.addedAt === undefined || e.addedAt === null ? '' : String(e.addedAt),
    }));
}

function writeRecord(host: LabHost, addresses: RecordedLinkAddress[]): void {
  const json = JSON.stringify({ addresses }, null, 4).replace(/\n/g, '\r\n');
  host.writeFile(LINK_ADDRESS_RECORD, `\uFEFF${json}\r\n`);
}

/** PowerShell's -eq on text: without regard to case. */
const same = (e: RecordedLinkAddress, adapter: string, address: string) =>
  e.address.toLowerCase() === address.toLowerCase() && e.adapter.toLowerCase() === adapter.toLowerCase();

export const setLinkAddress: ScriptHandler = ({ host, params }) => {
  const alias = str(params, 'adapter');
  const address = str(params, 'address');
  // [int]$P.prefixLength: PowerShell rounds a fraction and reads a missing value as 0.
  const prefixLength = Math.round(Number(params.prefixLength ?? 0)) || 0;
  const family = isIP(address);
  if (family === 0) throw scriptThrow(`'${address}' is not an IP address.`);
  const maxPrefix = family === 6 ? 128 : 32;
  if (prefixLength < 1 || prefixLength > maxPrefix)
    throw scriptThrow(`The prefix length ${prefixLength} is not valid for ${address} (1 to ${maxPrefix}).`);
  // Get-NetAdapter -Name matches adapter names without regard to case.
  const nic = host.profile.nics.find((n) => n.name.toLowerCase() === alias.toLowerCase());
  if (!nic) throw scriptThrow(`There is no network adapter named '${alias}' on this server.`);
  const here = nic.ipv4.find((ip) => ip.address === address);
  if (here) {
    return { adapter: alias, address, prefixLength: here.prefixLength, added: false, alreadyPresent: true };
  }
  const holder = host.profile.nics.find((n) => n.ipv4.some((ip) => ip.address === address));
  if (holder)
    throw scriptThrow(`${address} is already in use on this server by the adapter '${holder.name}'.`);
  const entries = readLinkAddressRecord(host);
  nic.ipv4.push({ address, prefixLength });
  host.emit('addresses');
  writeRecord(host, [
    ...entries.filter((e) => !same(e, alias, address)),
    { adapter: alias, address, prefixLength, addedAt: new Date(host.now()).toISOString() },
  ]);
  return { adapter: alias, address, prefixLength, added: true, alreadyPresent: false };
};

export const removeLinkAddress: ScriptHandler = ({ host, params }) => {
  const alias = str(params, 'adapter');
  const address = str(params, 'address');
  const onlyIfRecorded = params.onlyIfRecorded === true;
  const entries = readLinkAddressRecord(host);
  const recorded = entries.some((e) => same(e, alias, address));
  if (onlyIfRecorded && !recorded)
    return { adapter: alias, address, removed: false, recorded: false, reason: 'not-added-by-twinlock' };
  // Get-NetIPAddress -InterfaceAlias matches without regard to case.
  const nic = host.profile.nics.find((n) => n.name.toLowerCase() === alias.toLowerCase());
  const i = nic ? nic.ipv4.findIndex((ip) => ip.address === address) : -1;
  if (nic && i >= 0) {
    nic.ipv4.splice(i, 1);
    host.emit('addresses');
  }
  if (recorded)
    writeRecord(
      host,
      entries.filter((e) => !same(e, alias, address)),
    );
  const removed = nic !== undefined && i >= 0;
  return { adapter: alias, address, removed, recorded, reason: removed ? null : 'not-present' };
};

export const getLinkAddresses: ScriptHandler = ({ host }) => ({
  path: LINK_ADDRESS_RECORD,
  exists: host.fileExists(LINK_ADDRESS_RECORD),
  addresses: readLinkAddressRecord(host),
});
