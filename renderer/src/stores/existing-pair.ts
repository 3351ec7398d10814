/**
 * A pair the two connected servers already hold: found from the agent's status on both (the same
 * pair name, each naming the other), said plainly, and shown as the protected pair with its
 * actions, never applied again by walking the steps.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { AgentStatus, ProtectionLevel } from '../../../engine/api';
import { useApiClient } from '../api/client';
import { useHostsStore } from './hosts';
import type { IoState } from './io-state';

/** The pair both servers report, in the admin's terms. */
export interface ExistingPair {
  name: string;
  level: ProtectionLevel;
  /** The witness's address, or null when the pair runs without one. */
  witness: string | null;
  /** The protected VMs (as the primary reports them). */
  vms: string[];
  /** The pair's state on each server, primary first. */
  states: [string, string];
  /** Session ids, primary first (the order drift and plans want). */
  sessions: [string, string];
  /** Computer names, primary first. */
  servers: [string, string];
}

/** The pair two statuses describe together, or null when they are not one pair. */
export function pairOf(
  statuses: [AgentStatus, AgentStatus],
  sessions: [string, string],
  names: [string, string],
): ExistingPair | null {
  const [a, b] = statuses;
  if (a.pair === null || b.pair === null || a.pair.name !== b.pair.name) return null;
  // The agent's primary goes first; a pair whose roles are not (yet) primary/secondary keeps the picked order.
  const swap = a.role === 'secondary' || b.role === 'primary';
  const [p, s] = swap ? [b, a] : [a, b];
  const order = (pair: [string, string]): [string, string] => (swap ? [pair[1], pair[0]] : pair);
  return {
    name: p.pair!.name,
    level: p.pair!.level,
    witness: p.pair!.witness?.address ?? null,
    vms: p.vms.filter((vm) => vm.protected).map((vm) => vm.name),
    states: [p.pair!.state, s.pair!.state],
    sessions: order(sessions),
    servers: order(names),
  };
}

/** "PAIR-01 — Level 3, witness TL-WITNESS, 2 VMs". */
export function describeExisting(pair: ExistingPair): string {
  const vms = pair.vms.length;
  const witness =
    pair.witness === null
      ? 'no witness'
      : pair.witness.startsWith('\\\\')
        ? `witness share ${pair.witness}`
        : `witness ${pair.witness}`;
  return `${pair.name} — Level ${pair.level}, ${witness}, ${vms} VM${vms === 1 ? '' : 's'}`;
}

export const useExistingPairStore = defineStore('existing-pair', () => {
  const hosts = useHostsStore();
  const state = ref<IoState>('idle');
  const found = ref<ExistingPair | null>(null);
  /** The sessions the answer is about. */
  const checkedFor = ref<string | null>(null);

  /** The sentence the Connect screen shows: protected, or paired and in which state now. */
  const sentence = computed(() => {
    const pair = found.value;
    if (pair === null) return null;
    if (pair.states.every((st) => st === 'protected'))
      return `These servers are already protected as ${describeExisting(pair)}.`;
    const now = pair.states[0] === pair.states[1] ? pair.states[0] : pair.states.join(' and ');
    return `These servers are already paired as ${describeExisting(pair)}, ${now} now.`;
  });

  /**
   * Asks both servers' agents whether they are paired together (once per pair of sessions;
   * `force`: again). A server without the agent has no pair: nothing is found, silently.
   */
  async function check(force = false): Promise<ExistingPair | null> {
    const ids = hosts.sessionIds;
    const sessions = hosts.sessions;
    if (ids === null || sessions === null) return null;
    const key = ids.join('|');
    if (!force && checkedFor.value === key && state.value !== 'running') return found.value;
    state.value = 'running';
    try {
      const client = useApiClient();
      const [a, b] = await Promise.all(ids.map((sessionId) => client.call('status', { sessionId })));
      // The sessions may have changed while the agents answered.
      if (hosts.sessionIds?.join('|') !== key) return found.value;
      found.value = pairOf([a!, b!], ids, [sessions[0].computerName, sessions[1].computerName]);
    } catch {
      // No agent yet (or it did not answer): these servers are not a pair Twinlock can show.
      found.value = null;
    }
    checkedFor.value = key;
    state.value = 'done';
    return found.value;
  }

  /** The pair was removed (or re-made): ask again next time. */
  function forget(): void {
    found.value = null;
    checkedFor.value = null;
    state.value = 'idle';
  }

  return { state, found, checkedFor, sentence, check, forget };
});
