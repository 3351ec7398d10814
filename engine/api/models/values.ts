/**
 * Values that reach a server: the names and addresses the admin types or Windows reports, as
 * they travel to the servers.
 */
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import {
  LONE_SURROGATE,
  NO_EDGE_SPACE,
  PORT_MAX,
  PORT_MIN,
  PORT_RANGE_MESSAGE,
  hasControlCharacter,
} from '../rules';

// Names and addresses travel to the servers exactly as given: Twinlock never trims, re-cases or
// splits them (the agent takes them verbatim too). Each field decides what it accepts:
// - names Windows itself reports (VM names, adapter names) are taken verbatim, spaces at either
//   end included, so a VM named " x " is " x ";
// - what an admin types and Windows never pads (pair name, addresses, account name) is refused
//   with a space at either end, rather than silently trimmed;
// - nothing accepts control characters (NUL, line breaks, tabs, C1 controls) or broken Unicode
//   (a lone surrogate), which no server field can hold faithfully.

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

/** A TCP port: a whole number from 1 to 65535, refused (never clamped) when outside. */
export const PortSchema = z
  .number(PORT_RANGE_MESSAGE)
  .int(PORT_RANGE_MESSAGE)
  .min(PORT_MIN, PORT_RANGE_MESSAGE)
  .max(PORT_MAX, PORT_RANGE_MESSAGE);
