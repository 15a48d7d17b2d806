// A controller on the local stand-ins (dynalite + Genesys emulator), driven by hand on simulated time.
import { afterEach } from 'vitest';

import { SURGE_CONTROL_TABLE } from '../../../drill/genesys-emulator';
import { SimulatedClock } from '../../../drill/simulated-clock';
import { type StandIns, startStandIns } from '../../../drill/stand-ins';
import type { PollerDeps } from '../../../lambdas/app/deps';
import { RecordingTelemetry } from '../../../lambdas/app/telemetry';
import { actuatorsForDrill } from '../../../lambdas/core/actuator-plan';
import { parseConfig } from '../../../lambdas/core/config';
import type { QueueObservation } from '../../../lambdas/core/observation';
import type { QueueStateStore } from '../../../lambdas/core/persistence';
import type { CredentialsSource } from '../../../lambdas/core/ports';
import { createEvaluateHandler } from '../../../lambdas/handlers/evaluate-handler';
import { createPollHandler } from '../../../lambdas/handlers/poll-handler';

export const T0 = Date.parse('2026-11-27T09:00:00Z');
export { isoInstant as iso } from '../../../lambdas/core/time';

import { isoInstant as iso } from '../../../lambdas/core/time';

/** Tier 1 switches on at the first observation above 50 and off at the first below 25; tiers 2–3 off. */
export const ONE_STEP_TIER1 = {
  tiers: {
    tier1: {
      activate: { waitingAbove: 50, forObservations: 1 },
      restore: { waitingBelow: 25, forObservations: 1 },
    },
    tier2: { mode: 'off' },
    tier3: { mode: 'off' },
  },
};

export const observation = (at: number, waiting: number, queueId = 'sales'): QueueObservation => ({
  queueId,
  observedAt: iso(at),
  waiting,
  agentsAvailable: 3,
});

/** What the evaluate rule hands the Lambda. */
export const observationEvent = (o: QueueObservation) => ({
  version: '0',
  id: `evt-${o.queueId}-${o.observedAt}`,
  'detail-type': 'QueueObservation',
  source: 'cx-surge.poller',
  account: '000000000000',
  time: o.observedAt,
  region: 'local',
  resources: [],
  detail: o,
});

/**
 * What the evaluate rule hands the Lambda for one chunk (the poller's event: ≤ 100 queues, naming the
 * shard that holds their states; without `shardId`, an event of another sender: the queues are looked up).
 */
export const chunkEvent = (observations: readonly QueueObservation[], id = 'chunk', shardId?: string) => ({
  version: '0',
  id: `${id}-${observations[0]?.observedAt}`,
  'detail-type': 'QueueObservations',
  source: 'cx-surge.poller',
  account: '000000000000',
  time: observations[0]?.observedAt ?? '',
  region: 'local',
  resources: [],
  detail: { ...(shardId ? { shardId } : {}), observations },
});

export interface Pipeline extends StandIns {
  readonly clock: SimulatedClock;
  readonly telemetry: RecordingTelemetry;
  readonly evaluate: ReturnType<typeof createEvaluateHandler>;
  readonly poll: ReturnType<typeof createPollHandler>;
  /** Handlers over altered deps (e.g. a store that crashes once). */
  handlersWith(alter: (deps: PollerDeps) => PollerDeps): {
    evaluate: ReturnType<typeof createEvaluateHandler>;
    poll: ReturnType<typeof createPollHandler>;
  };
  /** Successful mutating calls the emulator answered (2xx). */
  switchCalls(): ReturnType<StandIns['emulator']['mutations']>;
  /** Pages the transport delivered, as `kind action dedupKey`. */
  pagesSent(): string[];
}

export async function startPipeline(
  options: { config?: unknown; callTimeoutMs?: number; credentials?: CredentialsSource } = {},
): Promise<Pipeline> {
  const config = parseConfig(options.config ?? ONE_STEP_TIER1);
  const actuators = actuatorsForDrill(config, SURGE_CONTROL_TABLE);
  const clock = new SimulatedClock(T0);
  const telemetry = new RecordingTelemetry();
  const standIns = await startStandIns({
    config,
    actuators,
    clock,
    telemetry,
    callTimeoutMs: options.callTimeoutMs ?? 500,
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  const handlersWith = (alter: (deps: PollerDeps) => PollerDeps) => {
    const deps = alter(standIns.deps);
    const evaluate = createEvaluateHandler(() => deps, telemetry);
    const poll = createPollHandler(() => deps, telemetry);
    // Handlers only stage pages; the page sender (the table stream in AWS) delivers them after each run.
    const thenDeliver =
      <A extends unknown[], R>(handler: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        try {
          return await handler(...args);
        } finally {
          await standIns.deliverPages();
        }
      };
    return { evaluate: thenDeliver(evaluate), poll: thenDeliver(poll) };
  };
  return {
    ...standIns,
    clock,
    telemetry,
    ...handlersWith((d) => d),
    handlersWith,
    switchCalls: () => standIns.emulator.mutations().filter((m) => m.status >= 200 && m.status < 300),
    pagesSent: () => standIns.transport.delivered.map((p) => `${p.kind} ${p.action} ${p.dedupKey}`),
  };
}

/** Replaces one method of an object (class instances included) for its first `times` calls. */
export function failingFirst<T extends object>(
  target: T,
  method: keyof T,
  times: number,
  error: () => Error,
): T {
  let left = times;
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver);
      if (typeof value !== 'function') return value;
      if (prop === method) {
        return async (...args: unknown[]) => {
          if (left > 0) {
            left--;
            throw error();
          }
          return value.apply(obj, args);
        };
      }
      return value.bind(obj);
    },
  });
}

