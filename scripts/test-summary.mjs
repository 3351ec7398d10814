#!/usr/bin/env node
// Prints the whole run's closing line from vitest's JSON report: "Tests: N passed, N failed".
import { existsSync, readFileSync, rmSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2] ?? 'test-results/vitest.json', 'utf8'));
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
// The PowerShell tier's own closing line (test/powershell/scripts.test.ts), when it ran.
const tier = 'test-results/powershell-tier.txt';
if (existsSync(tier)) {
  process.stdout.write(readFileSync(tier, 'utf8'));
  rmSync(tier);
}
console.log(
  `Tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`,
);
process.exitCode = report.numFailedTests > 0 || report.numTotalTests === 0 ? 1 : 0;
