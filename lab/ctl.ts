/**
 * `twinlockctl` inside the lab: every verb of the agent contract (docs/agent-contract.md). Each
 * call returns what the real tool prints on stdout (one JSON document) and its exit code; errors
 * are `{"error":{"code","message"}}` with a non-zero exit.
 */
import { randomUUID } from 'node:crypto';
import { DRILL_TIMINGS, PAIR_PHASES, agentStatus, agentUp, dissolve, measureLink, pairState } from './agent';
import type { DrillStage, LabDrill, Pair, PairLink, PairWitness } from './agent';
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

/** The verbs of the agent contract (docs/agent-contract.md). */
const VERBS = [
  'version',
  'status',
  'links test',
  'pair create',
  'pair join',
  'protect',
  'unprotect',
  'drill',
  'pair remove',
];

/** A short, quoted rendering of an argument for an error message. */
function shown(arg: string): string {
  return JSON.stringify(arg.length > 40 ? `${arg.slice(0, 40)}…` : arg);
}

/**
 * The verb of a command line, which must be `<verb words> --input -` exactly: anything else (a
 * value, another flag, a verb in other case) is refused, as values travel only on stdin.
 */
function verbOf(argv: string[]): string {
  const words =
    argv.length >= 2 && VERBS.includes(`${argv[0]} ${argv[1]}`)
      ? 2
      : argv.length >= 1 && VERBS.includes(argv[0]!)
        ? 1
        : 0;
  if (words === 0) {
    const flagAt = argv.findIndex((a) => a.startsWith('-'));
    const typed = argv.slice(0, flagAt < 0 ? argv.length : flagAt).join(' ');
    throw new CtlError(
      'usage',
      `${typed ? `Unknown command '${typed}'. ` : ''}Usage: twinlockctl <verb> --input -. Verbs: ${VERBS.join(', ')}.`,
      2,
    );
  }
  const rest = argv.slice(words);
  const expected = ['--input', '-'];
  const bad = rest.findIndex((a, i) => a !== expected[i]);
  if (bad >= 0 || rest.length !== expected.length) {
    const arg = bad >= 0 ? rest[bad]! : null;
    throw new CtlError(
      'usage',
      `${arg === null ? 'Missing --input -' : `Unexpected argument ${shown(arg)}`}: twinlockctl takes only <verb> --input -, and every value travels as JSON on stdin.`,
      2,
    );
  }
  return argv.slice(0, words).join(' ');
}

type Input = Record<string, unknown>;

/** Stdin as one JSON object: strict UTF-8 (no BOM), then JSON. */
function readInput(stdin: Uint8Array): Input {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(stdin);
  } catch {
    throw new CtlError('invalid-input', 'The input on stdin is not UTF-8.', 2);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new CtlError(
      'invalid-input',
      'The input on stdin is not one JSON document (give {} when the verb takes none).',
      2,
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new CtlError('invalid-input', 'The input on stdin must be a JSON object.', 2);
  return raw as Input;
}

/** A string field, taken verbatim: never trimmed or re-cased; empty is refused. */
function text(input: Input, name: string, where = ''): string {
  const v = input[name];
  if (typeof v !== 'string' || v === '')
    throw new CtlError('invalid-input', `${where}${name} must be a non-empty string.`, 2);
  return v;
}

function optionalText(input: Input, name: string, where = ''): string | null {
  if (input[name] === undefined || input[name] === null) return null;
  return text(input, name, where);
}

function peerOf(host: LabHost, world: LabWorld, address: string): LabHost {
  const peer = hostsAt(world, address).find((h) => h !== host && agentUp(h));
  if (!peer) {
    throw new CtlError(
      'peer-unreachable',
      `No Twinlock agent answers at ${address} on the control port 7442: check that the agent is installed and running there and that the firewall allows TCP 7442.`,
    );
  }
  return peer;
}

function parseLinks(raw: unknown): PairLink[] {
  if (!Array.isArray(raw) || raw.length === 0)
    throw new CtlError('invalid-input', 'links must list at least one sync link.', 2);
  return raw.map((l: unknown, i) => {
    if (typeof l !== 'object' || l === null || Array.isArray(l))
      throw new CtlError('invalid-input', `links[${i}] must be an object.`, 2);
    const link = l as Input;
    const where = `links[${i}].`;
    return {
      primaryAddress: text(link, 'local', where),
      secondaryAddress: text(link, 'remote', where),
      primaryNic: optionalText(link, 'localNic', where),
      secondaryNic: optionalText(link, 'remoteNic', where),
    };
  });
}

function parseWitness(raw: unknown): PairWitness | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new CtlError('invalid-input', 'witness must be an object or null.', 2);
  const w = raw as Input;
  const kind = text(w, 'kind', 'witness.');
  if (kind !== 'host' && kind !== 'share')
    throw new CtlError('invalid-input', 'witness.kind must be host or share.', 2);
  const port = w.port;
  if (port !== undefined && (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535))
    throw new CtlError('invalid-input', 'witness.port must be a TCP port, 1 to 65535.', 2);
  return {
    kind,
    address: text(w, 'address', 'witness.'),
    ...(kind === 'host' && port !== undefined ? { port } : {}),
  };
}

