/**
 * Plans: every change a pairing (or an unpairing) makes on each server, in the order it runs,
 * each with its exact script and parameters and the step that undoes it — made from the
 * configuration and both servers as read now (their basis). The plan's hash covers all of it, so a
 * plan is applied exactly as it was shown; a server that changed since is found by comparing its
 * basis (plan-basis.ts).
 */
import { createHash } from 'node:crypto';
import type {
  AgentStatus,
  ClusterStateResult,
  DriftItem,
  HostInventory,
  PairConfig,
  PairPlan,
  Plan,
  PlanRole,
  PlanServer,
  PlanStep,
  UndoStep,
} from '../api/models';
import { canonicalJson } from '../bundle/canonical';
import { REMOTE_PATHS } from '../remote/scripts';
import type { ScriptName, ScriptParams } from '../remote/scripts';
import type { ScriptInfo } from '../remote/session';
import type { CtlVerb } from '../agent/ctl';
import { linksTestInput, pairCreateInput, pairJoinInput } from './agent-input';
import { isRecorded } from './link-record';
import type { RecordedLinkAddress } from './link-record';
import { PLAN_CORRECTS, compareDrift, needsRecreate } from './drift';
import { CLUSTER_PLAN_SCRIPTS, clusterBasis, planClusterPairing, planClusterRemoval } from './cluster-plan';

/** What stands in a plan for the pairing token, which is made (and sent) only when the plan is applied. */
export const TOKEN_PLACEHOLDER = '<single-use pairing token, made when the plan is applied>';

/** The prefix length a link address gets when the configuration names none. */
export const DEFAULT_LINK_PREFIX = 24;

/** One server as read when planning: its session, its inventory and its agent's status. */
export interface PlanServerState {
  session: { computerName: string; address: string; port: number; fingerprint: string };
  inventory: HostInventory;
  status: AgentStatus;
  /**
   * The server's record of the link addresses Twinlock added (get-link-addresses): an unpairing
   * removes only those. Not read: none recorded, and the basis does not name it.
   */
  linkAddresses?: RecordedLinkAddress[];
  /**
   * The server's failover clustering (get-cluster-state), when read: a Level 1 plan depends on
   * it. Absent: not read, and the basis does not name it.
   */
  cluster?: ClusterStateResult;
}

/** Reads a script of the catalogue (engine/remote/session.ts `readScript`). */
export type ScriptReader = (name: ScriptName) => Promise<ScriptInfo>;

export interface PlanOptions {
  scripts: ScriptReader;
  /** When the plan is made (now by default). */
  now?: Date;
  /** An unpairing at Level 1: also uninstall Failover Clustering on both servers. */
  removeFeature?: boolean;
}

/** What a plan depends on in one server (see {@link PlanServer.basis}). */
export interface PlanBasis {
  adapters: { name: string; status: string; addresses: string[] }[];
  vms: string[];
  agentVersion: string | null;
  pair: { name: string; role: 'primary' | 'secondary' | 'none'; protectedVms: string[] } | null;
  /** The link addresses Twinlock added, as `adapter address/prefix` (when the record was read). */
  linkAddresses?: string[];
  /** Level 1: the server's failover clustering in one line (when the feature is installed or a cluster read). */
  cluster?: string;
}

