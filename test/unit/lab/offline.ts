/** Lab servers without SSH: handlers called directly, for fast tests of the lab's models. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScriptCatalogue } from '../../../lab/catalogue';
import { newClustering, newDirectory } from '../../../lab/cluster';
import { LabClock } from '../../../lab/clock';
import { HANDLERS } from '../../../lab/handlers/index';
import { LabHost } from '../../../lab/host';
import { expandHosts, loadProfile } from '../../../lab/profile';
import type { LabWorld } from '../../../lab/world';

export interface OfflineLab {
  world: LabWorld;
  hosts: LabHost[];
  run(host: LabHost, script: string, params?: Record<string, unknown>): Promise<any>;
  dispose(): void;
}

export function offlineLab(profile = 'matched-pair', timeScale = 6000): OfflineLab {
  const dir = mkdtempSync(join(tmpdir(), 'twinlock-offline-'));
  const hosts: LabHost[] = [];
  const loaded = loadProfile({ profile });
  const world: LabWorld = {
    clock: new LabClock(timeScale),
    catalogue: new ScriptCatalogue(),
    hosts,
    address: '127.0.0.1',
    latencyMs: 0,
    links: loaded.links,
    clustering: newClustering(newDirectory('contoso.local', true)),
  };
  for (const hp of expandHosts(loaded, 2)) hosts.push(new LabHost(hp, join(dir, hp.computerName, 'C'), 'pw'));
  return {
    world,
    hosts,
    run: async (host, script, params = {}) =>
      HANDLERS[script]!({ host, world, params, account: host.accounts[0]!, logon: 'password' }),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