function pairOf(host: LabHost): Pair {
  const pair = host.agent?.pair;
  if (!pair) throw new CtlError('not-paired', `${host.name} is not part of a pair.`);
  return pair;
}

/**
 * The pair's state moves on with lab time (mirroring, syncing, protected): each server of a pair
 * that is still together sends `pair-state` as a phase begins, so a test waits for a state
 * instead of polling for it.
 */
function announcePhases(pair: Pair, world: LabWorld): void {
  const { pairing, mirroring, syncing } = PAIR_PHASES;
  for (const at of [pairing, pairing + mirroring, pairing + mirroring + syncing]) {
    world.clock.after(world.clock.realMs(at), () => {
      for (const h of [pair.primary, pair.secondary]) if (h?.agent?.pair === pair) h.emit('pair-state');
    });
  }
}

async function run(host: LabHost, world: LabWorld, argv: string[], stdin: Uint8Array): Promise<unknown> {
  const verb = verbOf(argv);
  const input = readInput(stdin);
  const delay = host.faults.ctlDelaySeconds[verb];
  if (delay) await world.clock.sleep(delay);
  const node = host.agent!;
  if (verb === 'version')
    return { version: node.version, build: `${node.version}.1042`, nodeId: node.nodeId };
  if (!agentUp(host))
    throw new CtlError(
      'service-stopped',
      'The TwinlockAgent service is not running: start it with Start-Service TwinlockAgent.',
      3,
    );

  switch (verb) {
    case 'status':
      return agentStatus(host, world);
    case 'links test': {
      const peer = peerOf(host, world, text(input, 'peer'));
      if (input.links !== undefined) {
        // The links asked for, each measured between its two addresses.
        const asked = parseLinks(input.links);
        await world.clock.sleep(5);
        return {
          links: asked.map((l) => ({
            local: l.primaryAddress,
            remote: l.secondaryAddress,
            ...measureLink(world, host, l.primaryAddress, peer, l.secondaryAddress),
          })),
        };
      }
      const links = host.profile.nics.flatMap((nic) =>
        nic.ipv4.flatMap((ip) => {
          const prefix = ip.address.split('.').slice(0, 3).join('.');
          const remote = peer.profile.nics
            .flatMap((n) => n.ipv4)
            .find((r) => r.address.startsWith(`${prefix}.`));
          return remote
            ? [
                {
                  local: ip.address,
                  remote: remote.address,
                  ...measureLink(world, host, ip.address, peer, remote.address),
                },
              ]
            : [];
        }),
      );
      await world.clock.sleep(5);
      return { links };
    }
    case 'pair create': {
      if (node.pair)
        throw new CtlError(
          'already-paired',
          `${host.name} is already in pair ${node.pair.name}: remove it first with pair remove.`,
        );
      const name = text(input, 'name');
      const level = input.level;
      if (level !== 1 && level !== 2 && level !== 3)
        throw new CtlError('invalid-input', 'level must be 1, 2 or 3.', 2);
      const token = text(input, 'token');
      const peerAddress = text(input, 'peer');
      const links = parseLinks(input.links);
      const witness = parseWitness(input.witness);
      peerOf(host, world, peerAddress);
      node.pair = {
        pairId: randomUUID(),
        name,
        level,
        primary: host,
        secondary: null,
        primaryPeer: peerAddress,
        secondaryPeer: null,
        token,
        links,
        witness,
        joinedAt: null,
        protectedVms: new Set(),
        broken: false,
      };
      return { pairId: node.pair.pairId, state: 'pairing' };
    }
    case 'pair join': {
      if (node.pair)
        throw new CtlError('already-paired', `${host.name} is already in pair ${node.pair.name}.`);
      const peerAddress = text(input, 'peer');
      const token = text(input, 'token');
      const primary = peerOf(host, world, peerAddress);
      const pair = primary.agent?.pair;
      if (!pair || pair.primary !== primary || pair.secondary) {
        throw new CtlError(
          'no-pending-pair',
          `${primary.name} has no pairing waiting for a secondary: run pair create on the primary first.`,
        );
      }
      if (pair.token !== token)
        throw new CtlError(
          'token-rejected',
          'The pairing token was not accepted: it is wrong or was already used.',
        );
      if (!hostsAt(world, pair.primaryPeer).includes(host)) {
        throw new CtlError(
          'wrong-peer',
          `The pairing on ${primary.name} expects ${pair.primaryPeer}, not this server.`,
        );
      }
      if (primary.agent!.version !== node.version) {
        throw new CtlError(
          'version-mismatch',
          `Agent versions differ (${primary.agent!.version} on ${primary.name}, ${node.version} here): install the same version on both.`,
        );
      }
      const a = primary.profile.processor;
      const b = host.profile.processor;
      if (pair.level === 3 && (a.family !== b.family || a.model !== b.model || a.stepping !== b.stepping)) {
        throw new CtlError(
          'incompatible-peer',
          `Level 3 needs identical processors: ${primary.name} has family ${a.family} model ${a.model} stepping ${a.stepping}, this server stepping ${b.stepping} of family ${b.family} model ${b.model}.`,
        );
      }
      pair.secondary = host;
      pair.secondaryPeer = peerAddress;
      pair.token = null;
      pair.joinedAt = world.clock.now();
      node.pair = pair;
      announcePhases(pair, world);
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
      const vm = text(input, 'vm');
      // Verbatim, as Get-VM -Name with a literal name: " x " is not "x".
      const found = pair.primary.vms.find((v) => v.name === vm);
      if (!found) throw new CtlError('vm-not-found', `There is no VM named ${vm} on ${pair.primary.name}.`);
      if (verb === 'protect' && pair.primary.faults.protectFails.includes(found.name)) {
        throw new CtlError(
          'protect-failed',
          `${found.name} cannot be protected: its virtual disks are on storage the agent cannot mirror.`,
        );
      }
      if (verb === 'protect') pair.protectedVms.add(found.name);
      else pair.protectedVms.delete(found.name);
      return { vm: found.name, protected: verb === 'protect' };
    }
    case 'drill': {
      const pair = pairOf(host);
      const kind = text(input, 'kind');
      if (kind !== 'primary-loss' && kind !== 'link-loss')
        throw new CtlError('invalid-input', 'kind must be primary-loss or link-loss.', 2);
      const { state, progress } = pairState(pair, world);
      if (state !== 'protected' || pair.drill)
        throw new CtlError(
          'not-protected',
          `The pair is ${state}${state === 'mirroring' ? ` (${progress} %)` : ''}: a drill needs it protected.`,
        );
      return runDrill(pair, world, kind);
    }
    default:
      throw new CtlError('usage', `Unknown command '${verb}'. Verbs: ${VERBS.join(', ')}.`, 2);
  }
}

