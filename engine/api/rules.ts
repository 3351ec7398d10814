/**
 * The rules every shell holds a value to, declared once: the contract's schemas use them, the
 * engine checks with them, and the renderer imports them to catch a typo before anything is sent.
 * Plain TypeScript with no import at all, so it loads anywhere (Node, a browser, the CLI's help).
 */

// ---------------------------------------------------------------------------------------------
// Text that reaches a server

/** True when `s` holds a control character: C0 (NUL, tab, line breaks…), DEL or C1 (such as U+0085, next line). */
export function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

/** Broken Unicode: a high surrogate with no low one after it, or a low one with no high one before. */
export const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** No white space at either end (the empty string passes: a length rule says what is missing). */
export const NO_EDGE_SPACE = /^(?!\s)[\s\S]*(?<!\s)$/;

// ---------------------------------------------------------------------------------------------
// Host names and addresses

/** A host name or IP literal, as a witness or an SSH endpoint is named (no spaces, no slashes). */
export const HOST_NAME = /^[A-Za-z0-9.:_\-[\]%]+$/;
/** The longest host name DNS allows. */
export const HOST_NAME_MAX = 253;

export const HOST_NAME_MESSAGES = {
  missing: 'Enter the server’s name or IP address, for example 10.0.0.21.',
  tooLong: `A host name is at most ${HOST_NAME_MAX} characters.`,
} as const;

/** The first character of `s` a host name cannot hold (a whole code point), or null. */
function firstBadCharacter(s: string): string | null {
  for (const ch of s) if (!HOST_NAME.test(ch)) return ch;
  return null;
}

