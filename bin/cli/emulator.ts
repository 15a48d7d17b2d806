// `cx-surge emulator`: the Genesys Cloud API emulator in the foreground, for poking with curl or pointing a
// local tool at. Prints where it listens, the test clients, and a curl session to start from.
import { readFile } from 'node:fs/promises';
import {
  DEFAULT_EMULATOR_CLIENTS,
  type MutationRecord,
  SURGE_CONTROL_TABLE,
  seedDemoOrg,
  startGenesysEmulator,
} from '../../drill/genesys-emulator';
import { parseScenario } from '../../drill/scenario';
import type { QueueObservation } from '../../lambdas/core/observation';
import type { Clock } from '../../lambdas/core/ports';
import { isInputError, parseCommandArgs, UsageError } from './io';

export const USAGE = `usage: cx-surge emulator [--port N] [--scenario FILE.csv] [--speed X] [--start ISO] [--token-ttl S] [--rate-limit N] [--json]

Runs the Genesys Cloud API emulator on 127.0.0.1 until Ctrl-C: OAuth client credentials, queue
observations, data-table rows, emergency groups, IVRs, flow publish, with Genesys' status codes,
error bodies and its 300 requests/min/token limit.

options:
  --port N          TCP port (default: 0, any free port; the URL is printed)
  --scenario FILE   serve queue observations from a scenario CSV at simulated time: each queue
                    reports its line with the latest observedAt at or before "now"
  --speed X         simulated seconds per real second (default: 1)
  --start ISO       simulated start time (default: the scenario's first observedAt, else now)
  --token-ttl S     access-token lifetime in seconds (default: 86400)
  --rate-limit N    requests per minute per token (default: 300)
  --json            print the connection details as one JSON line instead of the banner
  -h, --help        show this help

Simulated time starts at --start and runs at --speed; token expiry, the rate-limit window, flow
publish operations and scenario observations all follow it. Mutating calls are printed as they come.

exit codes: 0 stopped, 2 bad input`;

export interface EmulatorCliDeps {
  readonly stdout?: (text: string) => void;
  readonly stderr?: (text: string) => void;
  /** Resolves when the emulator should stop. Default: SIGINT or SIGTERM. */
  readonly stopSignal?: Promise<unknown>;
  /** Real time source. Default: Date.now. */
  readonly realNow?: () => number;
}

function positiveNumber(name: string, value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got '${value}'`);
  }
  return n;
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

const formatMutation = (m: MutationRecord): string =>
  `${m.at.replace('.000Z', 'Z')}  ${m.method} ${m.path} → ${m.status || 'no answer'}  ${m.summary}`;

export async function run(args: string[], deps: EmulatorCliDeps = {}): Promise<number> {
  const stdout = deps.stdout ?? ((text: string) => process.stdout.write(`${text}\n`));
  const stderr = deps.stderr ?? ((text: string) => process.stderr.write(`${text}\n`));
  const realNow = deps.realNow ?? Date.now;

  let values: Record<string, string | boolean | undefined>;
  let port: number;
  let speed: number;
  let startAt: number | undefined;
  let tokenTtlSeconds: number | undefined;
  let rateLimitPerMinute: number | undefined;
  let scenario: { file: string; lines: QueueObservation[] } | undefined;
  try {
    ({ values } = parseCommandArgs('emulator', args, {
      port: { type: 'string' },
      scenario: { type: 'string' },
      speed: { type: 'string' },
      start: { type: 'string' },
      'token-ttl': { type: 'string' },
      'rate-limit': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    }));
    if (values.help) {
      stdout(USAGE);
      return 0;
    }
    const portText = values.port as string | undefined;
    port = portText === undefined ? 0 : Number(portText);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw new UsageError(`--port must be an integer 0–65535, got '${portText}'`);
    }
    speed = positiveNumber('speed', values.speed as string | undefined, false) ?? 1;
    tokenTtlSeconds = positiveNumber('token-ttl', values['token-ttl'] as string | undefined, true);
    rateLimitPerMinute = positiveNumber('rate-limit', values['rate-limit'] as string | undefined, true);
    if (values.start !== undefined) {
      startAt = Date.parse(values.start as string);
      if (!Number.isFinite(startAt))
        throw new UsageError(`--start must be an ISO-8601 time, got '${values.start}'`);
    }
    if (values.scenario !== undefined) {
      const file = values.scenario as string;
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        throw new UsageError(`cannot read scenario ${file}: ${(e as Error).message}`);
      }
      const lines = parseScenario(text, file).map((l) => l.observation);
      if (lines.length === 0) throw new UsageError(`scenario ${file} has no observations`);
      scenario = { file, lines };
    }
  } catch (e) {
    if (isInputError(e)) {
      stderr(`cx-surge emulator: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }

  // Simulated time: starts at --start (or the scenario's first line, or now) and runs at --speed.
  const simulatedStart = startAt ?? (scenario ? Date.parse(scenario.lines[0]?.observedAt ?? '') : realNow());
  const realStart = realNow();
  const clock: Clock = { now: () => Math.floor(simulatedStart + (realNow() - realStart) * speed) };

  const emulator = await startGenesysEmulator({
    clock,
    port,
    ...(tokenTtlSeconds === undefined ? {} : { tokenTtlSeconds }),
    ...(rateLimitPerMinute === undefined ? {} : { rateLimitPerMinute }),
    onMutation: (m) => stdout(formatMutation(m)),
  });
  try {
    const seeded = seedDemoOrg(emulator);
    if (scenario) emulator.followScenario(scenario.lines);
    const { primary, breakGlass } = DEFAULT_EMULATOR_CLIENTS;
    const queues = scenario ? [...new Set(scenario.lines.map((l) => l.queueId))] : [];
    if (values.json) {
      stdout(
        JSON.stringify({
          url: emulator.url,
          port: emulator.port,
          clients: { primary, breakGlass },
          simulatedStart: new Date(simulatedStart).toISOString(),
          speed,
          queues,
        }),
      );
    } else {
      const url = emulator.url;
      stdout(
        [
          `Genesys Cloud emulator listening on ${url}`,
          `simulated time starts ${new Date(simulatedStart).toISOString()} and runs at ×${speed}`,
          scenario
            ? `observations: ${scenario.lines.length} lines of ${scenario.file} for queues ${queues.join(', ')}`
            : 'observations: none yet (start with --scenario FILE.csv)',
          `clients: primary     ${primary.clientId} / ${primary.clientSecret}`,
          `         break-glass ${breakGlass.clientId} / ${breakGlass.clientSecret}`,
          `seeded:  ${seeded.join('\n         ')}`,
          '',
          'try:',
          `  TOKEN=$(curl -s -u ${primary.clientId}:${primary.clientSecret} -d grant_type=client_credentials ${url}/oauth/token | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')`,
          `  curl -s -H "Authorization: Bearer $TOKEN" "${url}/api/v2/flows/datatables/${SURGE_CONTROL_TABLE}/rows/tier1?showbrief=false"`,
          `  curl -s -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"key":"tier1","SurgeActive":true}' ${url}/api/v2/flows/datatables/${SURGE_CONTROL_TABLE}/rows/tier1`,
          '',
          'Ctrl-C to stop.',
        ].join('\n'),
      );
    }
    await (deps.stopSignal ?? waitForSignal());
  } finally {
    await emulator.close();
  }
  return 0;
}
