/** Parses `host[:port]` arguments, including bracketed IPv6 (`[fe80::1]:2222`). */
import { TwinlockError } from '../engine/api/errors';
import { isPort } from '../engine/api/rules';

export interface HostArg {
  address: string;
  port: number;
}

export function parseHostArg(text: string, defaultPort = 22): HostArg {
  // Taken as typed: a space around the host is refused by the engine, never trimmed away.
  const value = text;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  let address: string;
  let portText: string | undefined;
  if (bracketed) {
    address = bracketed[1] ?? '';
    portText = bracketed[2];
  } else if ((value.match(/:/g) ?? []).length > 1) {
    // A bare IPv6 literal: its colons are not a port separator.
    address = value;
  } else {
    const [host, port] = value.split(':');
    address = host ?? '';
    portText = port;
  }
  const port = portText === undefined ? defaultPort : Number(portText);
  if (!address || !isPort(port)) {
    throw new TwinlockError({
      code: 'invalid-input',
      message: `“${text}” is not a host: expected NAME, NAME:PORT, an IP address or [IPv6]:PORT.`,
      hint: 'For example: twinlock inventory 10.0.0.21:22 --user Administrator',
    });
  }
  return { address, port };
}
