/** Security rules: identity (domain) and the firewall between the servers. */
import type { HostInventory } from '../api/models';
import type { RuleDef } from './rule';
import { atEveryLevel, where } from './rule';

/** The agent's inbound TCP ports: two sync links and control (resources/agent/agent-manifest.json). */
export const AGENT_PORTS = [7440, 7441, 7442] as const;

/** Both servers in the same domain. */
export const sameDomain: RuleDef = {
  id: 'security.domain',
  category: 'Security',
  title: 'Domain membership',
  severity: { 1: 'blocker', 2: 'warning', 3: 'warning' },
  reason:
    'Servers in different domains (or a workgroup) cannot trust each other’s accounts, so failover and management need separate credentials on each side.',
  remedy:
    'Join both servers to the same Active Directory domain (System Properties → Computer Name → Change), then restart them.',
  fixId: null,
  passReason: 'Both servers are members of the same domain.',
  check: (a, b) => {
    const show = (h: HostInventory) => (h.partOfDomain ? h.domain : `Workgroup ${h.domain}`);
    return {
      ok: a.partOfDomain && b.partOfDomain && a.domain.toLowerCase() === b.domain.toLowerCase(),
      values: [show(a), show(b)],
    };
  },
};

/** Windows Defender Firewall on for every profile. */
export const firewallProfiles: RuleDef = {
  id: 'security.firewall',
  category: 'Security',
  title: 'Windows Firewall',
  severity: atEveryLevel('warning'),
  reason:
    'A server with its firewall off exposes every service on the business network, including the agent’s control port.',
  remedy:
    'Turn Windows Defender Firewall on for the Domain, Private and Public profiles (Set-NetFirewallProfile -Enabled True).',
  fixId: null,
  passReason: 'Windows Firewall is on for every profile on both servers.',
  check: (a, b) => {
    const off = (h: HostInventory) => h.firewall.profiles.filter((p) => !p.enabled).map((p) => p.name);
    const show = (h: HostInventory) =>
      h.firewall.profiles.length === 0
        ? 'Unknown'
        : off(h).length === 0
          ? 'On'
          : `Off for ${off(h).join(', ')}`;
    return { ok: off(a).length === 0 && off(b).length === 0, values: [show(a), show(b)] };
  },
};

/** The agent's ports open where the agent is installed. */
export const agentPorts: RuleDef = {
  id: 'security.agent-ports',
  category: 'Security',
  title: 'Agent firewall ports',
  // Level 1 runs no agent: its ports matter only at the lockstep levels.
  severity: { 1: 'pass', 2: 'warning', 3: 'warning' },
  reason:
    'The agents talk over TCP 7440–7442; with those ports closed, the servers cannot pair or keep each other in sync.',
  remedy:
    'Allow inbound TCP 7440, 7441 and 7442 in Windows Defender Firewall on the server marked Closed (the agent’s installer does this; a policy may have removed the rules).',
  fixId: 'open-agent-ports',
  passReason:
    'The agent’s ports are open wherever the agent is installed (the Install step opens them otherwise).',
  check: (a, b, level) => {
    const firewallOn = (h: HostInventory) => h.firewall.profiles.some((p) => p.enabled);
    const missing = (h: HostInventory) => AGENT_PORTS.filter((p) => !h.firewall.agentPorts.includes(p));
    const closed = (h: HostInventory) => h.agentVersion !== null && firewallOn(h) && missing(h).length > 0;
    const show = (h: HostInventory) =>
      h.agentVersion === null
        ? 'Opened at install'
        : closed(h)
          ? `Closed: TCP ${missing(h).join(', ')}`
          : 'Open';
    const bad = where(a, b, closed);
    return {
      ok: bad.length === 0,
      values: [show(a), show(b)],
      fixOn: bad,
      ...(level === 1 && bad.length > 0
        ? {
            reason:
              'Level 1 runs no agent, so its ports matter only if the pair later moves to Level 2 or 3.',
          }
        : {}),
    };
  },
};

/** Every security rule, in report order. */
export const securityRules: RuleDef[] = [sameDomain, firewallProfiles, agentPorts];
