/**
 * `twinlockctl` inside the lab: every verb of AGENT-CONTRACT.md. Each call returns what the real
 * tool prints on stdout (one JSON document) and its exit code; errors are
 * `{"error":{"code","message"}}` with a non-zero exit.
 */
import { randomUUID } from 'node:crypto';
import { PAIR_PHASES, agentStatus, agentUp, dissolve, measureLink, pairState } from './agent';
import type { Pair, PairLink } from './agent';
import type { LabHost } from './host';
import { hostsAt } from './world';
import type { LabWorld } from './world';

export interface CtlResult {
  exitCode: number;
  /** What twinlockctl printed on stdout, without the final newline. */
  stdout: string;
}

class CtlError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

function parseArgs(argv: string[]): { words: string[]; flags: Map<string, string | true> } {
  const words: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        flags.set(a.slice(2), next);
        i++;
      } else flags.set(a.slice(2), true);
    } else words.push(a);
  }
  return { words, flags };
}

function required(flags: Map<string, string | true>, name: string): string {
  const v = flags.get(name);
  if (typeof v !== 'string' || v.trim() === '') throw new CtlError('usage', `Missing --${name} <value>.`, 2);
  return v;
}

function peerOf(host: LabHost, world: LabWorld, address: string): LabHost {
  const peer = hostsAt(world, address).find((h) => h !== host && agentUp(h));
  if (!peer) {
    throw new CtlError('peer-unreachable', `No Twinlock agent answers at ${address} on the control port 7442: check that the agent is installed and running there and that the firewall allows TCP 7442.`);
  }
  return peer;
}

function parseLinks(text: string): PairLink[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new CtlError('usage', '--links must be a JSON array of links.', 2);
  }
  if (!Array.isArray(raw) || raw.length === 0) throw new CtlError('usage', '--links must list at least one sync link.', 2);
  return raw.map((l: Record<string, unknown>) => {
    const primaryAddress = String(l.localAddress ?? l.local ?? '');
    const secondaryAddress = String(l.remoteAddress ?? l.remote ?? '');
    if (!primaryAddress || !secondaryAddress) throw new CtlError('usage', 'Each link needs localAddress and remoteAddress.', 2);
    return { primaryAddress, secondaryAddress };
  });
}

function pairOf(host: LabHost): Pair {
  const pair = host.agent?.pair;
  if (!pair) throw new CtlError('not-paired', `${host.name} is not part of a pair.`);
  return pair;
}

