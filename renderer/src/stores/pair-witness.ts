/** The Pair screen's witness: the kinds each level offers, and each field's problem as typed. */
import type { ProtectionLevel, Witness } from '../../../engine/api';
import {
  CLOUD_ACCOUNT,
  UNC_PATH,
  hasControlCharacter,
  hostNameProblem,
  parsePort,
} from '../../../engine/api/rules';

/** How the pair breaks ties: a third server, a file share, a cluster disk, a cloud witness, or nothing (not advised). */
export type WitnessMode = Witness['kind'] | 'none';

/** The witness fields' problems, shown beside them (`address`, `port`, a cloud witness's `key`). */
export interface WitnessErrors {
  address?: string;
  port?: string;
  key?: string;
}

/**
 * The witnesses a level offers: Windows' own for a failover cluster (Level 1), the agent's
 * witness server or a file share for Levels 2 and 3.
 */
export function witnessModesFor(level: ProtectionLevel): WitnessMode[] {
  return level === 1 ? ['file-share', 'disk', 'cloud', 'none'] : ['file-share', 'host', 'none'];
}

/** What an empty witness field asks for, per kind. */
const EMPTY_WITNESS: Record<Witness['kind'], string> = {
  host: 'Enter the witness server’s name or address.',
  'file-share': 'Enter the witness share’s path, like \\\\files\\twinlock.',
  disk: 'Enter the cluster disk’s name, for example Cluster Disk 1.',
  cloud: 'Enter the Azure storage account’s name, for example contosowitness.',
};

/** Each witness field's problem as typed (WitnessSchema's rules), none for no witness. */
export function witnessProblems(
  mode: WitnessMode | null,
  address: string,
  port: string,
  cloudKey: string,
): WitnessErrors {
  if (mode === null || mode === 'none') return {};
  const out: WitnessErrors = {};
  if (address.trim() === '') out.address = EMPTY_WITNESS[mode];
  else if (address !== address.trim())
    out.address = 'The witness address starts or ends with a space: remove it.';
  else if (mode === 'host') {
    const problem = hostNameProblem(address);
    if (problem !== null) out.address = problem;
  } else if (mode === 'disk') {
    if (hasControlCharacter(address) || address.length > 260)
      out.address =
        'Use the cluster disk’s name as Failover Cluster Manager shows it, for example Cluster Disk 1.';
  } else if (mode === 'cloud') {
    if (!CLOUD_ACCOUNT.test(address))
      out.address =
        'Use the Azure storage account’s name for a cloud witness: 3 to 24 lowercase letters and digits, for example contosowitness.';
  } else if (!UNC_PATH.test(address))
    out.address = 'Use a share path like \\\\files\\twinlock: a server name, then the share.';
  if (mode === 'cloud') {
    if (cloudKey === '') out.key = 'Enter the storage account’s access key.';
    else if (cloudKey.length > 200)
      out.key = 'A storage account access key is at most 200 characters: paste key1 or key2 from Azure.';
  }
  if (mode === 'host' && port.trim() !== '' && parsePort(port.trim()) === null)
    out.port = 'A TCP port is a whole number from 1 to 65535; leave it empty for the witness service’s own.';
  return out;
}