/** How a character is named in a message: visible ones quoted, the others by their code. */
function characterName(ch: string): string {
  const code = `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  return /\s/.test(ch) ? `a space (${code})` : `“${ch}” (${code})`;
}

/**
 * Why `address` cannot name a server, or null when it can. Taken as typed: a space is refused,
 * not trimmed. The message names the character at fault; a name typed in full-width characters
 * (as an East Asian keyboard may) is answered with its plain form to type instead.
 */
export function hostNameProblem(address: string): string | null {
  if (address === '' || address.trim() === '') return HOST_NAME_MESSAGES.missing;
  if (address.length > HOST_NAME_MAX) return HOST_NAME_MESSAGES.tooLong;
  const bad = firstBadCharacter(address);
  if (bad === null) return null;
  if (/\s/.test(bad)) {
    const where = address.trim() !== address ? 'starts or ends with a space' : 'has a space in it';
    return `The server name ${where}: host names and IP addresses have no spaces. Remove it.`;
  }
  if (bad === '/' || bad === '\\')
    return `A host name has no slashes: give the server’s name or IP address alone, for example srv-a or 10.0.0.21 (a port goes in its own box).`;
  const plain = address.normalize('NFKC');
  if (plain !== address && HOST_NAME.test(plain))
    return `“${address}” is typed in full-width characters. Type it in plain letters and digits: ${plain}`;
  if (bad.codePointAt(0)! > 0x7f)
    return `${characterName(bad)} cannot be in a host name: use the server’s IP address, or its DNS name in letters a–z, digits, dots and dashes (an international name in its xn-- form).`;
  return `${characterName(bad)} cannot be in a host name: use letters, digits, dots and dashes, or the server’s IP address.`;
}

/**
 * A UNC path `\\server\share[\folder…]`: the server a host name or address, each further part a
 * Windows file name (no `\ / : * ? " < > |`; control characters are refused separately).
 */
export const UNC_PATH = /^\\\\[A-Za-z0-9.:_\-[\]%]+(?:\\[^\\/:*?"<>|]+)+$/;

// ---------------------------------------------------------------------------------------------
// Ports

export const PORT_MIN = 1;
export const PORT_MAX = 65535;
/** Said of any port out of range or not a whole number: 0 and 70000 are refused, never clamped. */
export const PORT_RANGE_MESSAGE = `A TCP port is a whole number from ${PORT_MIN} to ${PORT_MAX}.`;

/** True for a TCP port number. */
export function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= PORT_MIN && n <= PORT_MAX;
}

/** A port as typed (digits only), or null when the text is no port: `70000`, `0`, `22a`, `-1`. */
export function parsePort(text: string): number | null {
  const trimmed = text.trim();
  if (!/^\d{1,5}$/.test(trimmed)) return null;
  const n = Number(trimmed);
  return isPort(n) ? n : null;
}

/** The most ports one scan probes. */
export const MAX_SCAN_PORTS = 64;
export const MAX_SCAN_PORTS_MESSAGE = `Probe at most ${MAX_SCAN_PORTS} ports at a time.`;

/** Reads a list of ports ("5986, 8022"), each once; a sentence when it holds something else. */
export function parsePorts(text: string): number[] | string {
  const tokens = text.split(/[\s,]+/).filter((t) => t !== '');
  const ports: number[] = [];
  for (const token of tokens) {
    const port = parsePort(token);
    if (port === null) {
      return `“${token}” is not a TCP port: use numbers from ${PORT_MIN} to ${PORT_MAX}, for example 22, 5985, 445.`;
    }
    if (!ports.includes(port)) ports.push(port);
  }
  if (ports.length > MAX_SCAN_PORTS) return MAX_SCAN_PORTS_MESSAGE;
  return ports;
}

/**
 * The id of a server's SSH endpoint: its address (lower case, without brackets) and port, as
 * `address:port`, an IPv6 address in brackets (`[fd00::21]:22`). Results, selections, sessions and
 * pinned host keys all name a server by it, so the same server typed twice is one entry.
 */
export function endpointId(host: { address: string; port: number }): string {
  let a = host.address.trim().toLowerCase();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  return a.includes(':') ? `[${a}]:${host.port}` : `${a}:${host.port}`;
}

/**
 * How a server is written on the `twinlock` command line (`host[:port]`): the address, with the
 * port when it is not 22; an IPv6 address always in brackets with its port.
 */
export function hostArgument(host: { address: string; port: number }): string {
  const v6 = host.address.includes(':');
  return host.port === 22 && !v6 ? host.address : `${v6 ? `[${host.address}]` : host.address}:${host.port}`;
}

// ---------------------------------------------------------------------------------------------
// Keys

/** `SHA256:` and the unpadded base64 SHA-256 of a key (OpenSSH style): host keys and bundle signers. */
export const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;
export const FINGERPRINT_MESSAGE = 'A fingerprint looks like SHA256: followed by 43 characters.';

/** A certificate thumbprint: 40 hexadecimal characters, as Windows prints it (either case). */
export const THUMBPRINT = /^[0-9A-Fa-f]{40}$/;
export const THUMBPRINT_MESSAGE =
  'A certificate thumbprint is 40 hexadecimal characters, e.g. 30F6A17774E263D39BD1CE41E5EA012232EF1DCF.';

// ---------------------------------------------------------------------------------------------
// Pairs

/** Letters, digits, dot, dash or underscore, starting with a letter or digit. */
export const PAIR_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const PAIR_NAME_MAX = 40;

export const PAIR_NAME_MESSAGES = {
  missing: 'Give the pair a name, for example PAIR-01.',
  edgeSpace: 'The pair name starts or ends with a space: remove it.',
  tooLong: `Keep the pair name to ${PAIR_NAME_MAX} characters.`,
  characters:
    'Use the letters A–Z (without accents), digits, dot, dash or underscore, starting with a letter or digit.',
} as const;

/** Why `name` cannot name a pair, or null when it can. Used as typed: a space is refused, not trimmed. */
export function pairNameProblem(name: string): string | null {
  if (name.trim() === '') return PAIR_NAME_MESSAGES.missing;
  if (!NO_EDGE_SPACE.test(name)) return PAIR_NAME_MESSAGES.edgeSpace;
  if (name.length > PAIR_NAME_MAX)
    return `The pair name is ${name.length} characters: keep it to ${PAIR_NAME_MAX}.`;
  if (!PAIR_NAME.test(name)) {
    // The character at fault, named: "Ü" is a letter to the admin, not to the agent's name rule.
    const bad = [...name].find((ch, i) => !(i === 0 ? /[A-Za-z0-9]/ : /[A-Za-z0-9._-]/).test(ch));
    return bad === undefined
      ? PAIR_NAME_MESSAGES.characters
      : `${characterName(bad)} cannot be in a pair name. ${PAIR_NAME_MESSAGES.characters}`;
  }
  return null;
}

/** The states of a pair, as its agents report them. */
export const PAIR_STATES = [
  'pairing',
  'mirroring',
  'syncing',
  'protected',
  'degraded',
  'failed-over',
  'broken',
] as const;

/** True for one of {@link PAIR_STATES}. */
export function isPairState(s: string): s is (typeof PAIR_STATES)[number] {
  return (PAIR_STATES as readonly string[]).includes(s);
}

// ---------------------------------------------------------------------------------------------

/** Exhaustiveness check for `switch` over unions. */
export function assertNever(value: never): never {
  throw new Error(`Unexpected value: ${JSON.stringify(value)}`);
}

// ---------------------------------------------------------------------------------------------
// Discovery

/** SSH, WinRM (HTTP, HTTPS), SMB, RDP: what a scan probes when no ports are given. */
export const DEFAULT_SCAN_PORTS: readonly number[] = [22, 5985, 5986, 445, 3389];

/**
 * The bounds of a scan's numbers: `ScanRequestSchema` enforces them, and a shell checks them
 * before it calls (the command line's flags).
 */
export const SCAN_LIMITS = {
  /** Per-probe timeout, milliseconds. */
  timeoutMs: { min: 50, max: 60_000 },
  /** Sockets open at once. */
  concurrency: { min: 1, max: 4096 },
  /** The whole scan's time limit, milliseconds. */
  deadlineMs: { min: 100, max: 86_400_000 },
} as const;

// ---------------------------------------------------------------------------------------------
// Level 1: the failover cluster

/**
 * A cluster name is a computer name in the directory: a NetBIOS name of 1 to 15 letters, digits
 * or dashes, not all digits, not starting or ending with a dash.
 */
export const CLUSTER_NAME = /^(?![0-9]+$)(?!-)[A-Za-z0-9-]{1,15}(?<!-)$/;
export const CLUSTER_NAME_MESSAGE =
  'A cluster name is a computer name: 1 to 15 letters, digits or dashes, not all digits and not starting or ending with a dash, for example PAIR01-CL.';
/** The longest NetBIOS computer name. */
export const CLUSTER_NAME_MAX = 15;

/** A dotted-quad IPv4 address with no leading zeros (what `z.ipv4()` accepts). */
export const IPV4 =
  /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])$/;
