/**
 * The lockstep agent inside the lab (docs/agent-contract.md): one node per server with the agent
 * installed, pairs shared by the two nodes, and a pairing that moves
 * `pairing → mirroring (progress %) → syncing → protected` on lab time. States are computed from
 * timestamps when asked, so nothing runs in the background.
 */
import { clusteredVmState } from './cluster';
import type { LabHost } from './host';
import { linkFigures, linkPath } from './links';
import type { VmState } from './state';
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
  /** A host's TCP port, when `pair create` named one (else the agent's 7443). */
  port?: number;
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
  /** The failover drill under way (or just failed), or null. */
  drill?: LabDrill | null;
  /**
   * The server whose standby copy could not take over in the last drill: the pair stays
   * `degraded` while it cannot (its `drillTakeoverFails` fault), and is protected again once it can.
   */
  takeoverRefusedBy?: LabHost | null;
}

/**
 * Lab seconds of each stage of a drill (docs/agent-contract.md, `drill`). `takeover` is how long
 * no copy of a VM runs at each level after the primary's side is lost: none at Level 3 (the
 * lockstep copy keeps running), seconds at Level 2 (I/O redirected to the surviving components),
 * minutes at Level 1 (Failover Clustering restarts the VM on the survivor).
 */
export const DRILL_TIMINGS = {
  takeover: { 1: 150, 2: 6, 3: 0 } as Record<1 | 2 | 3, number>,
  /** Until the lost side is back (it was only simulated lost). */
  lostFor: 10,
  /** The sync links stay cut this long in a link-loss drill. */
  linkCutFor: 20,
  /** Mirroring what changed while the two sides were apart, then syncing memory. */
  resynchronising: 30,
  syncing: 10,
} as const;

export type DrillStage =
  'failing-over' | 'failed-over' | 'degraded' | 'resynchronising' | 'syncing' | 'failed';

/** A drill under way: the stage it is at (moved on by lab-clock timers) and what happened. */
export interface LabDrill {
  drillId: string;
  kind: 'primary-loss' | 'link-loss';
  stage: DrillStage;
  /** The server that keeps (or takes over) the VMs, and the one whose side is lost. */
  survivor: LabHost;
  lost: LabHost;
  /** When the stage began (LabClock.now), for the mirror's progress. */
  stageAt: number;
}

/** True when the server's agent is installed, its service running and the server up. */
export function agentUp(host: LabHost): boolean {
  return host.agent !== null && !host.isDown() && host.services.get('TwinlockAgent')?.status === 'Running';
}

/** The pair's state and progress now. */
export function pairState(pair: Pair, world: LabWorld): { state: PairState; progress: number } {
  if (pair.broken) return { state: 'broken', progress: 0 };
  const drill = pair.drill;
  if (drill) {
    switch (drill.stage) {
      case 'failing-over':
      case 'failed-over':
        return { state: 'failed-over', progress: 100 };
      case 'degraded':
      case 'failed':
        return { state: 'degraded', progress: 100 };
      case 'resynchronising': {
        const t = world.clock.labSecondsSince(drill.stageAt);
        return {
          state: 'mirroring',
          progress: Math.min(99, Math.floor((t / DRILL_TIMINGS.resynchronising) * 100)),
        };
      }
      case 'syncing':
        return { state: 'syncing', progress: 100 };
      default:
        return assertNever(drill.stage);
    }
  }
  if (pair.takeoverRefusedBy) {
    if (pair.takeoverRefusedBy.faults.drillTakeoverFails) return { state: 'degraded', progress: 100 };
    pair.takeoverRefusedBy = null;
  }
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

/** True while a link-loss drill holds the sync links cut. */
function linksCut(pair: Pair): boolean {
  return pair.drill?.kind === 'link-loss' && pair.drill.stage === 'degraded';
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
    const m =
      peerHost && !linksCut(pair)
        ? measureLink(world, host, local, peerHost, remote)
        : { up: false, rttMs: 0, mbps: 0 };
    return { local, remote, up: m.up, rttMs: m.rttMs, mbps: m.mbps };
  });
  const vms = primary
    ? host.vms.map((vm) => ({
        name: vm.name,
        state: visibleVmState(host, world, vm.name) ?? vm.state,
        protected: pair.protectedVms.has(vm.name),
      }))
    : [...pair.protectedVms].map((name) => ({
        name,
        state: visibleVmState(host, world, name) === 'Running' && pair.drill ? 'Running' : 'Standby',
        protected: true,
      }));
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
        ? {
            kind: pair.witness.kind,
            address: pair.witness.address,
            ...(pair.witness.kind === 'host' ? { port: pair.witness.port ?? 7443 } : {}),
            reachable: true,
          }
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

function assertNever(value: never): never {
  throw new Error(`unexpected drill stage ${String(value)}`);
}

/**
 * The servers on which a protected VM runs now. Normally the primary (and, at Level 3, the
 * secondary's lockstep copy too, unless the links are down); during a primary-loss drill the
 * survivor once it has taken over (at Level 3 it never stopped); after a failed takeover the
 * primary again. After a drill the VMs fail back to the primary (by live migration: no outage),
 * so the roles stay as configured.
 */
export function vmRunsOn(pair: Pair, world: LabWorld): LabHost[] {
  const { primary, secondary } = pair;
  if (!secondary) return [primary];
  const drill = pair.drill;
  if (!drill) {
    const lockstep = pair.level === 3 && pairState(pair, world).state === 'protected';
    return lockstep ? [primary, secondary] : [primary];
  }
  if (drill.kind === 'link-loss' || drill.stage === 'failed') return [primary];
  if (drill.stage === 'failing-over')
    return pair.level === 3 && !drill.survivor.faults.drillTakeoverFails ? [drill.survivor] : [];
  return [drill.survivor];
}

/**
 * What Hyper-V's Get-VM shows for a VM on a server: the pair's view for a protected VM (Running
 * where a copy runs, Off where it stands by), the server's own otherwise; null when the server
 * has no VM of that name.
 */
export function visibleVmState(host: LabHost, world: LabWorld, name: string): VmState['state'] | null {
  // Level 1: a VM that is a cluster role runs where its role's owner node is.
  const clustered = world.clustering ? clusteredVmState(world, host, name) : undefined;
  if (clustered !== undefined) return clustered;
  const pair = host.agent?.pair;
  const own = host.vms.find((v) => v.name === name);
  if (!pair || !pair.secondary || !pair.protectedVms.has(name) || pair.broken) return own?.state ?? null;
  const baseline = pair.primary.vms.find((v) => v.name === name)?.state ?? 'Off';
  if (baseline !== 'Running') return host === pair.primary ? baseline : 'Off';
  return vmRunsOn(pair, world).includes(host) ? 'Running' : 'Off';
}
