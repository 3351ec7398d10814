// A build is made in a fresh folder, then swapped in for the old one: a process starting
// meanwhile (a test spawning the CLI, the app) sees the old bundle or the new one, never half of
// one, and chunks named by content hash do not pile up.
import { renameSync, rmSync } from 'node:fs';

/** Runs `build(dir)` into a fresh folder beside `out`, then moves the result to `out`. */
export async function buildInto(out, build) {
  const fresh = `${out}.new-${process.pid}`;
  const old = `${out}.old-${process.pid}`;
  rmSync(fresh, { recursive: true, force: true });
  try {
    await build(fresh);
    try {
      renameSync(out, old);
    } catch (err) {
      if (err.code !== 'ENOENT') throw err;
    }
    try {
      renameSync(fresh, out);
    } catch (err) {
      // Another build of the same sources landed first (parallel test projects): keep that one.
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
    }
  } finally {
    rmSync(fresh, { recursive: true, force: true });
    rmSync(old, { recursive: true, force: true });
  }
}
