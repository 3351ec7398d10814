/** Memory rules: lockstep mirrors memory page for page, so both servers need the same amount. */
import type { Rule } from './rule';
import { byLevel, finding, formatBytes } from './rule';

/**
 * Firmware reserves slightly different amounts on otherwise identical servers, so sizes within
 * this fraction of each other count as equal.
 */
export const MEMORY_TOLERANCE = 0.01;

/** Installed memory within 1%. */
export const memorySize: Rule = (a, b, level) => {
  const info = { ruleId: 'memory.size', category: 'Memory', title: 'Installed memory' };
  const x = a.memory.totalBytes;
  const y = b.memory.totalBytes;
  const close = Math.abs(x - y) <= MEMORY_TOLERANCE * Math.max(x, y);
  return finding(
    info,
    close ? 'pass' : byLevel(level, { 1: 'warning', 2: 'blocker', 3: 'blocker' }),
    [formatBytes(x), formatBytes(y)],
    close
      ? 'Both servers have the same amount of memory.'
      : level === 1
        ? 'With different amounts of memory, the smaller server may not be able to start every VM after a failover.'
        : 'Memory is mirrored between the servers, so both must have the same amount installed (within 1%).',
    'Install the same memory modules in both servers, so that Task Manager shows the same total on each.',
  );
};

/** Every memory rule, in report order. */
export const memoryRules: Rule[] = [memorySize];
