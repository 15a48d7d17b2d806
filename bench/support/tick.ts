// One poller tick of a contact center with `queues` queues, through the real handlers on the stand-ins
// (dynalite + the Genesys emulator, simulated time), with everything a tick costs counted: Lambda
// invocations, EventBridge events, Genesys calls, DynamoDB calls and the capacity units dynalite
// reports for them. `npm run bench pipeline` prints it; the cost bench prices it (call measureTick).
//
// The tick measured is a quiet one (no transition, nothing stale, no page): the steady state a
// contact center pays for every minute. Warm-up ticks first create every queue's state item.
//
// Only APIs that predate batching are used here, so the same file measures an older main (the
// "before" figures of docs/architecture.md were taken by running it in a checkout of ed2a9c5).
import { createHash } from 'node:crypto';
import { SURGE_CONTROL_TABLE } from '../../drill/genesys-emulator';
import { SimulatedClock } from '../../drill/simulated-clock';
import { startStandIns } from '../../drill/stand-ins';
import { RecordingTelemetry } from '../../lambdas/app/telemetry';
import { actuatorsForDrill } from '../../lambdas/core/actuator-plan';
import { parseConfig } from '../../lambdas/core/config';
import { createEvaluateHandler } from '../../lambdas/handlers/evaluate-handler';
import { createPollHandler } from '../../lambdas/handlers/poll-handler';

const T0 = Date.parse('2026-11-27T09:00:00Z');
const MINUTE = 60_000;

/** What one quiet tick cost. DynamoDB units are what on-demand bills: read and write request units. */
export interface TickMeasure {
  readonly queues: number;
  /** Real ms from the poller's start until the last evaluate invocation of the tick returned. */
  readonly wallMs: number;
  readonly lambda: {
    readonly poll: number;
    readonly evaluate: number;
    /** The page sender's 1-minute sweep (its stream trigger stays idle when nothing is paged). */
    readonly pageSender: number;
    readonly total: number;
  };
  readonly eventBridge: {
    readonly events: number;
    /** PutEvents calls the AWS publisher makes for them (≤ 10 entries a call). */
    readonly putEventsCalls: number;
  };
  /** HTTP requests the Genesys emulator answered during the tick (login included if one happened). */
  readonly genesysCalls: number;
  readonly dynamo: {
    /** Calls per command, e.g. { BatchGetItemCommand: 50, PutItemCommand: 5000 }. */
    readonly calls: Readonly<Record<string, number>>;
    readonly readCalls: number;
    readonly writeCalls: number;
    /** Capacity units dynalite reported (ReturnConsumedCapacity TOTAL): on-demand RRU and WRU. */
    readonly readUnits: number;
    readonly writeUnits: number;
    /** Items read (BatchGetItem responses, Query items, GetItem hits) and written. */
    readonly itemsRead: number;
  };
}

export interface MeasureTickOptions {
  /** Evaluate invocations in flight at once (the Lambda's reserved concurrency). @default 5 */
  readonly evaluateConcurrency?: number;
  /** Quiet ticks before the measured one. @default 2 */
  readonly warmTicks?: number;
}

