/**
 * The fixes Twinlock can run, as plain data: the command line lists them in its help without
 * loading the contract's schemas (models/verify.ts builds FixIdSchema from this list).
 */
export const FIX_IDS = [
  'install-hyperv',
  'open-agent-ports',
  'resync-time',
  'power-plan-high',
  'install-hotfix',
  'restart',
] as const;
