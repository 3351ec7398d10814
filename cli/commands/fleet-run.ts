/** `twinlock fleet apply|drift <fleet>`: every pair of a fleet file, several at once. */
import type { Command } from 'commander';

export function registerFleetRunVerbs(_fleet: Command): void {}