/** A UUID-shaped id per queue, as Genesys gives them (ids' length drives item and event sizes). */
export const queueIdOf = (i: number): string => {
  const h = createHash('sha1').update(`queue-${i}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

const READS = new Set(['GetItemCommand', 'BatchGetItemCommand', 'QueryCommand', 'ScanCommand']);
const WRITES = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'BatchWriteItemCommand',
  'TransactWriteItemsCommand',
]);

/** Counts calls, items and consumed capacity of every command the client sends. */
function meterDynamo(client: { middlewareStack: { add: (...args: never[]) => void } }) {
  let calls: Record<string, number> = {};
  let readUnits = 0;
  let writeUnits = 0;
  let itemsRead = 0;
  type Output = {
    ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[];
    Responses?: Record<string, unknown[]>;
    Items?: unknown[];
    Item?: unknown;
  };
  const add = client.middlewareStack.add as unknown as (
    mw: (
      next: (args: { input: Record<string, unknown> }) => Promise<{ output: Output }>,
      context: { commandName?: string },
    ) => (args: { input: Record<string, unknown> }) => Promise<{ output: Output }>,
    options: { step: string; name: string; override: boolean },
  ) => void;
  add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      calls[name] = (calls[name] ?? 0) + 1;
      const out = await next({ ...args, input: { ...args.input, ReturnConsumedCapacity: 'TOTAL' } });
      const consumed = out.output.ConsumedCapacity;
      const units = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce(
        (n, c) => n + (c.CapacityUnits ?? 0),
        0,
      );
      if (READS.has(name)) readUnits += units;
      if (WRITES.has(name)) writeUnits += units;
      itemsRead +=
        Object.values(out.output.Responses ?? {}).reduce((n, items) => n + items.length, 0) +
        (out.output.Items?.length ?? 0) +
        (out.output.Item ? 1 : 0);
      return out;
    },
    { step: 'initialize', name: 'benchMeterDynamo', override: true },
  );
  return {
    reset() {
      calls = {};
      readUnits = 0;
      writeUnits = 0;
      itemsRead = 0;
    },
    snapshot(): TickMeasure['dynamo'] {
      const sum = (set: Set<string>) =>
        Object.entries(calls).reduce((n, [c, k]) => n + (set.has(c) ? k : 0), 0);
      return {
        calls: { ...calls },
        readCalls: sum(READS),
        writeCalls: sum(WRITES),
        readUnits,
        writeUnits,
        itemsRead,
      };
    },
  };
}

/** Runs `tasks` with at most `limit` in flight. */
async function bounded<T>(tasks: (() => Promise<T>)[], limit: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, async () => {
      while (next < tasks.length) await tasks[next++]?.();
    }),
  );
}

/** Stand-ins with `queues` quiet queues (10 waiting, 5 agents), the real poll and evaluate handlers, and a DynamoDB meter. */
async function quietCenter(queues: number) {
  const ids = Array.from({ length: queues }, (_, i) => queueIdOf(i));
  const config = parseConfig({ queues: ids.map((id) => ({ id })) });
  const clock = new SimulatedClock(T0);
  const telemetry = new RecordingTelemetry();
  const s = await startStandIns({
    config,
    actuators: actuatorsForDrill(config, SURGE_CONTROL_TABLE),
    clock,
    telemetry,
  });
  for (const id of ids) s.emulator.setObservation(id, { waiting: 10, agentsAvailable: 5 });
  return {
    s,
    config,
    clock,
    telemetry,
    poll: createPollHandler(() => s.deps, telemetry),
    evaluate: createEvaluateHandler(() => s.deps, telemetry),
    meter: meterDynamo(s.dynamo.client as never),
  };
}

/** One quiet tick at `queues` queues, measured after the warm-up ticks. */
export async function measureTick(queues: number, options: MeasureTickOptions = {}): Promise<TickMeasure> {
  const { s, clock, telemetry, poll, evaluate, meter } = await quietCenter(queues);
  try {
    const tick = async () => {
      const started = performance.now();
      await poll();
      const events = s.bus.drain();
      await bounded(
        events.map((e) => () => evaluate(e)),
        options.evaluateConcurrency ?? 5,
      );
      await s.deliverPages(); // the page sender's sweep
      return { wallMs: performance.now() - started, events: events.length };
    };
    const warm = options.warmTicks ?? 2;
    for (let t = 0; t < warm; t++) {
      clock.set(T0 + t * MINUTE);
      await tick();
    }
    clock.set(T0 + warm * MINUTE);
    meter.reset();
    telemetry.logs.length = 0;
    const genesysBefore = s.emulator.requests().length;
    const { wallMs, events } = await tick();
    return {
      queues,
      wallMs,
      lambda: { poll: 1, evaluate: events, pageSender: 1, total: events + 2 },
      eventBridge: { events, putEventsCalls: Math.ceil(events / 10) },
      genesysCalls: s.emulator.requests().length - genesysBefore,
      dynamo: meter.snapshot(),
    };
  } finally {
    await s.stop();
  }
}

/** DynamoDB calls and units of the poller's ticks during a Genesys outage (every read fails). */
export interface OutageMeasure {
  readonly queues: number;
  /** The first tick on which every queue is stale (stale pages staged). */
  readonly firstStaleTick: TickMeasure['dynamo'];
  /** A later tick of the same outage (every queue known stale). */
  readonly laterTick: TickMeasure['dynamo'];
}

/** A Genesys outage at `queues` queues: what the first stale tick and a later one cost in DynamoDB. */
export async function measureOutage(queues: number): Promise<OutageMeasure> {
  const { s, config, clock, poll, evaluate, meter } = await quietCenter(queues);
  try {
    await poll();
    for (const e of s.bus.drain()) await evaluate(e);
    s.emulator.faults.until(
      { path: '/api/v2/analytics/queues/observations/query' },
      { kind: 'status', status: 503 },
      T0 + 60 * MINUTE,
    );
    const staleAfter = config.staleAfterSeconds * 1000;
    let minute = 1;
    const tickAt = async () => {
      clock.set(T0 + minute++ * MINUTE);
      meter.reset();
      await poll();
      s.bus.drain();
      await s.deliverPages();
      return meter.snapshot();
    };
    while (minute * MINUTE < staleAfter) await tickAt();
    const firstStaleTick = await tickAt();
    await tickAt();
    const laterTick = await tickAt();
    return { queues, firstStaleTick, laterTick };
  } finally {
    await s.stop();
  }
}

/** What one single-queue QueueObservation event (a partner-bus event: no shard named) cost in DynamoDB. */
export interface SingleQueueMeasure {
  readonly queues: number;
  readonly dynamo: TickMeasure['dynamo'];
  /** The same event when the queue's placement pointer is missing (placed before pointers): the lookup of every shard. */
  readonly withoutPointer?: TickMeasure['dynamo'];
}

/**
 * At `queues` quiet queues (placed by one warm-up tick), one QueueObservation event of one queue through
 * the real evaluate handler, metered; then the same for another queue whose placement pointer item
 * (`QUEUE_HOME`) was deleted first. On a main without pointers both are the lookup of every shard.
 */
export async function measureSingleQueueEvent(queues: number): Promise<SingleQueueMeasure> {
  const { s, clock, poll, evaluate, meter } = await quietCenter(queues);
  try {
    await poll();
    for (const e of s.bus.drain()) await evaluate(e);
    clock.set(T0 + MINUTE);
    const single = async (queueId: string) => {
      const at = new Date(clock.now()).toISOString();
      meter.reset();
      await evaluate({
        version: '0',
        id: `single-${queueId}`,
        'detail-type': 'QueueObservation',
        source: 'cx-surge.poller',
        account: '000000000000',
        time: at,
        region: 'local',
        resources: [],
        detail: { queueId, observedAt: at, waiting: 11, agentsAvailable: 5 },
      });
      return meter.snapshot();
    };
    const dynamo = await single(queueIdOf(Math.floor(queues / 2)));
    const { DeleteCommand, DynamoDBDocumentClient } = await import('@aws-sdk/lib-dynamodb');
    const unpointed = queueIdOf(Math.floor(queues / 2) + 1);
    await DynamoDBDocumentClient.from(s.dynamo.client).send(
      new DeleteCommand({ TableName: s.dynamo.tableName, Key: { pk: 'QUEUE_HOME', sk: unpointed } }),
    );
    const withoutPointer = await single(unpointed);
    return { queues, dynamo, withoutPointer };
  } finally {
    await s.stop();
  }
}
