/**
 * The checks a pairing passes before anything changes on either server: the pair's fields, its
 * sync links against both inventories, the VMs against the primary's, the witness, the agent.
 * Names are compared exactly as the servers reported them — never trimmed, never re-cased — since
 * the agent takes them verbatim. Every problem is reported at once, each naming its field.
 */
import type { HostInventory, PairConfig } from '../api/models';
import { TwinlockError } from '../api/errors';
import { HOST_NAME, HOST_NAME_MAX, PAIR_NAME, PAIR_NAME_MAX, UNC_PATH } from '../api/rules';
import { businessNic } from '../verify/network';
import { checkLinkAddresses } from './addresses';
import type { AddressIssue } from './addresses';
import type { ClusterEvidence } from '../verify/cluster';
import { levelRefusal } from './levels';
import { isIP } from 'node:net';
import { CLUSTER_NAME, CLUSTER_NAME_MESSAGE } from '../api/models';

/** One problem found, on one field. */
export interface PreflightIssue {
  /** Dotted path of the field, e.g. `vms.1` or `links.0.localNic`. */
  field: string;
  /** What is wrong and how to fix it, in one sentence. */
  message: string;
}

/** The parts of a pair configuration the servers must agree with (no sessions). */
export type PreflightPlan = Pick<PairConfig, 'name' | 'level' | 'links' | 'vms'> & {
  witness: PairConfig['witness'] | undefined;
  /** Level 1: the failover cluster (required there, refused elsewhere). */
  cluster?: PairConfig['cluster'];
};

export interface PreflightInput {
  plan: PreflightPlan;
  /** The primary's inventory, then the secondary's, as read now. */
  inventories: readonly [HostInventory, HostInventory];
  /** The agent must already be installed on both (pairing), or is installed afterwards (a bundle's replay). */
  requireAgent: boolean;
  /**
   * Refuse a level the servers do not pass in verification (a pairing). A bundle's replay checks
   * its level by verifying once the agent is installed, so it leaves this off.
   */
  checkLevel?: boolean;
  /** Level 1's prerequisites as the last verification at Level 1 read them: their blockers refuse Level 1 too. */
  cluster?: ClusterEvidence | null;
  /** Where each top-level field came from, when not the configuration itself (a bundle's `pair.name`). */
  fieldNames?: Partial<Record<'name' | 'level' | 'links' | 'witness' | 'vms', string>>;
}

const quote = (s: string) => JSON.stringify(s);

/** Every problem with pairing `plan` on the two servers described by `inventories`; empty when none. */
export function preflightPair(input: PreflightInput): PreflightIssue[] {
  const { plan, inventories, requireAgent } = input;
  const [primary, secondary] = inventories;
  const names = {
    name: 'name',
    level: 'level',
    links: 'links',
    witness: 'witness',
    vms: 'vms',
    ...input.fieldNames,
  };
  const issues: PreflightIssue[] = [];
  const add = (field: string, message: string) => issues.push({ field, message });

  // The pair name.
  const name: unknown = plan.name;
  if (typeof name !== 'string' || name === '') add(names.name, 'Give the pair a name, for example PAIR-01.');
  else if (name.length > PAIR_NAME_MAX)
    add(
      names.name,
      `${quote(name)} is ${name.length} characters long; keep the pair name to ${PAIR_NAME_MAX}.`,
    );
  else if (!PAIR_NAME.test(name)) {
    add(
      names.name,
      name.trim() !== name
        ? `${quote(name)} starts or ends with a space; pair names take letters, digits, dot, dash or underscore only.`
        : `${quote(name)} is not a valid pair name: use letters, digits, dot, dash or underscore, starting with a letter or digit.`,
    );
  }

  if (![1, 2, 3].includes(plan.level as number)) add(names.level, 'The protection level must be 1, 2 or 3.');
  else if (input.checkLevel) {
    const refusal = levelRefusal(primary, secondary, plan.level, input.cluster);
    if (refusal) add(names.level, refusal);
  }

  checkLinks(plan, primary, secondary, names.links, add);
  checkWitness(plan.witness, names.witness, add, plan.level);
  checkVms(plan.vms, primary, names.vms, add);
  checkCluster(plan, primary, secondary, add, requireAgent);

  // Level 1 has no agent: Windows' own failover clustering protects the VMs.
  if (requireAgent && plan.level !== 1) {
    for (const [i, inv] of inventories.entries()) {
      if (inv.agentVersion === null) {
        add(
          i === 0 ? 'primary' : 'secondary',
          `The Twinlock agent is not installed on ${inv.computerName}: install it on both servers first (Install step, or twinlock install).`,
        );
      }
    }
    if (
      primary.agentVersion !== null &&
      secondary.agentVersion !== null &&
      primary.agentVersion !== secondary.agentVersion
    ) {
      add(
        'secondary',
        `Agent versions differ (${primary.agentVersion} on ${primary.computerName}, ${secondary.agentVersion} on ${secondary.computerName}): install the same version on both.`,
      );
    }
  }
  return issues;
}

