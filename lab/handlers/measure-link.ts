/**
 * measure-link.ps1: one end of a sync-link measurement. The listener waits for one sender on its
 * link address; the sender, when the lab's cable model (lab/links.ts) carries IP traffic between
 * the two addresses and a listener is there, gets the model's figures after `seconds` of lab time.
 * A dead link takes the sender's whole connect window, as an unanswered connect does.
 */
import type { LabHost } from '../host';
import { linkFigures, linkPath } from '../links';
import { PsError, scriptThrow } from '../powershell-shapes';
import type { LabWorld } from '../world';
import { str } from './types';
import type { ScriptHandler } from './types';

interface Served {
  bytes: number;
  echoed: number;
}

interface Listening {
  host: LabHost;
  claimed: boolean;
  claim: () => void;
  serve: (s: Served) => void;
}

const listeners = new WeakMap<LabWorld, Map<string, Listening>>();

function registry(world: LabWorld): Map<string, Listening> {
  let m = listeners.get(world);
  if (!m) listeners.set(world, (m = new Map()));
  return m;
}

const num = (params: Record<string, unknown>, key: string, fallback: number): number => {
  const n = Number(params[key]);
  return Number.isFinite(n) && n > 0 ? n : fallback;
};

/** Real milliseconds either end waits for the other's SSH session to arrive, at least. */
const RENDEZVOUS_MS = 1500;

export const measureLink: ScriptHandler = async ({ host, world, params }) => {
  const mode = str(params, 'mode');
  if (mode !== 'listen' && mode !== 'send') throw scriptThrow(`mode must be listen or send, not '${mode}'.`);
  const adapterName = str(params, 'adapter');
  const localAddress = str(params, 'localAddress');
  const port = Math.trunc(Number(params.port));
  const seconds = num(params, 'seconds', 1);
  const connectSeconds = num(params, 'connectSeconds', 5);
  const probes = Math.trunc(num(params, 'probes', 200));
  const nic = host.profile.nics.find((n) => n.name.toLowerCase() === adapterName.toLowerCase());
  if (!nic) throw scriptThrow(`This server has no adapter named '${adapterName}'.`);

  let temporary = false;
  const rules: string[] = [];
  if (!nic.ipv4.some((ip) => ip.address === localAddress)) {
    if (host.profile.nics.some((n) => n.ipv4.some((ip) => ip.address === localAddress)))
      throw new PsError(
        'The object already exists.',
        'ResourceExists',
        'Windows System Error 5010,New-NetIPAddress',
      );
    nic.ipv4.push({ address: localAddress, prefixLength: Math.trunc(Number(params.prefixLength)) || 24 });
    temporary = true;
  }
  try {
    if (mode === 'listen') {
      for (const protocol of ['TCP', 'UDP'] as const) {
        const name = `Twinlock-LinkTest-${protocol}-${port}-In`;
        host.firewallRules = host.firewallRules.filter((r) => r.name !== name);
        host.firewallRules.push({
          name,
          displayName: `Twinlock link measurement (${protocol} ${port})`,
          group: 'Twinlock link measurement',
          enabled: true,
          direction: 'Inbound',
          action: 'Allow',
          protocol,
          localPorts: [port],
        });
        rules.push(name);
      }
      const reg = registry(world);
      const key = `${localAddress}|${port}`;
      if (reg.has(key))
        throw new PsError(
          'Exception calling "Bind" with "1" argument(s): "Only one usage of each socket address (protocol/network address/port) is normally permitted."',
          'NotSpecified',
          'SocketException',
        );
      let claimed!: () => void;
      let serve!: (s: Served) => void;
      const claim = new Promise<void>((r) => (claimed = r));
      const served = new Promise<Served>((r) => (serve = r));
      const entry: Listening = {
        host,
        claimed: false,
        claim: () => ((entry.claimed = true), claimed()),
        serve,
      };
      reg.set(key, entry);
      let result: Served | null = null;
      try {
        const waitMs = Math.max(2 * RENDEZVOUS_MS, world.clock.realMs(connectSeconds + 2));
        await Promise.race([claim, world.clock.network(waitMs)]);
        if (entry.claimed) result = await served;
      } finally {
        reg.delete(key);
      }
      return {
        mode: 'listen',
        adapter: adapterName,
        localAddress,
        port,
        temporaryAddress: temporary,
        connected: result !== null,
        bytesReceived: result?.bytes ?? 0,
        datagramsEchoed: result?.echoed ?? 0,
      };
    }

    const remoteAddress = str(params, 'remoteAddress');
    const out = {
      mode: 'send',
      adapter: adapterName,
      localAddress,
      remoteAddress,
      port,
      temporaryAddress: temporary,
      reached: false,
      reason: null as string | null,
      probesSent: 0,
      probesReceived: 0,
      rttMs: null as number | null,
      lossPct: null as number | null,
      bytesSent: 0,
      seconds: 0,
      mbps: null as number | null,
    };
    const giveUpAt = Date.now() + Math.max(RENDEZVOUS_MS, world.clock.realMs(connectSeconds));
    for (;;) {
      const peer = world.hosts.find(
        (h) => h !== host && h.profile.nics.some((n) => n.ipv4.some((ip) => ip.address === remoteAddress)),
      );
      const path = peer ? linkPath(world, host, localAddress, peer, remoteAddress) : null;
      const listening = registry(world).get(`${remoteAddress}|${port}`);
      if (path?.up && listening && listening.host === peer && !listening.claimed) {
        listening.claim();
        const f = linkFigures(
          path.cable,
          `script|${host.name}|${path.a.name}|${peer.name}|${path.b.name}`,
          probes,
        );
        await world.clock.sleep(seconds);
        const bytes = Math.round((f.mbps * 1e6 * seconds) / 8);
        listening.serve({ bytes, echoed: f.probesReceived });
        return {
          ...out,
          reached: true,
          probesSent: f.probesSent,
          probesReceived: f.probesReceived,
          rttMs: f.rttMs,
          lossPct: f.lossPct,
          bytesSent: bytes,
          seconds: Math.round((seconds + f.rttMs / 1000) * 1000) / 1000,
          mbps: f.mbps,
        };
      }
      if (Date.now() >= giveUpAt) {
        const reason =
          path && path.up
            ? `${remoteAddress}:${port} refused or unreachable: No connection could be made because the target machine actively refused it.`
            : `no answer from ${remoteAddress}:${port} within ${connectSeconds} s (no cable, adapter down, or address unreachable)`;
        return { ...out, reason };
      }
      await world.clock.network(20);
    }
  } finally {
    host.firewallRules = host.firewallRules.filter((r) => !rules.includes(r.name));
    if (temporary) {
      const i = nic.ipv4.findIndex((ip) => ip.address === localAddress);
      if (i >= 0) nic.ipv4.splice(i, 1);
    }
  }
};
