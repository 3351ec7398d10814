/**
 * Values that reach a server: the names and addresses the admin types or Windows reports, as
 * they travel to the servers.
 */
import ipaddr from 'ipaddr.js';
import { z } from 'zod';

// Names and addresses travel to the servers exactly as given: Twinlock never trims, re-cases or
// splits them (the agent takes them verbatim too). Each field decides what it accepts:
// - names Windows itself reports (VM names, adapter names) are taken verbatim, spaces at either
//   end included, so a VM named " x " is " x ";
// - what an admin types and Windows never pads (pair name, addresses, account name) is refused
//   with a space at either end, rather than silently trimmed;
// - nothing accepts control characters (NUL, line breaks, tabs, C1 controls) or broken Unicode
//   (a lone surrogate), which no server field can hold faithfully.

/** True when `s` holds a control character: C0 (NUL, tab, line breaks…), DEL or C1 (such as U+0085, next line). */
export function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}
export const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** No white space at either end (the empty string passes: `min(1)` says what is missing). */
export const NO_EDGE_SPACE = /^(?!\s)[\s\S]*(?<!\s)$/;

/** A name Windows reports and Twinlock passes on verbatim (spaces at either end included). */
function windowsName(what: string, max: number, missing: string) {
  return z
    .string()
    .min(1, missing)
    .max(max, `A ${what} is at most ${max} characters.`)
    .refine(
      (s) => !hasControlCharacter(s),
      `The ${what} holds a control character (NUL, line break or tab): rename it on the server, then read the inventory again.`,
    )
    .refine(
      (s) => !LONE_SURROGATE.test(s),
      `The ${what} is not valid Unicode text: rename it on the server, then read the inventory again.`,
    );
}

/** A Hyper-V VM name, verbatim (Hyper-V allows 100 characters). */
export const VmNameSchema = windowsName(
  'VM name',
  100,
  'A VM name cannot be empty: choose VMs by the names Hyper-V shows.',
);

/** A network adapter name (interface alias), verbatim (Windows allows 256 characters). */
export const AdapterNameSchema = windowsName(
  'network adapter name',
  256,
  'Choose the network adapter by its name as Windows shows it.',
);

/** An IPv4 address in dotted decimal, or an IPv6 address; exactly as typed. */
export const IpAddressSchema = z
  .string()
  .min(1, 'Enter the IP address, for example 10.10.1.21.')
  .regex(NO_EDGE_SPACE, 'The address starts or ends with a space: remove it.')
  .refine(
    (s) => ipaddr.IPv4.isValidFourPartDecimal(s) || (s.includes(':') && ipaddr.IPv6.isValid(s)),
    'Use an IP address, for example 10.10.1.21 or fd00::21.',
  );

/** A host name or IP literal, as a witness or an SSH endpoint is named. */
export const HOST_NAME = /^[A-Za-z0-9.:_\-[\]%]+$/;

/**
 * A UNC path `\\server\share[\folder…]`: the server a host name or address, each further part a
 * Windows file name (no `\ / : * ? " < > |`, no control characters).
 */
export const UNC_PATH = /^\\\\[A-Za-z0-9.:_\-[\]%]+(?:\\[^\\/:*?"<>|]+)+$/;
