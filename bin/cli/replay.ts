// `cx-surge replay --scenario FILE.csv [--config FILE.json] [--json]`: what would the controller have done
// with this queue history and these thresholds? Pure: reads two files, prints a report, switches nothing.
import { ScenarioReplay } from '../../drill/replay';
import { prettyJsonChunks, timelineLines } from '../../drill/report';
import { streamObservations } from '../../drill/scenario';
import { DEFAULT_CONFIG, parseConfigText, type SurgeConfig } from '../../lambdas/core/config';
import {
  isInputError,
  parseCommandArgs,
  readChunks,
  readText,
  synthWarnings,
  UsageError,
  unmatchedQueueWarnings,
  writeChunks,
} from './io';

export const USAGE = `usage: cx-surge replay --scenario FILE.csv [--config FILE.json] [--json]

Replays a queue history through the decision core and prints what the controller would have done:
a per-queue timeline of tier activations and restores (and why), the actuators it would have
switched, the lines it ignored and the pages it would have sent.

options:
  --scenario FILE.csv   observedAt,queueId,waiting,agentsAvailable (one observation per line)
  --config FILE.json    controller config (default: the built-in defaults, i.e. {})
  --json                print the report as JSON (transitions, actuations, ignored, pages)
  -h, --help            show this help

exit codes: 0 done, 2 bad input (the message names the file, line and field)`;

export async function run(args: string[]): Promise<number> {
  try {
    const { values } = parseCommandArgs('replay', args, {
      scenario: { type: 'string' },
      config: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (!values.scenario)
      throw new UsageError('--scenario FILE.csv is required (cx-surge replay --help for options)');

    const config: SurgeConfig = values.config
      ? parseConfigText(await readText(values.config), values.config)
      : DEFAULT_CONFIG;
    // Streamed: the file is read and decided 1 MiB at a time; only the report's lists stay in memory
    // (what happened, not every line), and nothing is printed before the last line parsed cleanly.
    const run = new ScenarioReplay(config);
    await streamObservations(readChunks(values.scenario), values.scenario, run);
    const result = run.report;
    for (const w of [...synthWarnings(config), ...unmatchedQueueWarnings(config, result.queues)])
      process.stderr.write(`cx-surge replay: warning: ${w}\n`);

    if (values.json) {
      const { transitions, actuations, ignored, pages } = result;
      await writeChunks(prettyJsonChunks({ transitions, actuations, ignored, pages }));
      process.stdout.write('\n');
    } else {
      await writeChunks(
        timelineLines(result, config, {
          title: `replay of ${values.scenario}`,
          queues: result.queues,
          observations: result.observations,
        }),
        '\n',
      );
    }
    return 0;
  } catch (e) {
    if (isInputError(e)) {
      process.stderr.write(`cx-surge replay: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