/** For a test file: returns `open`, which starts a pipeline that is stopped after each test. */
export function pipelinePerTest(): (options?: Parameters<typeof startPipeline>[0]) => Promise<Pipeline> {
  let current: Pipeline | undefined;
  afterEach(async () => {
    await current?.stop();
    current = undefined;
  });
  return async (options) => {
    current = await startPipeline(options);
    return current;
  };
}

/** Tier 1's lever (the drill's data-table row) at the emulator. */
export const tier1Row = (p: Pipeline) => p.emulator.readRow('surge-control', 'tier1').SurgeActive;

/** Actuator episode pages delivered, as `kind action dedupKey`. */
export const episodePages = (p: Pipeline) => p.pagesSent().filter((x) => x.startsWith('actuator-episode'));

/** Quiet poller ticks, one per minute from `from` (no queue read: only convergence and paging). */
export async function quietTicks(p: Pipeline, from: number, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) {
    p.clock.set(from + i * 60_000);
    await p.poll(undefined, { queueIds: [] });
  }
}

/**
 * One chunk event: every queue of `queueIds` observed at `at`, `waiting` each (a number, or per queue),
 * naming `shardId` when given (the poller's event) or none (another sender's).
 */
export const chunkAt = (
  at: number,
  queueIds: readonly string[],
  waiting: number | ((queueId: string) => number),
  shardId?: string,
  id = 'chunk',
) =>
  chunkEvent(
    queueIds.map((q) => observation(at, typeof waiting === 'number' ? waiting : waiting(q), q)),
    id,
    shardId,
  );

/** What an evaluate response decided, as `queueId outcome` (`accepted`, or the reason it was ignored). */
export const outcomes = (r: Awaited<ReturnType<Pipeline['evaluate']>>): string[] =>
  r.kind === 'observations'
    ? r.results.map((x) => `${x.observation.queueId} ${x.decision.ignoredReason ?? x.decision.outcome}`)
    : r.kind === 'observation'
      ? [`${r.result.observation.queueId} ${r.result.decision.ignoredReason ?? r.outcome}`]
      : [];

/** Deps whose queue-state writes (`saveMany`) go through `wrap` first (a gate, a crash). */
function wrapSaves(
  wrap: (
    save: QueueStateStore['saveMany'],
    ...args: Parameters<QueueStateStore['saveMany']>
  ) => ReturnType<QueueStateStore['saveMany']>,
) {
  return (deps: PollerDeps): PollerDeps => ({
    ...deps,
    queueStates: new Proxy(deps.queueStates, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (prop !== 'saveMany') return typeof value === 'function' ? value.bind(target) : value;
        return (...args: Parameters<QueueStateStore['saveMany']>) =>
          wrap((...a) => target.saveMany(...a), ...args);
      },
    }),
  });
}

/** Deps whose queue-state writes wait for `gate` first (to force an interleaving). */
export const writesAfter = (gate: Promise<unknown>) =>
  wrapSaves(async (save, ...args) => {
    await gate;
    return save(...args);
  });

/**
 * Holds every queue-state write until `release()`: evaluations all read before any of them writes.
 * `held(n)` resolves once `n` writes are waiting at the gate. `inOrder`: once released, the writes run
 * one after another in the order they reached it.
 */
export function gatedWrites(options: { inOrder?: boolean } = {}) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let previous: Promise<unknown> = gate;
  let waiting = 0;
  const watchers: { n: number; resolve: () => void }[] = [];
  const alter = wrapSaves(async (save, ...args) => {
    waiting++;
    for (const w of watchers.filter((x) => x.n <= waiting)) w.resolve();
    if (!options.inOrder) {
      await gate;
      return save(...args);
    }
    const mine = previous.then(() => save(...args));
    previous = mine.catch(() => undefined);
    return mine;
  });
  const held = (n: number) =>
    new Promise<void>((resolve) => {
      if (waiting >= n) resolve();
      else watchers.push({ n, resolve });
    });
  return { alter, held, release: () => release() };
}

/**
 * The first `times` queue-state writes holding `queueId` (any write, without one) fail with `error`:
 * a throttled write, or the Lambda killed between recording demand and writing the state.
 */
export function failingSaves(options: { times: number; error: () => Error; queueId?: string }) {
  let left = options.times;
  return wrapSaves(async (save, home, writes) => {
    if (left > 0 && (options.queueId === undefined || writes.some((w) => w.queueId === options.queueId))) {
      left--;
      throw options.error();
    }
    return save(home, writes);
  });
}
