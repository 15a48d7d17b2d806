// `cx-surge replay --scenario FILE.csv [--config FILE.json] [--json]`: what would the controller have done
// with this queue history and these thresholds? Pure: reads two files, prints a report, switches nothing.
import { replay } from '../../drill/replay';
import { renderTimeline } from '../../drill/report';
import { parseScenario } from '../../drill/scenario';
import { DEFAULT_CONFIG, parseConfigText, type SurgeConfig } from '../../lambdas/core/config';
import { isInputError, parseCommandArgs, readText, UsageError } from './io';

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
    if (isInputError(e)) {
      process.stderr.write(`cx-surge replay: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