/** The basis of a server: adapters (name, status, addresses), VMs, the agent's version and its pair. */
export function basisOf(
  state: Pick<PlanServerState, 'inventory' | 'status' | 'linkAddresses' | 'cluster'>,
): PlanBasis {
  const { inventory, status } = state;
  const recorded = state.linkAddresses
    ? { linkAddresses: state.linkAddresses.map((e) => `${e.adapter} ${e.address}/${e.prefixLength}`).sort() }
    : {};
  return {
    adapters: inventory.nics.map((n) => ({
      name: n.name,
      status: n.status,
      addresses: [...n.ipv4].sort(),
    })),
    vms: inventory.vms.map((v) => v.name).sort(),
    agentVersion: inventory.agentVersion,
    // The pair's state moves on by itself (mirroring, protected): only its name, role and protected VMs are a basis.
    pair: status.pair
      ? {
          name: status.pair.name,
          role: status.role,
          protectedVms: status.vms
            .filter((v) => v.protected)
            .map((v) => v.name)
            .sort(),
        }
      : null,
    ...recorded,
    // Only where clustering is in play, so that a Level 2 or 3 plan's basis is as it always was.
    ...(state.cluster && (state.cluster.featureInstalled || state.cluster.cluster)
      ? { cluster: clusterBasis(state.cluster) }
      : {}),
  };
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The SHA-256 of a plan's canonical JSON, `hash` left out. */
export function planHash(plan: Omit<Plan, 'hash'> & { hash?: string }): string {
  const { hash: _ignored, ...rest } = plan;
  return sha256Hex(canonicalJson(rest));
}

function planServer(role: PlanRole, state: PlanServerState): PlanServer {
  const basis = basisOf(state);
  return {
    role,
    computerName: state.session.computerName,
    address: state.session.address,
    port: state.session.port,
    fingerprint: state.session.fingerprint,
    basis: basis as unknown as Record<string, unknown>,
    basisHash: sha256Hex(canonicalJson(basis)),
  };
}

/** Builds a plan's steps; each names its script, whose text is read once into `plan.scripts`. */
export class StepList {
  readonly steps: PlanStep[] = [];
  readonly used = new Set<ScriptName>();
  private versions = new Map<ScriptName, string>();

  constructor(private readonly infos: Map<ScriptName, ScriptInfo>) {}

  ref(name: ScriptName) {
    this.used.add(name);
    const info = this.infos.get(name);
    if (!info) throw new Error(`script ${name} was not read`);
    this.versions.set(name, info.version);
    return { name, version: info.version };
  }

  script<N extends ScriptName>(name: N, params: ScriptParams[N]) {
    return { script: this.ref(name), params: params as unknown as Record<string, unknown> };
  }

  ctl(verb: CtlVerb, input: Record<string, unknown>) {
    return this.script('invoke-twinlockctl', {
      ctlPath: REMOTE_PATHS.ctlPath,
      verb: verb.split(' '),
      input,
    });
  }

  add(
    step: Omit<PlanStep, 'script' | 'params' | 'undo'> & {
      run: { script: PlanStep['script']; params: PlanStep['params'] };
      undo: { title: string; run: { script: UndoStep['script']; params: UndoStep['params'] } } | null;
    },
  ): void {
    const { run, undo, ...rest } = step;
    this.steps.push({
      ...rest,
      script: run.script,
      params: run.params,
      undo: undo ? { title: undo.title, script: undo.run.script, params: undo.run.params } : null,
    });
  }
}

/** The scripts a plan can use, read from the catalogue. */
const PLAN_SCRIPTS: readonly ScriptName[] = [
  'set-link-address',
  'remove-link-address',
  'invoke-twinlockctl',
  ...CLUSTER_PLAN_SCRIPTS,
];

async function readScripts(
  read: ScriptReader,
  extra: readonly ScriptName[] = [],
): Promise<Map<ScriptName, ScriptInfo>> {
  const infos = await Promise.all([...PLAN_SCRIPTS, ...extra].map((n) => read(n)));
  return new Map(infos.map((i) => [i.name, i]));
}

function finish(
  kind: Plan['kind'],
  pair: PairPlan,
  servers: [PlanServer, PlanServer],
  list: StepList,
  infos: Map<ScriptName, ScriptInfo>,
  now: Date,
  notes: string[] = [],
  corrects?: DriftItem[],
): Plan {
  const scripts: Plan['scripts'] = {};
  for (const name of [...list.used].sort()) {
    const info = infos.get(name)!;
    scripts[name] = { version: info.version, sha256: info.sha256, text: info.text };
  }
  const count = (role: PlanRole) => list.steps.filter((s) => s.server === role && s.changes).length;
  const restarts = [
    ...new Set(
      list.steps.filter((s) => s.restarts).map((s) => servers[s.server === 'primary' ? 0 : 1].computerName),
    ),
  ];
  const body: Omit<Plan, 'hash'> = {
    format: 'twinlock-plan/1',
    kind,
    createdAt: now.toISOString(),
    pair,
    servers,
    steps: list.steps,
    scripts,
    totals: { changes: { primary: count('primary'), secondary: count('secondary') }, restarts },
    ...(notes.length > 0 ? { notes } : {}),
    ...(corrects ? { corrects } : {}),
  };
  return { ...body, hash: planHash(body) };
}

/** The pair part of a configuration (what does not depend on sessions). */
export function pairPlanOf(config: PairConfig): PairPlan {
  return {
    name: config.name,
    level: config.level,
    links: config.links,
    witness: config.witness,
    vms: config.vms,
    ...(config.cluster ? { cluster: config.cluster } : {}),
  };
}

/** A link address to set on one server. */
export interface LinkAddress {
  role: PlanRole;
  adapter: string;
  address: string;
  prefixLength: number;
}

/** The link addresses a pairing sets: each end of each link whose adapter does not hold it yet. */
export function addressesToSet(
  config: Pick<PairConfig, 'links'>,
  primary: HostInventory,
  secondary: HostInventory,
): LinkAddress[] {
  const out: LinkAddress[] = [];
  for (const link of config.links) {
    const ends = [
      { role: 'primary' as const, inv: primary, adapter: link.localNic, address: link.localAddress },
      { role: 'secondary' as const, inv: secondary, adapter: link.remoteNic, address: link.remoteAddress },
    ];
    for (const end of ends) {
      const nic = end.inv.nics.find((n) => n.name === end.adapter);
      if (nic?.ipv4.includes(end.address)) continue;
      out.push({
        role: end.role,
        adapter: end.adapter,
        address: end.address,
        prefixLength: link.prefixLength ?? DEFAULT_LINK_PREFIX,
      });
    }
  }
  return out;
}

/** A step per link address a pairing sets (each end whose adapter does not hold it yet), each undone by removing it. */
export function planAddresses(
  list: StepList,
  config: PairConfig,
  primary: PlanServerState,
  secondary: PlanServerState,
  names: Record<PlanRole, string>,
  /** Appended to each title (' again' when a pair is brought back). */
  suffix: string,
): void {
  const n = { primary: 0, secondary: 0 };
  for (const a of addressesToSet(config, primary.inventory, secondary.inventory)) {
    list.add({
      id: `${a.role}/address/${n[a.role]++}`,
      server: a.role,
      title: `Give ${a.adapter} on ${names[a.role]} the address ${a.address}/${a.prefixLength}${suffix}`,
      run: list.script('set-link-address', {
        adapter: a.adapter,
        address: a.address,
        prefixLength: a.prefixLength,
      }),
      changes: true,
      restarts: false,
      undo: {
        title: `Remove the address ${a.address} from ${a.adapter} on ${names[a.role]}`,
        run: list.script('remove-link-address', { adapter: a.adapter, address: a.address }),
      },
    });
  }
}

/** The plan of a pairing: link addresses, the links tested, the pair created and joined, the VMs protected, the wait. */
export async function makePlan(
  config: PairConfig,
  primary: PlanServerState,
  secondary: PlanServerState,
  options: PlanOptions,
): Promise<Plan> {
  const infos = await readScripts(options.scripts);
  const list = new StepList(infos);
  const names = { primary: primary.session.computerName, secondary: secondary.session.computerName };
  if (config.level === 1) {
    // Level 1: the pair is a failover cluster; an existing one gets only what it lacks.
    planClusterPairing(list, config, primary, secondary);
    return finish(
      'pair',
      pairPlanOf(config),
      [planServer('primary', primary), planServer('secondary', secondary)],
      list,
      infos,
      options.now ?? new Date(),
    );
  }
  // Both servers hold this pair already: the plan brings it back to the configuration.
  const existing = primary.status.pair?.name === config.name && secondary.status.pair?.name === config.name;
  const corrects = existing
    ? compareDrift({ ...pairPlanOf(config), agentVersion: null }, primary, secondary).filter(
        (i) => PLAN_CORRECTS.has(i.field) && i.change !== null,
      )
    : undefined;
  const recreate = corrects ? needsRecreate(corrects) : false;
  const finishing = () =>
    finish(
      'pair',
      pairPlanOf(config),
      [planServer('primary', primary), planServer('secondary', secondary)],
      list,
      infos,
      options.now ?? new Date(),
      [],
      corrects,
    );
  if (corrects && !recreate) {
    planInPlace(list, config, primary, secondary, corrects);
    return finishing();
  }
  if (corrects) planRemoval(list, config, primary, secondary);
  planAddresses(list, config, primary, secondary, names, '');
  const links = config.links.length;
  list.add({
    id: 'primary/links',
    server: 'primary',
    title: `Test the ${links === 1 ? 'sync link' : `${links} sync links`} from ${names.primary} to ${names.secondary}`,
    run: list.ctl('links test', linksTestInput(config)),
    changes: false,
    restarts: false,
    undo: null,
  });
  const witness = config.witness
    ? `witness ${config.witness.address}`
    : 'no witness (a lost link can leave both servers running the VMs)';
  const removeUndo = (role: PlanRole) => ({
    title: `Remove ${names[role]} from pair ${config.name}`,
    run: list.ctl('pair remove', {}),
  });
  list.add({
    id: 'primary/create',
    server: 'primary',
    title: recreate
      ? `Create pair ${config.name} again at Level ${config.level} on ${names.primary} as primary, ${witness} (mirroring runs again; the VMs are protected again once it is protected)`
      : `Create pair ${config.name} at Level ${config.level} on ${names.primary} as primary, ${witness}`,
    run: list.ctl('pair create', pairCreateInput(config, TOKEN_PLACEHOLDER)),
    changes: true,
    restarts: false,
    undo: removeUndo('primary'),
  });
  list.add({
    id: 'secondary/join',
    server: 'secondary',
    title: `Join ${names.secondary} to pair ${config.name} as secondary`,
    run: list.ctl('pair join', pairJoinInput(config, TOKEN_PLACEHOLDER)),
    changes: true,
    restarts: false,
    undo: removeUndo('secondary'),
  });
  config.vms.forEach((vm, i) =>
    list.add({
      id: `primary/protect/${i}`,
      server: 'primary',
      title: `Protect ${vm}`,
      run: list.ctl('protect', { vm }),
      changes: true,
      restarts: false,
      undo: { title: `Unprotect ${vm}`, run: list.ctl('unprotect', { vm }) },
    }),
  );
  list.add({
    id: 'primary/wait',
    server: 'primary',
    title: `Wait until both servers report ${config.name} protected (storage mirrored, memory in sync)`,
    run: list.ctl('status', {}),
    changes: false,
    restarts: false,
    undo: null,
  });
  return finishing();
}

/** The role of the server the agent calls primary in an existing pair (the configuration's primary unless the roles are swapped). */
function leadRole(primary: PlanServerState, secondary: PlanServerState): PlanRole {
  return secondary.status.role === 'primary' && primary.status.role !== 'primary' ? 'secondary' : 'primary';
}

/**
 * An existing pair whose level, witness and links are as configured: the VMs it protects but
 * should not are unprotected, missing link addresses set, missing VMs protected, then the wait.
 * Nothing differs: only the wait, which changes nothing.
 */
function planInPlace(
  list: StepList,
  config: PairConfig,
  primary: PlanServerState,
  secondary: PlanServerState,
  corrects: DriftItem[],
): void {
  const names = { primary: primary.session.computerName, secondary: secondary.session.computerName };
  const lead = leadRole(primary, secondary);
  const status = (lead === 'primary' ? primary : secondary).status;
  const protectedNow = status.vms.filter((v) => v.protected).map((v) => v.name);
  protectedNow
    .filter((vm) => !config.vms.includes(vm))
    .forEach((vm, i) =>
      list.add({
        id: `${lead}/unprotect/${i}`,
        server: lead,
        title: `Unprotect ${vm}: the configuration does not protect it (it keeps running on ${names[lead]}, without a standby copy)`,
        run: list.ctl('unprotect', { vm }),
        changes: true,
        restarts: false,
        undo: { title: `Protect ${vm} again`, run: list.ctl('protect', { vm }) },
      }),
    );
  planAddresses(list, config, primary, secondary, names, ' again');
  config.vms
    .filter((vm) => !protectedNow.includes(vm))
    .forEach((vm, i) =>
      list.add({
        id: `${lead}/protect/${i}`,
        server: lead,
        title: `Protect ${vm}`,
        run: list.ctl('protect', { vm }),
        changes: true,
        restarts: false,
        undo: { title: `Unprotect ${vm}`, run: list.ctl('unprotect', { vm }) },
      }),
    );
  list.add({
    id: 'primary/wait',
    server: 'primary',
    title:
      corrects.length === 0
        ? `Check that both servers report ${config.name} protected (it matches its configuration: nothing changes)`
        : `Wait until both servers report ${config.name} protected (storage mirrored, memory in sync)`,
    run: list.ctl('status', {}),
    changes: false,
    restarts: false,
    undo: null,
  });
}

/**
 * An existing pair whose level, witness or links differ: the agent cannot change them in place,
 * so its VMs are unprotected and the pair removed on both servers, before it is made again.
 */
function planRemoval(
  list: StepList,
  config: PairConfig,
  primary: PlanServerState,
  secondary: PlanServerState,
): void {
  const names = { primary: primary.session.computerName, secondary: secondary.session.computerName };
  const lead = leadRole(primary, secondary);
  const status = (lead === 'primary' ? primary : secondary).status;
  status.vms
    .filter((v) => v.protected)
    .forEach((v, i) =>
      list.add({
        id: `${lead}/unprotect/${i}`,
        server: lead,
        title: `Unprotect ${v.name} while ${config.name} is made again (it keeps running on ${names[lead]}, unprotected until the pair is protected again)`,
        run: list.ctl('unprotect', { vm: v.name }),
        changes: true,
        restarts: false,
        undo: { title: `Protect ${v.name} again`, run: list.ctl('protect', { vm: v.name }) },
      }),
    );
  for (const role of [lead, lead === 'primary' ? 'secondary' : 'primary'] as const) {
    list.add({
      id: `${role}/remove`,
      server: role,
      title: `Remove ${names[role]} from pair ${config.name} to make it again (undone only by pairing again; the VMs run unprotected until it is protected)`,
      run: list.ctl('pair remove', {}),
      changes: true,
      restarts: false,
      undo: null,
    });
  }
}

/** The adapter of a server that holds an address, or null. */
function holderOf(inv: HostInventory, address: string): string | null {
  return inv.nics.find((n) => n.ipv4.includes(address))?.name ?? null;
}

/**
 * The plan of an unpairing: the VMs unprotected on the primary, the pair removed on both servers,
 * then each link address the pair uses that Twinlock added (the server's record) removed from the
 * adapter that holds it; an address the admin set stays, and a note says so. `a` and `b` are
 * the two servers in any order: the one the agent calls primary is planned as the primary.
 */
export async function makeUnpairPlan(
  a: PlanServerState,
  b: PlanServerState,
  options: PlanOptions,
): Promise<Plan> {
  const [primary, secondary] = b.status.role === 'primary' && a.status.role !== 'primary' ? [b, a] : [a, b];
  const clustered = (primary.status.cluster ?? secondary.status.cluster) !== undefined;
  const infos = await readScripts(
    options.scripts,
    clustered && options.removeFeature ? ['uninstall-cluster-feature', 'install-cluster-feature'] : [],
  );
  const list = new StepList(infos);
  const names = { primary: primary.session.computerName, secondary: secondary.session.computerName };
  const pairOf = primary.status.pair ?? secondary.status.pair;
  const name = pairOf?.name ?? '';

  // Either server's status tells the link addresses: its own ends (local) and the other's (remote).
  const ends = (role: PlanRole): string[] => {
    const own = role === 'primary' ? primary : secondary;
    const other = role === 'primary' ? secondary : primary;
    const local = own.status.pair?.links.map((l) => l.local) ?? [];
    const remote =
      other.status.pair?.name === name ? (other.status.pair?.links.map((l) => l.remote) ?? []) : [];
    return [...new Set([...local, ...remote])];
  };
  // Level 1: the links are cluster networks, so every address of the server's record is a link address.
  const recordedEnds = (role: PlanRole): string[] =>
    ((role === 'primary' ? primary : secondary).linkAddresses ?? []).map((e) => e.address);
  const linkOf = (role: PlanRole) =>
    (clustered ? recordedEnds(role) : ends(role))
      .map((address) => ({
        address,
        adapter: holderOf((role === 'primary' ? primary : secondary).inventory, address),
      }))
      .filter((e): e is { address: string; adapter: string } => e.adapter !== null);
  // Only the addresses Twinlock added (the server's record) are removed; the admin's stay.
  const notes: string[] = [];
  const ownedOf = (role: PlanRole) => {
    const state = role === 'primary' ? primary : secondary;
    const record = state.linkAddresses ?? [];
    return linkOf(role).flatMap((e) => {
      if (isRecorded(record, e.adapter, e.address)) {
        const entry = record.find(
          (r) => r.address === e.address && r.adapter.toLowerCase() === e.adapter.toLowerCase(),
        );
        return [{ ...e, prefixLength: entry?.prefixLength ?? DEFAULT_LINK_PREFIX }];
      }
      notes.push(
        `${e.adapter} on ${names[role]} keeps ${e.address}: it was there before Twinlock (only the link addresses Twinlock added are removed)`,
      );
      return [];
    });
  };
  const addresses = { primary: ownedOf('primary'), secondary: ownedOf('secondary') };

  // Level 1 has no agent to unprotect with: its VM roles are removed from the cluster instead.
  const protectedVms =
    !clustered && primary.status.pair && primary.status.role === 'primary'
      ? primary.status.vms.filter((v) => v.protected).map((v) => v.name)
      : [];
  protectedVms.forEach((vm, i) =>
    list.add({
      id: `primary/unprotect/${i}`,
      server: 'primary',
      title: `Unprotect ${vm} (it keeps running on ${names.primary}, without a standby copy)`,
      run: list.ctl('unprotect', { vm }),
      changes: true,
      restarts: false,
      undo: { title: `Protect ${vm} again`, run: list.ctl('protect', { vm }) },
    }),
  );
  if (clustered)
    planClusterRemoval(list, primary, secondary, { removeFeature: options.removeFeature ?? false });
  for (const role of ['primary', 'secondary'] as const) {
    const st = (role === 'primary' ? primary : secondary).status;
    if (!st.pair || clustered) continue;
    list.add({
      id: `${role}/remove`,
      server: role,
      title: `Remove ${names[role]} from pair ${st.pair.name} (undone only by pairing again)`,
      run: list.ctl('pair remove', {}),
      changes: true,
      restarts: false,
      undo: null,
    });
  }
  for (const role of ['primary', 'secondary'] as const) {
    addresses[role].forEach((e, i) =>
      list.add({
        id: `${role}/address/${i}`,
        server: role,
        title: `Remove the sync-link address ${e.address} from ${e.adapter} on ${names[role]} (Twinlock added it)`,
        run: list.script('remove-link-address', {
          adapter: e.adapter,
          address: e.address,
          onlyIfRecorded: true,
        }),
        changes: true,
        restarts: false,
        undo: {
          title: `Give ${e.adapter} the address ${e.address}/${e.prefixLength} again`,
          run: list.script('set-link-address', {
            adapter: e.adapter,
            address: e.address,
            prefixLength: e.prefixLength,
          }),
        },
      }),
    );
  }
  const pairCluster = primary.status.cluster ?? secondary.status.cluster;
  const primaryLinks = primary.status.pair?.links ?? [];
  const pair: PairPlan = {
    name,
    level: pairOf?.level ?? 3,
    links: primaryLinks.flatMap((l) => {
      const localNic = holderOf(primary.inventory, l.local);
      const remoteNic = holderOf(secondary.inventory, l.remote);
      return localNic && remoteNic
        ? [{ localNic, remoteNic, localAddress: l.local, remoteAddress: l.remote }]
        : [];
    }),
    witness: pairCluster?.quorum.witness
      ? { kind: pairCluster.quorum.witness.kind, address: pairCluster.quorum.witness.address }
      : pairOf?.witness
        ? {
            kind: pairOf.witness.address.startsWith('\\\\') ? 'file-share' : 'host',
            address: pairOf.witness.address,
          }
        : null,
    vms: clustered ? (pairCluster?.roles.map((r) => r.vm) ?? []) : protectedVms,
    ...(pairCluster && pairCluster.addresses[0]
      ? { cluster: { name: pairCluster.name, address: pairCluster.addresses[0] } }
      : {}),
  };
  return finish(
    'unpair',
    pair,
    [planServer('primary', primary), planServer('secondary', secondary)],
    list,
    infos,
    options.now ?? new Date(),
    notes,
  );
}
