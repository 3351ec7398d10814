/** `twinlock fleet export-ansible <fleet> --out <dir>`: an inventory and a playbook for an automation controller. */
import type { Command } from 'commander';

export function registerFleetAnsibleVerb(_fleet: Command): void {}
