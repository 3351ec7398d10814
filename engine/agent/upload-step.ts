/** Uploads the agent package to a server over SFTP, resuming after dropped connections. */
import type { JobContext } from '../jobs/types';
import { sleep } from '../jobs/sleep';
import { REMOTE_PATHS } from '../remote/scripts';
import type { InstallTimings, InstallTarget, Report } from './install-types';
import { isTransient } from './reconnecting-host';
import type { ReconnectingHost } from './reconnecting-host';
import type { AgentPackage } from './manifest';

/** Uploads the MSI, resuming from what the server already holds after each dropped connection. */
export async function uploadPackage(
  ctx: JobContext<'install'>,
  t: InstallTarget,
  connection: ReconnectingHost,
  pkg: AgentPackage,
  opts: Required<InstallTimings>,
  report: Report,
): Promise<void> {
  const { manifest } = pkg;
  report(t, 5, 'upload', 'Preparing the upload');
  let lastDone = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      const host = await connection.live();
      await host.mkdirp(REMOTE_PATHS.packagesSftpDir);
      await host.upload(pkg.msiPath, `${REMOTE_PATHS.packagesSftpDir}/${manifest.file}`, {
        signal: ctx.signal,
        resume: true,
        onProgress: (p) => {
          const total = p.bytesTotal || manifest.size;
          lastDone = p.bytesDone;
          const extra: Record<string, unknown> = {
            bytesDone: p.bytesDone,
            bytesTotal: total,
            rateBps: p.rateBps,
          };
          if (p.rateBps > 0) extra.etaSeconds = Math.ceil((total - p.bytesDone) / p.rateBps);
          report(
            t,
            5 + Math.round((55 * p.bytesDone) / Math.max(total, 1)),
            'upload',
            uploadMessage(p.bytesDone, total, p.rateBps),
            extra,
          );
        },
      });
      return;
    } catch (err) {
      const delay = opts.uploadRetryDelaysMs[attempt];
      if (!isTransient(err) || delay === undefined || ctx.signal.aborted) throw err;
      const mb = (lastDone / 1_000_000).toFixed(1);
      report(
        t,
        5 + Math.round((55 * lastDone) / Math.max(manifest.size, 1)),
        'upload',
        `The connection to ${t.label} dropped at ${mb} MB; resuming in ${Math.max(1, Math.round(delay / 1000))} s (attempt ${attempt + 2} of ${opts.uploadRetryDelaysMs.length + 1})`,
      );
      await sleep(delay, ctx.signal, opts.clock);
    }
  }
}

/** `Uploading 12.3 of 30.1 MB at 45 MB/s`. */
export function uploadMessage(done: number, total: number, rateBps: number): string {
  const mb = (n: number) => (n / 1_000_000).toFixed(1);
  return `Uploading ${mb(done)} of ${mb(total)} MB at ${Math.round(rateBps / 1_000_000)} MB/s`;
}
