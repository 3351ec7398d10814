/** set-link-address.ps1 and remove-link-address.ps1: a sync link's address on its adapter (`profile.nics[].ipv4`, which get-inventory reads). */
import { isIP } from 'node:net';
import { scriptThrow } from '../powershell-shapes';
import { str } from './types';
import type { ScriptHandler } from './types';

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
  nic.ipv4.push({ address, prefixLength });
  host.emit('addresses');
  return { adapter: alias, address, prefixLength, added: true, alreadyPresent: false };
};

export const removeLinkAddress: ScriptHandler = ({ host, params }) => {
  const alias = str(params, 'adapter');
  const address = str(params, 'address');
  const nic = host.profile.nics.find((n) => n.name.toLowerCase() === alias.toLowerCase());
  const i = nic ? nic.ipv4.findIndex((ip) => ip.address === address) : -1;
  if (!nic || i < 0) return { adapter: alias, address, removed: false };
  nic.ipv4.splice(i, 1);
  host.emit('addresses');
  return { adapter: alias, address, removed: true };
};