/** The time on the agent's clock: lab time, so an accelerated lab's drill reads as it would on a server. */
function agentClock(world: LabWorld, startedWall: number, startedLab: number): string {
  return new Date(startedWall + world.clock.labSecondsSince(startedLab) * 1000).toISOString();
}

/**
 * A failover drill, in real stages on the lab clock (docs/agent-contract.md): the stages move
 * the pair's state (and where its VMs run, `vmRunsOn`) as the level promises, and the verb answers
 * once the pair is protected again (or the drill failed). Roles fail back: once resynchronised,
 * the original primary takes its VMs back by live migration, with no outage.
 */
async function runDrill(pair: Pair, world: LabWorld, kind: 'primary-loss' | 'link-loss'): Promise<unknown> {
  const { clock } = world;
  const secondary = pair.secondary!;
  const startedWall = Date.now();
  const startedLab = clock.now();
  const events: { at: string; state: string; node: string; message: string }[] = [];
  const drill: LabDrill = {
    drillId: randomUUID(),
    kind,
    stage: kind === 'primary-loss' ? 'failing-over' : 'degraded',
    survivor: kind === 'primary-loss' ? secondary : pair.primary,
    lost: kind === 'primary-loss' ? pair.primary : secondary,
    stageAt: clock.now(),
  };
  const stage = (next: DrillStage, node: LabHost, message: string, state: string = next): void => {
    drill.stage = next;
    drill.stageAt = clock.now();
    events.push({ at: agentClock(world, startedWall, startedLab), state, node: node.name, message });
    for (const h of [pair.primary, secondary]) if (h.agent?.pair === pair) h.emit('pair-state');
  };
  pair.drill = drill;
  const vms = [...pair.protectedVms].join(', ') || 'no VMs';
  let downtimeLab = 0;
  let result: 'passed' | 'failed' = 'passed';
  let reason: string | null = null;
  try {
    if (kind === 'primary-loss') {
      stage(
        'failing-over',
        pair.primary,
        `Simulated loss of ${pair.primary.name}: its copy of ${vms} stopped`,
        'failing-over',
      );
      const takeover = DRILL_TIMINGS.takeover[pair.level];
      await clock.sleep(takeover);
      if (secondary.faults.drillTakeoverFails) {
        // The survivor cannot run the VMs: the drill is called off and the primary resumes its copy.
        await clock.sleep(5);
        downtimeLab = pair.level === 3 ? 5 : takeover + 5;
        reason = `${secondary.name} could not take over: its standby copy of ${vms} failed to start (the storage mirror on ${secondary.name} is not usable). ${pair.primary.name} resumed the VMs; the pair stays degraded until ${secondary.name} can take over.`;
        result = 'failed';
        pair.takeoverRefusedBy = secondary;
        stage('failed', secondary, reason, 'degraded');
        return { drillId: drill.drillId, result, downtimeMs: downtimeLab * 1000, reason, events };
      }
      downtimeLab = takeover;
      stage(
        'failed-over',
        secondary,
        pair.level === 3
          ? `${secondary.name} carries on with its lockstep copy of ${vms}: no downtime`
          : pair.level === 2
            ? `${secondary.name} took over ${vms}: I/O redirected after ${takeover} s`
            : `${secondary.name} restarted ${vms} after ${takeover} s`,
      );
      await clock.sleep(DRILL_TIMINGS.lostFor);
    } else {
      stage(
        'degraded',
        secondary,
        `Simulated loss of every sync link: ${pair.primary.name} keeps running ${vms} alone`,
      );
      await clock.sleep(DRILL_TIMINGS.linkCutFor);
    }
    stage('resynchronising', drill.lost, `${drill.lost.name} is back: mirroring what changed while apart`);
    await clock.sleep(DRILL_TIMINGS.resynchronising);
    stage('syncing', drill.lost, 'Storage in step: synchronising memory');
    await clock.sleep(DRILL_TIMINGS.syncing);
    pair.drill = null;
    events.push({
      at: agentClock(world, startedWall, startedLab),
      state: 'protected',
      node: pair.primary.name,
      message:
        kind === 'primary-loss'
          ? `Protected again; ${pair.primary.name} took ${vms} back by live migration`
          : 'Protected again',
    });
    for (const h of [pair.primary, secondary]) if (h.agent?.pair === pair) h.emit('pair-state');
    return { drillId: drill.drillId, result, downtimeMs: downtimeLab * 1000, events };
  } finally {
    if (result === 'failed') pair.drill = null;
  }
}

/**
 * Runs twinlockctl on a server whose agent is installed, as the process would be started: its
 * arguments (only `<verb words> --input -` is accepted) and the bytes on its stdin.
 */
export async function runCtl(
  host: LabHost,
  world: LabWorld,
  argv: string[],
  stdin: Uint8Array | string,
): Promise<CtlResult> {
  try {
    const out = await run(host, world, argv, typeof stdin === 'string' ? Buffer.from(stdin, 'utf8') : stdin);
    host.emit('ctl', verbOf(argv));
    return { exitCode: 0, stdout: JSON.stringify(out) };
  } catch (err) {
    if (err instanceof CtlError)
      return {
        exitCode: err.exitCode,
        stdout: JSON.stringify({ error: { code: err.code, message: err.message } }),
      };
    throw err;
  }
}
