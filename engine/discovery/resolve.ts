/**
 * Name resolution for discovery, each call bounded by a timeout: forward lookups for names the
 * admin typed, reverse lookups (PTR) for hosts found in ranges.
 */
import { lookup } from 'node:dns/promises';
import { Resolver } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/** Resolves names both ways; both calls reject with an error carrying a `code` on failure. */
export interface NameResolver {
  /** The first address of a name. */
  lookup(name: string): Promise<string>;
  /** The names of an address (PTR records), possibly none. */
  reverse(address: string): Promise<string[]>;
  /** Stops queries in flight. */
  cancel(): void;
}

function failure(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/** Races a promise against a timer that rejects with ETIMEOUT; the timer never outlives the race. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(failure('ETIMEOUT', `${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** True for 127.0.0.0/8 and ::1. */
export function isLoopback(address: string): boolean {
  try {
    return ipaddr.parse(address.split('%')[0]!).range() === 'loopback';
  } catch {
    return false;
  }
}

/**
 * The system's resolver, with the special-use names of RFC 6761 answered locally: `.invalid` never
 * resolves and `localhost` is loopback, without a query leaving the workstation. Loopback addresses
 * get no reverse lookup: their names mean nothing on the network (the lab names its own hosts).
 */
export function systemResolver(timeoutMs: number): NameResolver {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  return {
    async lookup(name) {
      const n = name.toLowerCase().replace(/\.$/, '');
      if (n === 'invalid' || n.endsWith('.invalid'))
        throw failure('ENOTFOUND', `${name} is a reserved name that never resolves`);
      if (n === 'localhost' || n.endsWith('.localhost')) return '127.0.0.1';
      const { address } = await withTimeout(lookup(n), timeoutMs, `resolving ${name}`);
      return address;
    },
    async reverse(address) {
      if (isLoopback(address)) return [];
      return withTimeout(
        resolver.reverse(address.split('%')[0]!),
        timeoutMs,
        `the reverse lookup of ${address}`,
      );
    },
    cancel() {
      resolver.cancel();
    },
  };
}
