/** restart-host.ps1 and remove-agent-package.ps1. */
import { rmSync } from 'node:fs';
import type { LabHost } from '../host';
import { list, str } from './types';
import type { ScriptHandler } from './types';

/** Real milliseconds between shutdown.exe's answer and the restart itself, at most. */
const MAX_RESTART_DELAY_MS = 300;

/** Hosts with a restart scheduled and not yet begun: Windows refuses a second one (1190). */
const scheduled = new WeakSet<LabHost>();

export const restartHost: ScriptHandler = ({ host, world, params }) => {
  const requested = Number(params.delaySeconds);
  const delay = Number.isFinite(requested) && requested >= 1 ? Math.floor(requested) : 5;
  // DateTime.ToString('o') in UTC: seven fractional digits, as the script formats it.
  const bootedAt = new Date(host.bootedAt + host.faults.clockSkewSeconds * 1000)
    .toISOString()
    .replace(/\.(\d{3})Z$/, '.$10000Z');
  if (scheduled.has(host)) {
    // shutdown.exe's 1190: the restart already scheduled will happen; the script says so as data.
    return {
      scheduled: false,
      alreadyPending: true,
      exitCode: 1190,
      delaySeconds: delay,
      lastBootUpTime: bootedAt,
    };
  }
  host.restartsRequested++;
  // The answer must leave before the connections drop, as with shutdown.exe /t.
  scheduled.add(host);
  host.emit('restart-requested');
  world.clock.after(Math.min(world.clock.realMs(delay), MAX_RESTART_DELAY_MS), () => {
    scheduled.delete(host);
    host.reboot(world.clock.realMs(host.faults.rebootSeconds));
  });
  return {
    scheduled: true,
    alreadyPending: false,
    exitCode: 0,
    delaySeconds: delay,
    lastBootUpTime: bootedAt,
  };
};

export const removeAgentPackage: ScriptHandler = ({ host, params }) => {
  const removedFiles: string[] = [];
  for (const path of list(params, 'paths')) {
    const local = host.localPath(path);
    if (local && host.fileExists(path)) {
      rmSync(local, { force: true });
      removedFiles.push(path);
    }
  }
  const group = str(params, 'firewallGroup').toLowerCase();
  const before = host.firewallRules.length;
  if (group !== '') host.firewallRules = host.firewallRules.filter((r) => r.group.toLowerCase() !== group);
  return { removedFiles, removedRules: before - host.firewallRules.length, remaining: 0 };
};
