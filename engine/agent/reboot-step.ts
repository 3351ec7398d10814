/**
 * Restarts a server after msiexec asked for it, and waits until it answers SSH again with the
 * same host key.
 */
import { TwinlockError } from '../api/errors';
import type { JobContext } from '../jobs/types';
import { sleep } from '../jobs/sleep';
import type { InstallOptions, InstallTarget, Report } from './install-types';
import { isTransient } from './link';
import type { Link } from './link';

/** Asks the server to restart (unless it already is), then waits for SSH with the same host key. */
export async function rebootAndWait(
  ctx: JobContext<'install'>,
  t: InstallTarget,
  link: Link,
  opts: Required<InstallOptions>,
  report: Report,
  alreadyStarted: boolean,
): Promise<void> {
  const started = Date.now();
  const deadline = started + opts.rebootTimeoutMs;
  if (!alreadyStarted) {
    report(t, 78, 'reboot', `Restarting ${t.label} to finish the installation`);
    const host = await link.live();
    await host.runScript('restart-host', { delaySeconds: opts.rebootDelaySeconds, reason: 'agent-install' }, { signal: ctx.signal });
  } else {
    report(t, 78, 'reboot', `${t.label} is restarting to finish the installation`);
  }
  // The restart begins a few seconds after shutdown.exe answered: wait for the session to drop.
  while (link.host.isConnected()) {
    if (Date.now() >= deadline) throw rebootTimeout(t, opts);
    await sleep(Math.min(opts.rebootPollMs, 250), ctx.signal);
  }
  for (;;) {
    const waited = Math.round((Date.now() - started) / 1000);
    report(t, 80, 'reboot', `Waiting for ${t.label} to come back (${waited} s)`);
    try {
      await link.live();
      report(t, 82, 'reboot', `${t.label} is back after ${Math.round((Date.now() - started) / 1000)} s`);
      return;
    } catch (err) {
      // host-key-changed and auth-failed stop here: the server that came back is not the one we knew.
      if (!isTransient(err)) throw err;
      if (Date.now() >= deadline) throw rebootTimeout(t, opts);
      await sleep(opts.rebootPollMs, ctx.signal);
    }
  }
}

function rebootTimeout(t: InstallTarget, opts: Required<InstallOptions>): TwinlockError {
  return new TwinlockError({
    code: 'timeout',
    message: `${t.label} did not come back within ${Math.round(opts.rebootTimeoutMs / 60_000)} min of its restart.`,
    hint: 'Check the server’s console (it may wait on an update or a boot prompt), then resume the installation.',
    detail: { host: t.label },
  });
}
