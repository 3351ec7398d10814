/**
 * Benchmarks, by name: `npm run bench -- <name> [args]`. Never part of `npm test`: they need
 * root, a network namespace or minutes of wall time.
 */
import { fileURLToPath } from 'node:url';
import { ensureShippedPackage } from '../lab/make-package';
import { cliBench } from './cli';
import { connectBench } from './connect';
import { discoveryBench } from './discovery';
import { fleetBench } from './fleet';
import { uploadBench } from './upload';
import { verifyBench } from './verify';

/** One benchmark: prints its figures, resolves to the process exit code. */
export interface Bench {
  description: string;
  run(args: string[]): Promise<number>;
}

/** Every benchmark by name; add yours here. */
export const benches: Record<string, Bench> = {
  cli: cliBench,
  connect: connectBench,
  discovery: discoveryBench,
  fleet: fleetBench,
  upload: uploadBench,
  verify: verifyBench,
};

function usage(): string {
  const names = Object.entries(benches).map(([name, b]) => `  ${name.padEnd(12)} ${b.description}`);
  return ['Usage: npm run bench -- <name> [args]', '', 'Benchmarks:', ...names].join('\n');
}

const [name, ...args] = process.argv.slice(2);
const bench = name ? benches[name] : undefined;
if (!bench) {
  process.stderr.write(`${name ? `Unknown benchmark “${name}”.\n\n` : ''}${usage()}\n`);
  process.exitCode = 2;
} else {
  // The agent package the lab installs (resources/agent) is made, not committed.
  ensureShippedPackage(fileURLToPath(new URL('../resources/agent', import.meta.url)));
  process.exitCode = await bench.run(args);
}
