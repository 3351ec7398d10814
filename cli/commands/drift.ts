/** `twinlock drift <bundle> <hostA> <hostB>`: how a pair differs from its bundle. */
import type { Command } from 'commander';

export function registerDriftVerb(_program: Command): void {}
