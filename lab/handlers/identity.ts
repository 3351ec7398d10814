/** get-identity.ps1 */
import type { ScriptHandler } from './types';

export const getIdentity: ScriptHandler = ({ host, account }) => {
  const p = host.profile;
  const netbios = p.partOfDomain ? p.domain.split('.')[0]!.toUpperCase() : host.name;
  return {
    computerName: host.name,
    domain: p.domain,
    partOfDomain: p.partOfDomain,
    osCaption: p.os.caption,
    // Win32_OperatingSystem.BuildNumber is a string.
    osBuild: String(p.os.build),
    isAdmin: account.admin,
    userName: `${netbios}\\${account.username}`,
    psVersion: `5.1.${p.os.build}.${p.os.ubr}`,
    // DateTime.ToString('o') in UTC: seven fractional digits, as the script formats it.
    lastBootUpTime: new Date(host.bootedAt + host.faults.clockSkewSeconds * 1000)
      .toISOString()
      .replace(/\.(\d{3})Z$/, '.$10000Z'),
  };
};
