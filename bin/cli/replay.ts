// `surge replay --scenario FILE.csv [--config FILE.json] [--json]`: what would the controller have done
// with this queue history and these thresholds? Pure: reads two files, prints a report, switches nothing.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { replay } from '../../drill/replay';
import { renderTimeline } from '../../drill/report';
import { parseScenario, ScenarioError } from '../../drill/scenario';
import { DEFAULT_CONFIG, parseConfigText, type SurgeConfig } from '../../lambdas/core/config';
import { ConfigError } from '../../lambdas/core/errors';

export const USAGE = `usage: surge replay --scenario FILE.csv [--config FILE.json] [--json]

Replays a queue history through the decision core and prints what the controller would have done:
a per-queue timeline of tier activations and restores (and why), the actuators it would have
switched, the lines it ignored and the pages it would have sent.

options:
  --scenario FILE.csv   observedAt,queueId,waiting,agentsAvailable (one observation per line)
  --config FILE.json    controller config (default: the built-in defaults, i.e. {})
  --json                print the report as JSON (transitions, actuations, ignored, pages)
  -h, --help            show this help

exit codes: 0 done, 2 bad input (the message names the file, line and field)`;

/** Bad command-line input: one line on stderr, exit 2. */
class UsageError extends Error {}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new UsageError(`cannot read ${path}: ${why}`);
  }
}

export async function run(args: string[]): Promise<number> {
  try {
    let values: { scenario?: string; config?: string; json?: boolean; help?: boolean };
    try {
      ({ values } = parseArgs({
        args,
        options: {
          scenario: { type: 'string' },
          config: { type: 'string' },
          json: { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
        strict: true,
        allowPositionals: false,
      }));
    } catch (e) {
      throw new UsageError(`${(e as Error).message} (surge replay --help for options)`);
    }
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (!values.scenario)
      throw new UsageError('--scenario FILE.csv is required (surge replay --help for options)');

    const config: SurgeConfig = values.config
      ? parseConfigText(await readText(values.config), values.config)
      : DEFAULT_CONFIG;
    const lines = parseScenario(await readText(values.scenario), values.scenario);
    const result = replay(lines, config);

    if (values.json) {
      const { transitions, actuations, ignored, pages } = result;
      process.stdout.write(`${JSON.stringify({ transitions, actuations, ignored, pages }, null, 2)}\n`);
    } else {
      process.stdout.write(
        renderTimeline(result, config, {
          title: `replay of ${values.scenario}`,
          queues: result.queues,
          observations: result.observations,
        }),
      );
    }
    return 0;
  } catch (e) {
    if (e instanceof UsageError || e instanceof ScenarioError || e instanceof ConfigError) {
      process.stderr.write(`surge replay: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
