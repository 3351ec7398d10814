/**
 * `twinlock fleet …`: many pairs from one bundle — `apply` and `drift` run every pair of a fleet
 * file, `export-ansible` writes the same steps for an automation controller.
 */
import type { Command } from 'commander';
import { registerFleetAnsibleVerb } from './fleet-ansible';
import { registerFleetRunVerbs } from './fleet-run';

export function registerFleetVerbs(program: Command): void {
  const fleet = program
    .command('fleet')
    .description('many pairs from one bundle: apply, check for drift, or export for Ansible');
  registerFleetRunVerbs(fleet);
  registerFleetAnsibleVerb(fleet);
}
