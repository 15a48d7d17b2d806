// `cx-surge console [--port N] [where]`: the supervisors' page on 127.0.0.1 until Ctrl-C.
import { startConsole } from './console-server';
import { isInputError, parseCommandArgs, UsageError } from './io';
import { openTarget, TARGET_HELP, TARGET_OPTIONS } from './operate-target';

export const USAGE = `usage: cx-surge console [--port N] [where]

A local web page for supervisors, on 127.0.0.1 only: the status table (refreshing every 5 s), degraded
queues marked with the age of their data, one-click overrides (hold a tier on or off, or clear) with a
reason and a confirmation, and what each click changed. It writes with your own credentials, so it
answers only its own page: the URL it prints carries a secret token for this run, and requests from any
other web page or host name are refused.

options:
  --port N        TCP port on 127.0.0.1 (default: any free port; the URL is printed)
  -h, --help      show this help

${TARGET_HELP}

exit codes: 0 stopped with Ctrl-C, 1 could not start, 2 bad input`;

export async function run(args: string[]): Promise<number> {
  try {
    const { values } = parseCommandArgs('console', args, {
      port: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      ...TARGET_OPTIONS,
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const port = values.port === undefined ? 0 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535)
      throw new UsageError(`--port must be an integer 0–65535, got '${values.port}'`);
    const target = await openTarget(values);
    const server = await startConsole({ ...target, port });
    process.stdout.write(
      `cx-surge console for ${target.where}\n  open ${server.url}\n  (only this URL works: it carries this run's secret token; Ctrl-C stops)\n`,
    );
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await server.close();
    target.close();
    return 0;
  } catch (e) {
    if (isInputError(e)) {
      process.stderr.write(`cx-surge console: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`cx-surge console: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
    return 1;
  }
}