async function run(host: LabHost, world: LabWorld, argv: string[]): Promise<unknown> {
  const { words, flags } = parseArgs(argv);
  const verb = words.join(' ');
  const delay = host.faults.ctlDelaySeconds[verb];
  if (delay) await world.clock.sleep(delay);
  const node = host.agent!;
  if (verb === 'version') return { version: node.version, build: `${node.version}.1042`, nodeId: node.nodeId };
  if (!agentUp(host)) throw new CtlError('service-stopped', 'The TwinlockAgent service is not running: start it with Start-Service TwinlockAgent.', 3);

  switch (verb) {
    case 'status':
      return agentStatus(host, world);
    case 'links test': {
      const peer = peerOf(host, world, required(flags, 'peer'));
      const links = host.profile.nics.flatMap((nic) =>
        nic.ipv4.flatMap((ip) => {
          const prefix = ip.address.split('.').slice(0, 3).join('.');
          const remote = peer.profile.nics.flatMap((n) => n.ipv4).find((r) => r.address.startsWith(`${prefix}.`));
          return remote ? [{ local: ip.address, remote: remote.address, ...measureLink(host, ip.address, peer, remote.address) }] : [];
        }),
      );
      await world.clock.sleep(5);
      return { links };
    }
    case 'pair create': {
      if (node.pair) throw new CtlError('already-paired', `${host.name} is already in pair ${node.pair.name}: remove it first with pair remove.`);
      const name = required(flags, 'name');
      const level = Number(required(flags, 'level'));
      if (![1, 2, 3].includes(level)) throw new CtlError('usage', '--level must be 1, 2 or 3.', 2);
      const token = required(flags, 'token');
      const peerAddress = required(flags, 'peer');
      const links = parseLinks(required(flags, 'links'));
      peerOf(host, world, peerAddress);
      const witness = flags.get('witness');
      node.pair = {
        pairId: randomUUID(),
        name,
        level: level as 1 | 2 | 3,
        primary: host,
        secondary: null,
        primaryPeer: peerAddress,
        secondaryPeer: null,
        token,
        links,
        witness: typeof witness === 'string' ? witness : null,
        joinedAt: null,
        protectedVms: new Set(),
        broken: false,
      };
      return { pairId: node.pair.pairId, state: 'pairing' };
    }
    case 'pair join': {
      if (node.pair) throw new CtlError('already-paired', `${host.name} is already in pair ${node.pair.name}.`);
      const peerAddress = required(flags, 'peer');
      const token = required(flags, 'token');
      const primary = peerOf(host, world, peerAddress);
      const pair = primary.agent?.pair;
      if (!pair || pair.primary !== primary || pair.secondary) {
        throw new CtlError('no-pending-pair', `${primary.name} has no pairing waiting for a secondary: run pair create on the primary first.`);
      }
      if (pair.token !== token) throw new CtlError('token-rejected', 'The pairing token was not accepted: it is wrong or was already used.');
      if (!hostsAt(world, pair.primaryPeer).includes(host)) {
        throw new CtlError('wrong-peer', `The pairing on ${primary.name} expects ${pair.primaryPeer}, not this server.`);
      }
      if (primary.agent!.version !== node.version) {
        throw new CtlError('version-mismatch', `Agent versions differ (${primary.agent!.version} on ${primary.name}, ${node.version} here): install the same version on both.`);
      }
      const a = primary.profile.processor;
      const b = host.profile.processor;
      if (pair.level === 3 && (a.family !== b.family || a.model !== b.model || a.stepping !== b.stepping)) {
        throw new CtlError('incompatible-peer', `Level 3 needs identical processors: ${primary.name} has family ${a.family} model ${a.model} stepping ${a.stepping}, this server stepping ${b.stepping} of family ${b.family} model ${b.model}.`);
      }
      pair.secondary = host;
      pair.secondaryPeer = peerAddress;
      pair.token = null;
      pair.joinedAt = Date.now();
      node.pair = pair;
      return { pairId: pair.pairId, state: 'pairing' };
    }
    case 'pair remove': {
      const pair = node.pair;
      if (pair) {
        const peer = pair.primary === host ? pair.secondary : pair.primary;
        if (peer && !agentUp(peer)) {
          // The peer cannot be told: it keeps its half, broken, until it is removed there too.
          pair.broken = true;
          node.pair = null;
        } else dissolve(pair);
      }
      return { state: 'none' };
    }
    case 'protect':
    case 'unprotect': {
      const pair = pairOf(host);
      const vm = required(flags, 'vm');
      const found = pair.primary.vms.find((v) => v.name.toLowerCase() === vm.toLowerCase());
      if (!found) throw new CtlError('vm-not-found', `There is no VM named ${vm} on ${pair.primary.name}.`);
      if (verb === 'protect' && pair.primary.faults.protectFails.includes(found.name)) {
        throw new CtlError('protect-failed', `${found.name} cannot be protected: its virtual disks are on storage the agent cannot mirror.`);
      }
      if (verb === 'protect') pair.protectedVms.add(found.name);
      else pair.protectedVms.delete(found.name);
      return { vm: found.name, protected: verb === 'protect' };
    }
    case 'drill': {
      const pair = pairOf(host);
      const kind = required(flags, 'kind');
      if (kind !== 'primary-loss' && kind !== 'link-loss') throw new CtlError('usage', '--kind must be primary-loss or link-loss.', 2);
      const { state, progress } = pairState(pair, world);
      if (state !== 'protected') throw new CtlError('not-protected', `The pair is ${state}${state === 'mirroring' ? ` (${progress} %)` : ''}: a drill needs it protected.`);
      await world.clock.sleep(20);
      const events: { atMs: number; event: string }[] = [{ atMs: 0, event: kind === 'primary-loss' ? `Simulated loss of ${pair.primary.name}` : 'Simulated loss of sync link 1' }];
      let result: 'passed' | 'failed' = 'passed';
      let downtimeMs = 0;
      if (kind === 'primary-loss') {
        downtimeMs = pair.level === 1 ? 41_000 : 0;
        events.push({ atMs: pair.level === 1 ? 41_000 : 12, event: `${pair.secondary!.name} took over${pair.level === 1 ? ' (VMs restarted)' : ' with no downtime'}` });
      } else if (pair.links.length < 2) {
        result = 'failed';
        events.push({ atMs: 8, event: 'No second sync link: the pair fell back to degraded' });
      } else {
        events.push({ atMs: 3, event: 'Traffic moved to sync link 2' });
      }
      events.push({ atMs: PAIR_PHASES.syncing * 1000, event: result === 'passed' ? 'Pair protected again' : 'Pair resynchronised after the link came back' });
      return { drillId: randomUUID(), result, downtimeMs, events };
    }
    default:
      throw new CtlError('usage', `Unknown command '${verb}'. Verbs: version, status, links test, pair create, pair join, pair remove, protect, unprotect, drill.`, 2);
  }
}

/** Runs one twinlockctl command line on a server whose agent is installed. */
export async function runCtl(host: LabHost, world: LabWorld, argv: string[]): Promise<CtlResult> {
  try {
    const out = await run(host, world, argv);
    return { exitCode: 0, stdout: JSON.stringify(out) };
  } catch (err) {
    if (err instanceof CtlError) return { exitCode: err.exitCode, stdout: JSON.stringify({ error: { code: err.code, message: err.message } }) };
    throw err;
  }
}
