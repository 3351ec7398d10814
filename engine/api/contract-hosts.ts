/**
 * The contract's methods about servers: what Discover pre-fills, targets, sessions and pinned host
 * keys. Their schemas are small and need none of the others, so the engine checks these calls
 * without building the rest of the contract (engine/engine.ts): a `twinlock hosts list` builds
 * only these. contract.ts holds them with every other method; the shells see one map.
 */
import { z } from 'zod';
import {
  CheckTargetsRequestSchema,
  DiscoverySuggestionsSchema,
  HostAddressSchema,
  TargetsCheckSchema,
} from './models/discovery';
import {
  ConnectRequestSchema,
  HostSessionSchema,
  KnownHostEntrySchema,
  SessionRefSchema,
} from './models/remote';

/** A method that takes nothing, or answers nothing. */
export const EmptySchema = z.object({}).strict();

export const hostMethods = {
  /** What the Discover screen pre-fills: targets and known (lab) hosts. */
  suggestions: { input: EmptySchema, output: DiscoverySuggestionsSchema },
  /** Checks targets as they are typed: how many addresses a scan would probe, or the bad token (`invalid-input`). */
  checkTargets: { input: CheckTargetsRequestSchema, output: TargetsCheckSchema },
  /** Opens an SSH session, pinning the host key on first use. */
  connect: { input: ConnectRequestSchema, output: HostSessionSchema },
  /** Closes a session. */
  disconnect: { input: SessionRefSchema, output: EmptySchema },
  /** Open sessions (so a reloaded window can pick up where it was). */
  sessions: { input: EmptySchema, output: z.array(HostSessionSchema) },
  /** Servers whose host keys are pinned. */
  knownHosts: { input: EmptySchema, output: z.array(KnownHostEntrySchema) },
  /** Forgets a pinned host key (after a server was reinstalled); the next connect shows the new key. */
  forgetHostKey: { input: HostAddressSchema, output: z.object({ forgotten: z.boolean() }) },
} as const;
