/**
 * What the agent answers to the pairing verbs (links test, pair create/join/remove, protect,
 * unprotect), as docs/agent-contract.md describes it. The verbs' stdin documents are built in
 * `agent-input.ts`; `runCtl` carries both.
 */
import { z } from 'zod';
import { LinkStatusSchema, PairStateSchema } from '../api/models';

export const LinksTestSchema = z.object({
  links: z.preprocess(
    (v) => (v === null || v === undefined ? [] : Array.isArray(v) ? v : [v]),
    z.array(LinkStatusSchema),
  ),
});
export const PairStartSchema = z.object({ pairId: z.string(), state: PairStateSchema });
export const ProtectSchema = z.object({ vm: z.string(), protected: z.boolean() });
export const PairRemoveSchema = z.object({ state: z.string() });
