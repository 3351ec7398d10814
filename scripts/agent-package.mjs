#!/usr/bin/env node
// The agent package Twinlock ships (resources/agent: TwinlockAgent-3.2.1-x64.msi and
// agent-manifest.json) is made from the lab's package format (lab/make-package.ts), never
// committed. `npm start`, the build, the app's layout and the tests' global setup make it here
// when it is missing (or not the one the lab's code makes).
// Usage: node scripts/agent-package.mjs
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const root = fileURLToPath(new URL('..', import.meta.url));
export const agentDir = join(root, 'resources', 'agent');

/** Makes resources/agent's package when it is missing or not the one the lab makes; returns whether it did. */
export async function ensureAgentPackage({ quiet = false } = {}) {
  const { ensureShippedPackage } = await tsImport('../lab/make-package.ts', import.meta.url);
  const { manifest, written } = ensureShippedPackage(agentDir);
  if (written && !quiet) console.log(`Made the agent package resources/agent/${manifest.file}.`);
  return written;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await ensureAgentPackage({ quiet: process.argv.includes('--quiet') });
}
