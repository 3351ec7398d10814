/**
 * The lockstep agent inside the lab (docs/agent-contract.md): one node per server with the agent
 * installed, pairs shared by the two nodes, and a pairing that moves
 * `pairing → mirroring (progress %) → syncing → protected` on lab time. States are computed from
 * timestamps when asked, so nothing runs in the background.
 */
import type { LabHost } from './host';
import { linkFigures, linkPath } from './links';
import type { LabWorld } from './world';

/** Lab seconds each pairing phase takes (a 3-minute mirror is 3 real seconds at timeScale 60). */
export const PAIR_PHASES = { pairing: 15, mirroring: 180, syncing: 30 } as const;

export type PairState =
  'pairing' | 'mirroring' | 'syncing' | 'protected' | 'degraded' | 'failed-over' | 'broken';

/** The agent installed on one server. */
export interface AgentNode {
  nodeId: string;
  version: string;
  pair: Pair | null;
}

/** One sync link, by the address at each end (and the adapter names, when given), verbatim. */
export interface PairLink {
  primaryAddress: string;
  secondaryAddress: string;
  primaryNic?: string | null;
  secondaryNic?: string | null;
}

/** The quorum witness the pair was created with, verbatim. */
export interface PairWitness {
  kind: 'host' | 'share';
  address: string;
}

/** A pair, shared by reference between its two nodes. */
export interface Pair {
  pairId: string;
  name: string;
  level: 1 | 2 | 3;
  primary: LabHost;
  secondary: LabHost | null;
  /** The peer address each side was given. */
  primaryPeer: string;
  secondaryPeer: string | null;
  /** Single use: cleared once the secondary joins. */
  token: string | null;
  links: PairLink[];
  witness: PairWitness | null;
  /** Real ms when the secondary joined (null while the primary waits). */
  /** When the secondary joined, as the lab clock reads it (LabClock.now). */
  joinedAt: number | null;
  protectedVms: Set<string>;
  /** Set when a node was uninstalled or the pair failed beyond repair. */
  broken: boolean;
}

/** True when the server's agent is installed, its service running and the server up. */
export function agentUp(host: LabHost): boolean {
  return host.agent !== null && !host.isDown() && host.services.get('TwinlockAgent')?.status === 'Running';
}

/** The pair's state and progress now. */
export function pairState(pair: Pair, world: LabWorld): { state: PairState; progress: number } {
  if (pair.broken) return { state: 'broken', progress: 0 };
  if (!pair.secondary || pair.joinedAt === null) return { state: 'pairing', progress: 0 };
  const both = [pair.primary, pair.secondary];
  const t = world.clock.labSecondsSince(pair.joinedAt);
  const { pairing, mirroring, syncing } = PAIR_PHASES;
  let state: PairState;
  let progress: number;
  if (t < pairing) [state, progress] = ['pairing', 0];
  else if (t < pairing + mirroring)
    [state, progress] = ['mirroring', Math.floor(((t - pairing) / mirroring) * 100)];
  else if (t < pairing + mirroring + syncing) [state, progress] = ['syncing', 100];
  else {
    [state, progress] = ['protected', 100];
  }
  if (both.some((h) => !agentUp(h)))
    return { state: state === 'protected' ? 'failed-over' : 'broken', progress };
  if (linkStates(pair, world).some((l) => !l.up)) return { state: 'degraded', progress };
  return { state, progress };
}

/**
 * Whether a link between two addresses works, and its figures, as the agent measures it: the
 * lab's cable model (lab/links.ts), the same one the `measure-link` script's handler follows.
 */
export function measureLink(
  world: LabWorld,
  a: LabHost,
  aAddress: string,
  b: LabHost,
  bAddress: string,
): { up: boolean; rttMs: number; mbps: number; lossPct: number } {
  const path = linkPath(world, a, aAddress, b, bAddress);
  if (!path.up) return { up: false, rttMs: 0, mbps: 0, lossPct: 100 };
  const f = linkFigures(path.cable, `agent|${a.name}|${path.a.name}|${b.name}|${path.b.name}`);
  return { up: true, rttMs: f.rttMs, mbps: Math.round(f.mbps), lossPct: f.lossPct };
}

function linkStates(pair: Pair, world: LabWorld): { up: boolean }[] {
  if (!pair.secondary) return [];
  const secondary = pair.secondary;
  return pair.links.map((l) =>
    measureLink(world, pair.primary, l.primaryAddress, secondary, l.secondaryAddress),
  );
}

/** `twinlockctl status --input -` for a server. */
export function agentStatus(host: LabHost, world: LabWorld): Record<string, unknown> {
  const node = host.agent!;
  const pair = node.pair;
  if (!pair) {
    return {
      nodeId: node.nodeId,
      role: 'none',
      pair: null,
      vms: host.vms.map((vm) => ({ name: vm.name, state: vm.state, protected: false })),
    };
  }
  const primary = pair.primary === host;
  const peerHost = primary ? pair.secondary : pair.primary;
  const { state, progress } = pairState(pair, world);
  const links = pair.links.map((l) => {
    const local = primary ? l.primaryAddress : l.secondaryAddress;
    const remote = primary ? l.secondaryAddress : l.primaryAddress;
    const m = peerHost ? measureLink(world, host, local, peerHost, remote) : null;
    return { local, remote, up: m?.up ?? false, rttMs: m?.rttMs ?? 0, mbps: m?.mbps ?? 0 };
  });
  const vms = primary
    ? host.vms.map((vm) => ({ name: vm.name, state: vm.state, protected: pair.protectedVms.has(vm.name) }))
    : [...pair.protectedVms].map((name) => ({ name, state: 'Standby', protected: true }));
  return {
    nodeId: node.nodeId,
    role: primary ? 'primary' : 'secondary',
    pair: {
      name: pair.name,
      peer: (primary ? pair.primaryPeer : pair.secondaryPeer) ?? '',
      state,
      progress,
      links,
      witness: pair.witness
        ? { kind: pair.witness.kind, address: pair.witness.address, reachable: true }
        : null,
      level: pair.level,
    },
    vms,
  };
}

/** Ends a pair on both nodes. */
export function dissolve(pair: Pair): void {
  for (const h of [pair.primary, pair.secondary]) if (h?.agent?.pair === pair) h.agent.pair = null;
}
