// The evaluate pipeline's figures (issue 4): storage and Genesys calls per evaluation, evaluations per
// second through the real evaluate handler on dynalite, and each handler's Lambda bundle: bytes and
// fresh-process load time. Prints numbers; asserts nothing.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { SURGE_CONTROL_TABLE } from '../drill/genesys-emulator';
import { SimulatedClock } from '../drill/simulated-clock';
import { startStandIns } from '../drill/stand-ins';
import { RecordingTelemetry } from '../lambdas/app/telemetry';
import { actuatorsForDrill } from '../lambdas/core/actuator-plan';
import { parseConfig } from '../lambdas/core/config';
import { isoInstant } from '../lambdas/core/time';
import { createEvaluateHandler } from '../lambdas/handlers/evaluate-handler';
import { LAMBDA_ESBUILD_OPTIONS } from '../lib/controller-function';
import { countDynamoCalls } from '../test/support/local-dynamo';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const T0 = Date.parse('2026-11-27T09:00:00Z');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const event = (queueId: string, at: number, waiting: number) => ({
  version: '0',
  id: `${queueId}-${at}`,
  'detail-type': 'QueueObservation',
  source: 'cx-surge.poller',
  account: '000000000000',
  time: isoInstant(at),
  region: 'local',
  resources: [],
  detail: { queueId, observedAt: isoInstant(at), waiting, agentsAvailable: 8 },
});

async function callsAndThroughput(): Promise<void> {
  const config = parseConfig({});
  const clock = new SimulatedClock(T0);
  const telemetry = new RecordingTelemetry();
  const s = await startStandIns({
    config,
    actuators: actuatorsForDrill(config, SURGE_CONTROL_TABLE),
    clock,
    telemetry,
  });
  try {
    const evaluate = createEvaluateHandler(() => s.deps, telemetry);
    const dynamo = countDynamoCalls(s.dynamo.client);
    // Warm up: first observations create the items.
    for (let i = 0; i < 5; i++) await evaluate(event('q-warm', T0 + i * 60_000, 10));

    const N = 400;
    dynamo.reset();
    const genesysBefore = s.emulator.requests().length;
    const started = performance.now();
    for (let i = 0; i < N; i++) await evaluate(event('q-steady', T0 + i * 60_000, 10 + (i % 5)));
    const ms = performance.now() - started;
    const dynamoCalls = dynamo.total() / N;
    const genesysCalls = (s.emulator.requests().length - genesysBefore) / N;

    const Q = 10;
    const perQueue = 60;
    dynamo.reset();
    const startedParallel = performance.now();
    await Promise.all(
      Array.from({ length: Q }, async (_, q) => {
        for (let i = 0; i < perQueue; i++) await evaluate(event(`q-par-${q}`, T0 + i * 60_000, 12));
      }),
    );
    const msParallel = performance.now() - startedParallel;

    console.log('evaluation with no transition (real evaluate handler, dynalite on loopback)');
    console.log(
      `  DynamoDB calls per evaluation   ${dynamoCalls.toFixed(2)}  (${JSON.stringify(dynamo.snapshot())} for the parallel run)`,
    );
    console.log(`  Genesys calls per evaluation    ${genesysCalls.toFixed(2)}`);
    console.log(
      `  evaluations/s, one queue        ${((N / ms) * 1000).toFixed(0)}  (${(ms / N).toFixed(2)} ms each)`,
    );
    console.log(`  evaluations/s, ${Q} queues at once ${(((Q * perQueue) / msParallel) * 1000).toFixed(0)}`);
  } finally {
    await s.stop();
  }
}

async function bundles(): Promise<void> {
  // Inside the project so the runtime-provided SDK clients resolve from node_modules, as on Lambda.
  const dir = join(root, 'node_modules', '.cache', 'surge-bench');
  mkdirSync(dir, { recursive: true });
  const baseline = median(
    Array.from({ length: 5 }, () =>
      Number(
        execFileSync(process.execPath, ['-e', 'const t=performance.now();console.log(performance.now()-t)'], {
          encoding: 'utf8',
        }),
      ),
    ),
  );
  console.log(
    '\nLambda bundles (esbuild as the CDK construct runs it: CJS, minified, runtime SDK external, aliases)',
  );
  console.log('  handler             bytes       load ms (median of 5 fresh processes)');
  try {
    for (const handler of ['evaluate', 'poll-observations']) {
      const outfile = join(dir, `${handler}.cjs`);
      await build({
        ...LAMBDA_ESBUILD_OPTIONS,
        entryPoints: [join(root, `lambdas/handlers/${handler}.ts`)],
        outfile,
      });
      const script = `const t=performance.now();require(${JSON.stringify(outfile)});console.log(performance.now()-t)`;
      const load = median(
        Array.from({ length: 5 }, () =>
          Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })),
        ),
      );
      console.log(
        `  ${handler.padEnd(18)}  ${String(statSync(outfile).size).padStart(9)}   ${(load - baseline).toFixed(0)}`,
      );
    }
    console.log('  targets: evaluate ≤ 1 MB (1,048,576 bytes), load ≤ 150 ms');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  await callsAndThroughput();
  await bundles();
}
