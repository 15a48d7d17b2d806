import { SURGE_CONTROL_TABLE } from '../drill/genesys-emulator';
import { SimulatedClock } from '../drill/simulated-clock';
import { startStandIns } from '../drill/stand-ins';
import { RecordingTelemetry } from '../lambdas/app/telemetry';
import { actuatorsForDrill } from '../lambdas/core/actuator-plan';
import { parseConfig } from '../lambdas/core/config';
import { isoInstant } from '../lambdas/core/time';
import { createEvaluateHandler } from '../lambdas/handlers/evaluate-handler';
import { countDynamoCalls, startLocalDynamo } from '../test/support/local-dynamo';
import { measureOutage, measureSingleQueueEvent, measureTick, type TickMeasure } from './support/tick';

const T0 = Date.parse('2026-11-27T09:00:00Z');
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

/** Sequential conditional PutItem/s on dynalite right now: the stand-in's speed, to read wall times by. */
async function dynalitePutsPerSecond(): Promise<number> {
  const { DynamoDBDocumentClient, PutCommand } = await import('@aws-sdk/lib-dynamodb');
  const d = await startLocalDynamo();
  try {
    const doc = DynamoDBDocumentClient.from(d.client);
    const N = 200;
    const started = performance.now();
    for (let i = 0; i < N; i++) {
      await doc.send(
        new PutCommand({
          TableName: d.tableName,
          Item: { pk: 'QUEUE', sk: `q${i}`, state: 'x'.repeat(400), version: 1 },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    }
    return (N / (performance.now() - started)) * 1000;
  } finally {
    await d.stop();
  }
}

const perQueue = (n: number, queues: number) => (n / queues).toFixed(3);

function tickRows(label: string, m: TickMeasure): string[] {
  const d = m.dynamo;
  const chunks = Math.ceil(m.queues / 100);
  return [
    `  ${label.padEnd(7)} ${String(m.queues).padStart(5)}  ${(m.wallMs / 1000).toFixed(1).padStart(6)} s` +
      `  λ ${String(m.lambda.total).padStart(5)} (≤ ${m.queues / 100 + 2})` +
      `  events ${String(m.eventBridge.events).padStart(5)} (${m.eventBridge.putEventsCalls} PutEvents)` +
      `  Genesys ${String(m.genesysCalls).padStart(3)}`,
    `          DynamoDB per queue per minute: read calls ${perQueue(d.readCalls, m.queues)}, write calls ${perQueue(d.writeCalls, m.queues)};` +
      ` RRU ${perQueue(d.readUnits, m.queues)}, WRU ${perQueue(d.writeUnits, m.queues)}  ${JSON.stringify(d.calls)}`,
    `          per chunk of 100 queues per minute: RRU ${(d.readUnits / chunks).toFixed(1)}, WRU ${(d.writeUnits / chunks).toFixed(1)}` +
      ` (the whole tick's units, per-tick calls included)`,
  ];
}

/** One quiet tick at 100 / 1,000 / 5,000 queues on the stand-ins, everything it costs counted. */
async function tickAtScale(): Promise<void> {
  const sizes = (process.env.BENCH_QUEUES ?? '100,1000,5000').split(',').map(Number);
  const before = new Map<number, TickMeasure>();
  if (process.env.BENCH_BEFORE) {
    const { readFileSync } = await import('node:fs');
    for (const line of readFileSync(process.env.BENCH_BEFORE, 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      const m = JSON.parse(line) as TickMeasure;
      before.set(m.queues, m);
    }
  }
  const puts = await dynalitePutsPerSecond();
  console.log(
    '\none quiet tick (poller + every evaluate invocation + the page sweep; real handlers, dynalite + emulator)',
  );
  console.log(
    `  dynalite here and now: ${puts.toFixed(0)} sequential conditional PutItem/s (wall times scale with it)`,
  );
  console.log(
    '  targets at 5,000: ≤ 10 s; Lambda invocations ≤ queues/100 + 2; ≤ 1 read and 1 write per queue per minute',
  );
  for (const n of sizes) {
    const was = before.get(n);
    if (was) for (const row of tickRows('before', was)) console.log(row);
    for (const row of tickRows('after', await measureTick(n))) console.log(row);
  }
}

/** A Genesys outage: the poller's DynamoDB calls on the first stale tick and on a later one. */
async function outage(): Promise<void> {
  const n = Number(process.env.BENCH_OUTAGE_QUEUES ?? 1000);
  const m = await measureOutage(n);
  console.log(`\nGenesys outage at ${n} queues: the poller tick's DynamoDB (page sender included)`);
  for (const [label, d] of [
    ['first stale tick', m.firstStaleTick],
    ['later tick', m.laterTick],
  ] as const) {
    console.log(
      `  ${label.padEnd(16)} ${String(d.readCalls + d.writeCalls).padStart(5)} calls (${d.writeCalls} writes)  ${JSON.stringify(d.calls)}`,
    );
  }
  console.log('  before batching (issue 11): 2,003 calls on the first tick, 1,003 on each later one');
}

/** One single-queue event (a partner-bus event names no shard) at 5,000 queues: what it reads. */
async function singleQueueEvent(): Promise<void> {
  const n = Number(process.env.BENCH_SINGLE_QUEUES ?? 5000);
  const m = await measureSingleQueueEvent(n);
  console.log(`\none single-queue QueueObservation event (no shard named) at ${n} queues: its DynamoDB`);
  const row = (label: string, d: TickMeasure['dynamo']) =>
    console.log(
      `  ${label.padEnd(26)} RRU ${d.readUnits.toFixed(1).padStart(5)}, WRU ${d.writeUnits.toFixed(1).padStart(5)}, ` +
        `items read ${String(d.itemsRead).padStart(3)}  ${JSON.stringify(d.calls)}`,
    );
  row('its placement pointer', m.dynamo);
  if (m.withoutPointer) row('pointer missing (fallback)', m.withoutPointer);
  console.log(
    '  before pointers (main 4445080, this bench run in a checkout of it on 2026-12-01): RRU 80.0, WRU 7.0, ' +
      '{"GetItemCommand":1,"QueryCommand":1,"PutItemCommand":1}: every shard read',
  );
}

export async function run(): Promise<void> {
  if (process.env.BENCH_ONLY === 'single') return singleQueueEvent();
  await callsAndThroughput();
  await tickAtScale();
  await outage();
  await singleQueueEvent();
}
