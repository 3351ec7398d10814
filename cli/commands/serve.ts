/**
 * `twinlock serve`: the wizard in a browser on 127.0.0.1, in the foreground. The server (and the
 * lab with --lab) load when the verb runs, so that every other verb starts without them.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { appPaths } from '../../engine/app-paths';
import { TwinlockError, toErrorData } from '../../engine/api/errors';
import type { Lab } from '../../lab/index';
import { checkedText, tcpPort } from '../options';
import { createOutput } from '../output';
import { untilInterrupted } from '../run';

export function registerServeVerb(program: Command): void {
  program
    .command('serve')
    .description('serve the wizard to a browser on 127.0.0.1')
    .option(
      '--port <port>',
      'port to listen on (default: any free port)',
      checkedText(tcpPort('--port', '8080', true)),
      '0',
    )
    .option('--lab', 'start the lab and offer its servers in the wizard')
    .action(async (options: { port: string; lab?: boolean }) => {
      const out = createOutput(false);
      let running: Lab | undefined;
      try {
        const rendererDir = appPaths().renderer;
        if (!existsSync(rendererDir)) {
          throw new TwinlockError({
            code: 'not-found',
            message: 'The wizard has not been built yet.',
            hint: 'Run npm run build (npm start does it for you).',
          });
        }
        const [{ startLab }, { startServer }, { createEngine }] = await Promise.all([
          import('../../lab/index'),
          import('../../server/http-server'),
          import('../../engine/engine'),
        ]);
        running = options.lab ? await startLab({}) : undefined;
        const engine = createEngine(
          running ? { lab: { hosts: running.hosts, witness: running.suggestedWitness } } : {},
        );
        const server = await startServer({ engine, port: Number(options.port), staticDir: rendererDir });
        process.stdout.write(`Twinlock is ready. Open this address in your browser:\n\n  ${server.url}\n\n`);
        if (running) process.stdout.write(`The lab is running ${running.hosts.length} simulated servers.\n`);
        process.stdout.write('Press Ctrl+C to stop.\n');
        await untilInterrupted();
        await server.close();
        await engine.close();
      } catch (err) {
        out.error(toErrorData(err, 'starting the wizard'));
        process.exitCode = 1;
      } finally {
        await running?.close();
      }
    });
}
