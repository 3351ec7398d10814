/**
 * Entry point of the desktop app (bundled to dist-electron/main.js). Wires the real engine and,
 * on `--lab` or `TWINLOCK_LAB=1`, the simulated servers into the shell.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, dialog } from 'electron';
import { createEngine } from '../engine/engine';
import { prepareBeforeReady, startDesktopApp } from './app';

prepareBeforeReady();

startDesktopApp({
  createEngine,
  startLab: async () => {
    // Loaded only on request: the lab (an SSH server per simulated host) is not part of a normal run.
    const { startLab } = await import('../lab/index');
    const lab = await startLab({});
    return { forEngine: { hosts: lab.hosts, witness: lab.suggestedWitness }, close: () => lab.close() };
  },
  bundleDir: path.dirname(fileURLToPath(import.meta.url)),
}).catch((err: unknown) => {
  dialog.showErrorBox('Twinlock could not start.', err instanceof Error ? err.message : String(err));
  app.exit(1);
});