/** `invalid-input` listing every issue; the message names the first and counts the rest. */
export function preflightError(issues: PreflightIssue[], what: string): TwinlockError {
  const first = issues[0] ?? { field: '(input)', message: 'is invalid' };
  const more =
    issues.length > 1
      ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''}: ${issues
          .slice(1)
          .map((i) => i.field)
          .join(', ')})`
      : '';
  return new TwinlockError({
    code: 'invalid-input',
    message: `${first.field}: ${first.message}${more}`,
    hint: `Nothing was changed on either server. Correct ${issues.length > 1 ? 'each field listed' : `“${first.field}”`}, then ${what} again.`,
    detail: { field: first.field, issues },
  });
}

type Add = (field: string, message: string) => void;

function checkLinks(
  plan: PreflightPlan,
  primary: HostInventory,
  secondary: HostInventory,
  base: string,
  add: Add,
): void {
  const links = Array.isArray(plan.links) ? plan.links : [];
  if (links.length === 0) {
    add(base, 'At least one sync link is needed: pick a spare adapter on each server.');
    return;
  }
  const sides = [
    { inv: primary, nicKey: 'localNic', addressKey: 'localAddress', other: secondary },
    { inv: secondary, nicKey: 'remoteNic', addressKey: 'remoteAddress', other: primary },
  ] as const;
  const seenNics = [new Map<string, number>(), new Map<string, number>()];
  // Address problems go with their link end, after its adapter's (warnings are not refusals).
  const addressIssues = new Map<string, AddressIssue[]>();
  for (const issue of checkLinkAddresses({ links }, [primary, secondary], base)) {
    if (issue.severity !== 'error') continue;
    addressIssues.set(issue.field, [...(addressIssues.get(issue.field) ?? []), issue]);
  }
  for (const [i, link] of links.entries()) {
    for (const [s, side] of sides.entries()) {
      const nicName = link[side.nicKey];
      const nicField = `${base}.${i}.${side.nicKey}`;
      const nic = side.inv.nics.find((n) => n.name === nicName);
      if (!nic) {
        const near = side.inv.nics.find((n) => n.name.trim().toLowerCase() === nicName.trim().toLowerCase());
        add(
          nicField,
          `${side.inv.computerName} has no network adapter named ${quote(nicName)}${near ? ` (it has ${quote(near.name)}; names must match exactly)` : `; its adapters are ${side.inv.nics.map((n) => quote(n.name)).join(', ') || 'none'}`}.`,
        );
      } else if (nic === businessNic(side.inv)) {
        add(
          nicField,
          `${quote(nicName)} carries ${side.inv.computerName}'s business network; choose a spare adapter for the sync link.`,
        );
      } else if (nic.status !== 'Up') {
        add(
          nicField,
          `${quote(nicName)} on ${side.inv.computerName} is ${nic.status}; connect it, or choose an adapter that is up.`,
        );
      } else if (seenNics[s]!.has(nicName)) {
        add(
          nicField,
          `${quote(nicName)} on ${side.inv.computerName} already carries sync link ${seenNics[s]!.get(nicName)! + 1}; each link needs its own adapter.`,
        );
      }
      if (nic) seenNics[s]!.set(nicName, seenNics[s]!.get(nicName) ?? i);

      for (const issue of addressIssues.get(`${base}.${i}.${side.addressKey}`) ?? [])
        add(issue.field, issue.message);
    }
    for (const issue of addressIssues.get(`${base}.${i}.prefixLength`) ?? []) add(issue.field, issue.message);
  }
}

