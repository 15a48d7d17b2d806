// `cx-surge drill [--scenario FILE.csv|NAME] [--config FILE.json] [--faults FILE.json] [--json] [--report FILE.html] [--outbox FILE]`:
// the real handlers on local stand-ins (dynalite, the Genesys emulator, a local pager), tick by tick
// on simulated time, ending with a pass/fail check per tier. `npm start` runs it on the flash sale.

import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DrillResult, runDrill } from '../../drill/drill';
import { renderDrillText } from '../../drill/drill-text';
import { BUILT_IN_SCENARIOS_DIR, builtInBeside, faultsFileFor, loadFaultsFile } from '../../drill/faults';
import { renderHtmlReport } from '../../drill/html-report';
import { type ScenarioLine, streamScenario } from '../../drill/scenario';
import type { StandIns } from '../../drill/stand-ins';
import { DEFAULT_CONFIG, parseConfigText, type SurgeConfig } from '../../lambdas/core/config';
import {
  checkWritable,
  isInputError,
  parseCommandArgs,
  readChunks,
  readText,
  synthWarnings,
  UsageError,
  unmatchedQueueWarnings,
} from './io';
import { ProgressLine } from './progress';

export const DEFAULT_SCENARIO = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../drill/scenarios/flash-sale.csv',
);

/** How often the served stand-ins' poller ticks, in real seconds. */
export const SERVE_TICK_SECONDS = 5;

export const USAGE = `usage: cx-surge drill [--scenario FILE.csv|NAME] [--config FILE.json] [--faults FILE.json] [--json] [--report FILE.html] [--outbox FILE] [--serve]

Drills every tier on a local stand-in of your org: starts DynamoDB (dynalite) and the Genesys Cloud
emulator on 127.0.0.1, runs the real poll-observations and evaluate handlers tick by tick on simulated
time, pages into a local outbox, and checks each tier: activated at the right observation, switched at
the target (verified by read-back), restored, paged once.

options:
  --scenario FILE.csv   queue history to drill (default: the built-in flash sale); a bare NAME is a
                        built-in scenario (drill/scenarios/NAME.csv)
  --config FILE.json    controller config (default: the built-in defaults, i.e. {})
  --faults FILE.json    stand-in faults on simulated time: [{ target, from, until, fault }] (default:
                        NAME.faults.json beside a built-in scenario named with --scenario, if any;
                        NAME.config.json beside it is the default --config the same way)
  --no-browser          skip the visitor checks in Chromium (they run over HTTP regardless)
  --json                print the report as JSON (transitions, actuations, ignored, pages, checks, switched)
  --report FILE.html    also write a self-contained HTML report with a chart per queue
  --outbox FILE         append every page (PagerDuty JSON + SNS attributes) to FILE as JSON lines
  --serve               after the drill keep the stand-ins running (the poller ticks every ${SERVE_TICK_SECONDS} s in real
                        time) and print the cx-surge status / override / console commands that reach
                        them; Ctrl-C stops everything
  -h, --help            show this help

exit codes: 0 every check passed, 1 a check failed, 2 bad input (the message names the file, line and field)`;