export const CLUSTER_ADDRESS_MESSAGE = 'The cluster address is an IPv4 address such as 10.0.0.50.';

/** A cloud witness's Azure storage account name: 3 to 24 lowercase letters and digits. */
export const CLOUD_ACCOUNT = /^[a-z0-9]{3,24}$/;

/**
 * A cluster name made from a pair's name: its letters, digits and dashes (anything else becomes a
 * dash), upper-cased, with `-CL` when it fits in 15 characters; `TWINLOCK-CL` when nothing is left.
 */
export function suggestClusterName(pairName: string): string {
  const base = pairName
    .replace(/[^A-Za-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .toUpperCase();
  if (base === '') return 'TWINLOCK-CL';
  const cut = base.slice(0, CLUSTER_NAME_MAX - 3).replace(/-$/, '');
  const name = `${cut}-CL`;
  return CLUSTER_NAME.test(name) ? name : 'TWINLOCK-CL';
}

/**
 * The failover drills: `primary-loss` and `link-loss` at every level. Level 1 (a failover cluster)
 * adds `drain` (the primary's roles moved off gracefully, Suspend-ClusterNode -Drain) and
 * `live-migration` (each VM moved while it runs, the no-downtime test); there `primary-loss` stops
 * the primary's cluster service, and `link-loss` is refused (a cluster has no sync link to cut).
 */
export const DRILL_KINDS = ['primary-loss', 'link-loss', 'drain', 'live-migration'] as const;

// ---------------------------------------------------------------------------------------------
// Bundle files

/**
 * The extension of a bundle Twinlock writes. One extension, because Windows Explorer associates a
 * file by its last extension only: `PAIR-01.twinlock` opens in Twinlock when double-clicked, where a
 * `PAIR-01.twinlock.json` would open in whatever edits `.json`. The content is JSON all the same.
 */
export const BUNDLE_EXTENSION = '.twinlock';
/**
 * The extension bundles were first written with. Still read everywhere, and associated with
 * Twinlock where the desktop matches whole suffixes (Linux, macOS); on Windows the installer adds
 * "Open in Twinlock" to such files' right-click menu instead.
 */
export const EARLIER_BUNDLE_EXTENSION = '.twinlock.json';

/**
 * True for a file name (or a path, Windows' or POSIX) ending in either bundle extension, in any case,
 * with a name before it (`.twinlock` alone is a hidden folder's name, not a bundle's).
 */
export function isBundleFileName(name: string): boolean {
  const base = (name.split(/[\\/]/).pop() ?? '').toLowerCase();
  return [EARLIER_BUNDLE_EXTENSION, BUNDLE_EXTENSION].some(
    (ext) => base.endsWith(ext) && base.length > ext.length,
  );
}

/** The file name a pair's bundle is offered under: `PAIR-01.twinlock`. */
export function bundleFileName(pairName: string): string {
  return `${pairName}${BUNDLE_EXTENSION}`;
}

// ---------------------------------------------------------------------------------------------
// Jobs

/** The step every job's hosts start in. */
export const WAITING_STEP = 'waiting';