function checkWitness(
  witness: PreflightPlan['witness'],
  field: string,
  add: Add,
  level: PreflightPlan['level'],
): void {
  if (witness === null) return;
  if (witness === undefined) {
    add(
      field,
      level === 1
        ? 'Choose a quorum witness for the cluster (a file share, a shared disk or a cloud witness), or choose “no witness” explicitly.'
        : 'Choose a quorum witness (a third host or a file share), or choose “no witness” explicitly.',
    );
    return;
  }
  if (level === 1 && witness.kind === 'host') {
    add(
      `${field}.kind`,
      'A failover cluster cannot use a witness host: at Level 1 choose a file share (\\\\server\\share), a disk both servers share, or a cloud witness (an Azure storage account), or choose “no witness” explicitly.',
    );
    return;
  }
  if (level !== 1 && (witness.kind === 'disk' || witness.kind === 'cloud')) {
    add(
      `${field}.kind`,
      `A ${witness.kind} witness is a failover cluster's: at Level ${level} choose a witness host or a file share (or pair at Level 1).`,
    );
    return;
  }
  const address: unknown = witness.address;
  const addressField = `${field}.address`;
  if (typeof address !== 'string' || address.trim() === '') {
    add(
      addressField,
      'The witness address is empty: enter a host or a \\\\server\\share path, or choose “no witness” explicitly.',
    );
    return;
  }
  if (address.trim() !== address) {
    add(addressField, `${quote(address)} starts or ends with a space; enter the witness address exactly.`);
    return;
  }
  // A disk's and a storage account's names are checked by the configuration's schema.
  if (witness.kind === 'disk' || witness.kind === 'cloud') return;
  if (witness.kind === 'file-share') {
    if (!UNC_PATH.test(address))
      add(addressField, `${quote(address)} is not a file share path; write it as \\\\server\\share.`);
  } else if (!HOST_NAME.test(address) || address.length > HOST_NAME_MAX) {
    add(addressField, `${quote(address)} is not a host name or IP address.`);
  }
}

function checkVms(vms: unknown, primary: HostInventory, base: string, add: Add): void {
  if (!Array.isArray(vms)) {
    add(base, 'List the VMs to protect (an empty list protects none).');
    return;
  }
  const available = primary.vms.map((v) => v.name);
  const unreadable = primary.sectionErrors.vms;
  const seen = new Set<string>();
  for (const [i, vm] of (vms as unknown[]).entries()) {
    const field = `${base}.${i}`;
    if (typeof vm !== 'string' || vm === '') {
      add(field, 'A VM name is empty: pick the VMs from the primary’s list.');
      continue;
    }
    if (seen.has(vm)) {
      add(field, `${quote(vm)} is listed twice.`);
      continue;
    }
    seen.add(vm);
    if (available.includes(vm)) continue;
    if (unreadable) {
      add(
        field,
        `${primary.computerName} could not list its VMs (${unreadable}), so ${quote(vm)} cannot be checked; fix that and try again.`,
      );
      continue;
    }
    const near = available.find((n) => n.trim().toLowerCase() === vm.trim().toLowerCase());
    add(
      field,
      near
        ? `${primary.computerName} has no VM named ${quote(vm)}; it has ${quote(near)} (names must match exactly).`
        : `${primary.computerName} has no VM named ${quote(vm)}; its VMs are ${available.map(quote).join(', ') || 'none'}.`,
    );
  }
}

/**
 * Level 1: the cluster named and addressed, and Failover Clustering installed on both servers
 * (`requireFeature`: false for a bundle's replay, checked before its install step enables it).
 */
function checkCluster(
  plan: PreflightPlan,
  primary: HostInventory,
  secondary: HostInventory,
  add: Add,
  requireFeature: boolean,
): void {
  const cluster = plan.cluster;
  if (plan.level !== 1) {
    if (cluster)
      add(
        'cluster',
        `A failover cluster is Level 1's; at Level ${plan.level} leave cluster out (or pair at Level 1).`,
      );
    return;
  }
  if (!cluster) {
    add(
      'cluster.name',
      'Level 1 makes a failover cluster of the two servers: give it a name (cluster.name, for example PAIR01-CL) and a free address on the business network (cluster.address).',
    );
    return;
  }
  const name: unknown = cluster.name;
  if (typeof name !== 'string' || !CLUSTER_NAME.test(name)) add('cluster.name', CLUSTER_NAME_MESSAGE);
  else if ([primary, secondary].some((inv) => inv.computerName.toLowerCase() === name.toLowerCase()))
    add('cluster.name', `${quote(name)} is a server's own name; give the cluster a name of its own.`);
  const address: unknown = cluster.address;
  if (typeof address !== 'string' || isIP(address) !== 4)
    add(
      'cluster.address',
      'The cluster address is an IPv4 address on the business network, such as 192.168.50.30.',
    );
  else {
    const holder = [primary, secondary].find((inv) => inv.nics.some((n) => n.ipv4.includes(address)));
    if (holder)
      add(
        'cluster.address',
        `${address} is already an address of ${holder.computerName}; give the cluster a free address on the business network.`,
      );
  }
  for (const inv of [primary, secondary])
    if (requireFeature && !inv.roles.failoverClustering)
      add(
        inv === primary ? 'primary' : 'secondary',
        `Failover Clustering is not installed on ${inv.computerName}: install it on both servers first (the Install step at Level 1, or Install-WindowsFeature Failover-Clustering -IncludeManagementTools), then pair.`,
      );
}
