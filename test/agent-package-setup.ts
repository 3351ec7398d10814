/**
 * Makes the agent package Twinlock ships (resources/agent, never committed) before any test reads
 * it: the lab's package format is its source (lab/make-package.ts), so a clean clone gets it and a
 * changed format is never tested against an old file.
 */
import { fileURLToPath } from 'node:url';
import { ensureShippedPackage } from '../lab/make-package';

export default function setup(): void {
  ensureShippedPackage(fileURLToPath(new URL('../resources/agent', import.meta.url)));
}
