/** Connect: an SSH session to one server and the host keys pinned on the way. */
import { z } from 'zod';
import { HostAddressSchema } from './discovery';
import {
  FINGERPRINT,
  FINGERPRINT_MESSAGE,
  LONE_SURROGATE,
  NO_EDGE_SPACE,
  hasControlCharacter,
} from '../rules';

/** A request to open an SSH session to a server. The password lives in memory only. */
export const ConnectRequestSchema = HostAddressSchema.extend({
  /** Account with administrator rights, e.g. `Administrator` or `CONTOSO\admin`. */
  username: z
    .string()
    .min(1, 'Enter the administrator account’s user name.')
    .regex(
      NO_EDGE_SPACE,
      'The user name starts or ends with a space: remove it (Windows account names never do).',
    )
    .refine(
      (s) => !hasControlCharacter(s) && !LONE_SURROGATE.test(s),
      'The user name holds a control character or broken Unicode: type it again.',
    ),
  /** Password (never stored in clear, never logged). Either this or a private key. */
  password: z.string().min(1, 'Enter the password.').optional(),
  /** A private key in OpenSSH or PEM form, as read from the admin's key file (held in memory only). */
  privateKey: z
    .string()
    .min(1, 'Choose a private key file.')
    .max(
      65_536,
      'A private key file is a few kilobytes; this one is far larger. Choose the private key (for example id_ed25519).',
    )
    .optional(),
  /** The private key's passphrase, when it has one. */
  passphrase: z.string().min(1).optional(),
  /** Accept this SHA-256 fingerprint for a host seen for the first time (`SHA256:…`). */
  acceptFingerprint: z.string().regex(FINGERPRINT, FINGERPRINT_MESSAGE).optional(),
  /** Connect timeout in milliseconds. */
  timeoutMs: z.number().int().min(500).max(120_000).optional(),
}).refine((r) => r.password !== undefined || r.privateKey !== undefined, {
  path: ['password'],
  message: 'Enter the password, or choose a private key file.',
});
export type ConnectRequest = z.input<typeof ConnectRequestSchema>;

/** An open session to one server. */
export const HostSessionSchema = z.object({
  /** Opaque id used by every later call. */
  sessionId: z.string(),
  address: z.string(),
  port: z.number().int(),
  username: z.string(),
  /** Pinned host-key fingerprint (`SHA256:…`). */
  fingerprint: z.string(),
  /** True when the key was pinned by this connection (first use). */
  newlyPinned: z.boolean(),
  /** The server's computer name. */
  computerName: z.string(),
  /** e.g. `Microsoft Windows Server 2022 Datacenter`. */
  osCaption: z.string(),
  /** True when the account is a member of the local Administrators group (elevated). */
  isAdmin: z.boolean(),
  /**
   * How the session logged on. A key-based logon to Windows' OpenSSH has no network credentials,
   * so the server cannot reach another server as the admin (Level 1's cluster needs that).
   */
  logon: z.enum(['password', 'key']).default('password'),
});
export type HostSession = z.infer<typeof HostSessionSchema>;

export const SessionRefSchema = z.object({ sessionId: z.string().min(1) });

/** A pinned host key. */
export const KnownHostEntrySchema = z.object({
  /** `address:port` (IPv6 in brackets). */
  host: z.string(),
  /** `SHA256:…` as OpenSSH prints it. */
  fingerprint: z.string(),
  keyType: z.string(),
  /** When the key was pinned, ISO 8601. */
  firstSeen: z.string(),
});
export type KnownHostEntry = z.infer<typeof KnownHostEntrySchema>;
export type SessionRef = z.infer<typeof SessionRefSchema>;