export async function run(args: string[]): Promise<number> {
  let progress: ProgressLine | undefined;
  try {
    const { values } = parseCommandArgs('drill', args, {
      scenario: { type: 'string' },
      config: { type: 'string' },
      faults: { type: 'string' },
      'no-browser': { type: 'boolean' },
      json: { type: 'boolean' },
      report: { type: 'string' },
      outbox: { type: 'string' },
      serve: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (values.serve && values.json)
      throw new UsageError('--serve prints commands after the report: use it without --json');
    const scenario = values.scenario === undefined ? DEFAULT_SCENARIO : scenarioPath(values.scenario);
    const configFile =
      values.config ?? (values.scenario === undefined ? undefined : builtInBeside(scenario, 'config'));
    const config: SurgeConfig = configFile
      ? parseConfigText(await readText(configFile), configFile)
      : DEFAULT_CONFIG;
    // Unwritable outputs fail now, not after the whole drill.
    if (values.report) await checkWritable('--report', values.report);
    if (values.outbox) await checkWritable('--outbox', values.outbox);
    // The drill keeps the lines: it walks them on simulated time and replays them for its checks.
    const lines: ScenarioLine[] = [];
    await streamScenario(readChunks(scenario), scenario, (line) => lines.push(line));
    const queues = new Set(lines.map((l) => l.observation.queueId));
    for (const w of [...synthWarnings(config), ...unmatchedQueueWarnings(config, queues)])
      process.stderr.write(`cx-surge drill: warning: ${w}\n`);
    // Faults beside a built-in scenario apply when that scenario is named, so plain `npm start` never changes.
    const faultsFile = values.scenario === undefined ? values.faults : faultsFileFor(scenario, values.faults);
    const faults = faultsFile === undefined ? undefined : await loadFaultsFile(faultsFile);
    const shown = values.scenario ?? 'drill/scenarios/flash-sale.csv';
    const printReport = async (result: DrillResult) => {
      if (values.json) {
        const { transitions, actuations, ignored, pages, checks, switched, passed } = result;
        const faultChanges = faults ? { faults: result.faults, breakers: result.breakers } : {};
        // Screenshots stay in the HTML report; the JSON lists tier 4 and what the edge saw.
        const edge = result.edge
          ? { tier4: result.edge.tier4, edge: { alarm: result.edge.alarm, kvsCalls: result.edge.kvsCalls } }
          : {};
        process.stdout.write(
          `${JSON.stringify({ transitions, actuations, ignored, pages, checks, switched, ...faultChanges, ...edge, passed }, null, 2)}\n`,
        );
      } else {
        process.stdout.write(renderDrillText(result, config, `drill of ${shown}`));
      }
      if (values.report) {
        await writeFile(
          values.report,
          renderHtmlReport(result, config, `cx-surge drill of ${shown}`),
          'utf8',
        );
        if (!values.json) process.stdout.write(`report written to ${values.report}\n`);
      }
    };
    let printed = false;
    // A terminal sees how far a long drill is; pipes, CI logs and --json see nothing of it.
    const line = values.json ? undefined : new ProgressLine('cx-surge drill');
    progress = line;
    const result = await runDrill({
      lines,
      config,
      ...(line
        ? {
            onProgress: (done: number, total: number, at: number) =>
              line.update(done, total, `simulated ${new Date(at).toISOString().slice(11, 16)}`),
          }
        : {}),
      ...(faults ? { faults } : {}),
      ...(values['no-browser'] ? { browser: false } : {}),
      ...(values.outbox ? { outboxFile: values.outbox } : {}),
      ...(values.serve
        ? {
            serve: async (drilled: DrillResult, live: ServeContext) => {
              progress?.done();
              await printReport(drilled);
              printed = true;
              await serveStandIns(live, drilled.queues, values.config);
            },
          }
        : {}),
    });
    progress?.done();
    if (!printed) await printReport(result);
    return result.passed ? 0 : 1;
  } catch (e) {
    progress?.done();
    if (isInputError(e)) {
      process.stderr.write(`cx-surge drill: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

/** A bare name (no path, no extension) that is not a file here names a built-in scenario. */
function scenarioPath(value: string): string {
  if (existsSync(value) || /[/\\]|\.csv$/i.test(value)) return value;
  return join(BUILT_IN_SCENARIOS_DIR, `${value}.csv`);
}

type ServeContext = { standIns: StandIns; liveTick: () => Promise<void> };

const shellQuote = (s: string) => (/^[\w./:@=-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`);

/** The commands that reach the served stand-ins (printed as the drill's last lines; tests run them). */
export function serveCommands(standIns: StandIns, queues: readonly string[], configFile?: string): string[] {
  const where = [
    '--endpoint-url',
    standIns.dynamo.endpoint,
    '--table',
    standIns.dynamo.tableName,
    '--genesys-url',
    standIns.emulator.url,
    ...(configFile ? ['--config', resolve(configFile)] : []),
  ]
    .map(shellQuote)
    .join(' ');
  const queue = queues[0] ?? '*';
  return [
    `npx cx-surge status ${where} --json`,
    `npx cx-surge override set ${where} --queue ${shellQuote(queue)} --tier 1 --state active --for 30m --reason 'trying an override'`,
    `npx cx-surge console ${where}`,
  ];
}

/** Keeps the stand-ins running with a real-time poller until SIGINT/SIGTERM. */
async function serveStandIns(
  live: ServeContext,
  queues: readonly string[],
  configFile: string | undefined,
): Promise<void> {
  const { standIns } = live;
  process.stdout.write(
    [
      '',
      'stand-ins running (Ctrl-C stops everything):',
      `  DynamoDB (dynalite)  ${standIns.dynamo.endpoint}  table ${standIns.dynamo.tableName}`,
      `  Genesys emulator     ${standIns.emulator.url}`,
      `  poller               every ${SERVE_TICK_SECONDS} s, real time`,
      'try:',
      ...serveCommands(standIns, queues, configFile).map((c) => `  ${c}`),
      '',
    ].join('\n'),
  );
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let inflight: Promise<void> = Promise.resolve();
  await new Promise<void>((done) => {
    const stop = () => {
      stopping = true;
      if (timer) clearTimeout(timer);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      // Let a tick in progress finish before the stand-ins go away.
      void inflight.then(done);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const loop = () => {
      inflight = live.liveTick().then(
        () => undefined,
        (e: unknown) => {
          process.stderr.write(`cx-surge drill --serve: poller tick failed: ${(e as Error).message}\n`);
        },
      );
      void inflight.then(() => {
        if (!stopping) timer = setTimeout(loop, SERVE_TICK_SECONDS * 1000);
      });
    };
    timer = setTimeout(loop, SERVE_TICK_SECONDS * 1000);
  });
}
