/**
 * The stdin documents of the agent's pairing verbs (docs/agent-contract.md), built from a
 * validated {@link PairConfig}. Every name and address is passed exactly as configured: never
 * trimmed, re-cased or split (the agent takes them verbatim).
 */
import type { PairConfig } from '../api/models';

/** How long `links test` measures each link. */
export const LINKS_TEST_SECONDS = 5;

/** `links test`: each configured link to the peer, measured from the primary. */
export function linksTestInput(config: PairConfig): Record<string, unknown> {
  return {
    peer: config.links[0]?.remoteAddress ?? '',
    links: config.links.map((l) => ({ local: l.localAddress, remote: l.remoteAddress })),
    seconds: LINKS_TEST_SECONDS,
  };
}

/** `pair create` on the primary; the witness kind in the agent's words (`host` or `share`). */
export function pairCreateInput(config: PairConfig, token: string): Record<string, unknown> {
  return {
    name: config.name,
    peer: config.links[0]?.remoteAddress ?? '',
    token,
    level: config.level,
    links: config.links.map((l) => ({
      local: l.localAddress,
      remote: l.remoteAddress,
      localNic: l.localNic,
      remoteNic: l.remoteNic,
    })),
    witness: config.witness
      ? {
          kind: config.witness.kind === 'file-share' ? 'share' : 'host',
          address: config.witness.address,
          ...(config.witness.port !== undefined ? { port: config.witness.port } : {}),
        }
      : null,
  };
}

/** `pair join` on the secondary: the primary's address on the first link and the token. */
export function pairJoinInput(config: PairConfig, token: string): Record<string, unknown> {
  return { peer: config.links[0]?.localAddress ?? '', token };
}
