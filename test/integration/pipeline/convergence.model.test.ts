import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PollerDeps } from '../../../lambdas/app/deps';
import { chunkEvent, observation, observationEvent, type Pipeline, startPipeline, T0 } from './harness';
import { invariantViolations } from './invariants';
import { scheduledPorts } from './scheduled-ports';

// Model checking, the fast-check way: random interleavings (fc.scheduler) of concurrent evaluations,
// EventBridge retries, crashes between any two steps, lease expiries (the clock jumps while a switch
// is in flight), late writes and hand edits at the emulator, and overrides — on dynalite and the emulator with the
// real handlers. Then the poller ticks quietly, and the invariant must hold at the emulator:
// every lever where the queue states and overrides say, every trigger page resolved.

const MINUTE = 60_000;
const QUEUES = ['sales', 'support'] as const;

/** The stores, the pager and the switches under the scheduler; the calls numbered in `crashAt` crash. */
function scheduledDeps(s: fc.Scheduler, crashAt: ReadonlySet<number>) {
  const wrap = scheduledPorts(s, crashAt);
  return (deps: PollerDeps): PollerDeps => ({
    ...deps,
    queueStates: wrap(deps.queueStates, 'queueStates'),
    actuatorStore: wrap(deps.actuatorStore, 'actuatorStore'),
    pager: wrap(deps.pager, 'pager'),
    switches: wrap(deps.switches, 'switches'),
  });
}

const scenarioArb = fc.record({
  // One observation per queue per minute, depth low or high (tier 1 switches at every crossing).
  depths: fc.array(fc.tuple(fc.constantFrom(5, 120), fc.constantFrom(5, 120)), {
    minLength: 2,
    maxLength: 5,
  }),
  // Often the load ends: a last quiet minute, so a late "on" write has an "off" lever to land on.
  endQuiet: fc.boolean(),
  // How often each observation event is delivered (EventBridge at-least-once).
  copies: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 12, maxLength: 12 }),
  // Minutes in which the previous minute's event of the first queue is delivered again, late.
  strays: fc.uniqueArray(fc.integer({ min: 1, max: 5 }), { maxLength: 2 }),
  crashAt: fc.uniqueArray(fc.integer({ min: 1, max: 150 }), { maxLength: 6 }),
  // Datatable PUTs held by the emulator (the client times out) and landed at minute `landAt`.
  lateWrites: fc.integer({ min: 0, max: 2 }),
  landAt: fc.integer({ min: 0, max: 6 }),
  // Minutes with a poller tick racing the evaluations; a stall moves the clock past the lease first.
  ticksAt: fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }),
  stallAt: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
  // Somebody sets the lever by hand (or a write from outside the controller lands) in that minute.
  handEdit: fc.option(fc.record({ atMinute: fc.integer({ min: 0, max: 5 }), on: fc.boolean() }), {
    nil: undefined,
  }),
  override: fc.option(
    fc.record({
      atMinute: fc.integer({ min: 0, max: 5 }),
      queue: fc.constantFrom('sales', '*'),
      state: fc.constantFrom('active' as const, 'inactive' as const),
      forMinutes: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    }),
    { nil: undefined },
  ),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

/**
 * Minute by minute (time moves forward), everything of one minute concurrently under the scheduler:
 * both queues' events and their duplicates, a stray late redelivery, a poller tick, a stall, an
 * override, late writes landing. Evaluations crash at the chosen steps and EventBridge retries them.
 */
async function runScenario(
  p: Pipeline,
  s: fc.Scheduler,
  scenario: Scenario,
  { batched = false, sharded = false }: { batched?: boolean; sharded?: boolean } = {},
): Promise<void> {
  const chaotic = p.handlersWith(scheduledDeps(s, new Set(scenario.crashAt)));
  if (scenario.lateWrites > 0) {
    p.emulator.faults.next(
      { method: 'PUT', path: '/api/v2/flows/datatables/*' },
      { kind: 'late' },
      scenario.lateWrites,
    );
  }
  const deliver = async (event: ReturnType<typeof observationEvent> | ReturnType<typeof chunkEvent>) => {
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        return await chaotic.evaluate(event); // EventBridge retries a failed invocation twice
      } catch {
        // retried
      }
    }
    return undefined;
  };
  const later = (label: string, run: () => Promise<unknown>) =>
    s
      .schedule(Promise.resolve(), label)
      .then(run)
      .catch(() => undefined);
  const depths = scenario.endQuiet ? [...scenario.depths, [5, 5] as const] : scenario.depths;
  let copy = 0;
  for (let minute = 0; minute < depths.length; minute++) {
    p.clock.set(Math.max(p.clock.now(), T0 + minute * MINUTE));
    const tasks: Promise<unknown>[] = [];
    if (batched) {
      // Both queues in one chunk event (the poller's shape), delivered once or twice.
      const chunk = (depths[minute] ?? []).map((depth, q) =>
        observation(T0 + minute * MINUTE, depth, QUEUES[q]),
      );
      // Sharded: the event names the shard the poller placed the queues in (docs/architecture.md).
      const event = chunkEvent(chunk, 'chunk', sharded ? '0000' : undefined);
      const copies = scenario.copies[copy++ % scenario.copies.length] ?? 1;
      for (let c = 0; c < copies; c++) tasks.push(deliver(event));
      if (sharded && minute === 0 && copies > 1) {
        // Two ticks placed the new queues in different shards: both evaluations race to create them.
        tasks.push(deliver(chunkEvent(chunk, 'other-placement', '0001')));
      }
      if (sharded) {
        // A partner-bus event for one queue of the shard races the chunk (the single-queue path).
        const q = minute % 2;
        tasks.push(deliver(observationEvent(chunk[q] ?? observation(T0, 5, QUEUES[q]))));
      }
    } else {
      depths[minute]?.forEach((depth, q) => {
        const event = observationEvent(observation(T0 + minute * MINUTE, depth, QUEUES[q]));
        const copies = scenario.copies[copy++ % scenario.copies.length] ?? 1;
        for (let c = 0; c < copies; c++) tasks.push(deliver(event));
      });
    }
    const before = depths[minute - 1];
    if (before && scenario.strays.includes(minute)) {
      tasks.push(deliver(observationEvent(observation(T0 + (minute - 1) * MINUTE, before[0], QUEUES[0]))));
    }
    if (scenario.ticksAt.includes(minute))
      tasks.push(later('tick', () => chaotic.poll(undefined, { queueIds: [] })));
    if (scenario.stallAt === minute) {
      tasks.push(
        later('stall', async () => {
          p.clock.advance(50_000);
          await chaotic.poll(undefined, { queueIds: [] });
        }),
      );
    }
    const o = scenario.override;
    if (o && o.atMinute === minute) {
      tasks.push(
        later('override', () =>
          p.deps.overrides.put({
            queue: o.queue,
            tier: 1,
            state: o.state,
            ...(o.forMinutes ? { until: new Date(p.clock.now() + o.forMinutes * MINUTE).toISOString() } : {}),
            reason: 'model test',
            by: 'fast-check',
          }),
        ),
      );
    }
    if (scenario.landAt === minute) tasks.push(later('late writes land', () => p.emulator.landLateWrites()));
    const hand = scenario.handEdit;
    if (hand && hand.atMinute === minute) {
      tasks.push(
        later('hand edit', async () =>
          p.emulator.seedRow('surge-control', { key: 'tier1', SurgeActive: hand.on }),
        ),
      );
    }
    await s.waitFor(Promise.all(tasks));
  }
  // Whatever the emulator still holds lands now, after every sender gave up.
  await p.emulator.landLateWrites();
}

/** CONVERGE_RUNS for more cases; CONVERGE_SEED (and CONVERGE_PATH) to replay a reported counterexample. */
const runOptions: fc.Parameters<unknown> = {
  numRuns: Number(process.env.CONVERGE_RUNS ?? 6),
  endOnFailure: true,
  ...(process.env.CONVERGE_SEED
    ? { seed: Number(process.env.CONVERGE_SEED), path: process.env.CONVERGE_PATH ?? '0' }
    : {}),
};

describe('always converge (model checking with fast-check scheduler)', () => {
  /** Random scenarios, then quiet ticks (no observations, no faults, a minute each): the invariant holds. */
  const converges = (batched: boolean, sharded = false) =>
    fc.assert(
      fc.asyncProperty(fc.scheduler(), scenarioArb, async (s, scenario) => {
        const p = await startPipeline({ callTimeoutMs: 150 });
        try {
          await runScenario(p, s, scenario, { batched, sharded });
          p.emulator.faults.clear();
          const quietFrom = p.clock.now();
          for (let minute = 1; minute <= 20; minute++) {
            p.clock.set(quietFrom + minute * MINUTE);
            await p.poll(undefined, { queueIds: [] });
          }
          expect(await invariantViolations(p)).toEqual({ levers: [], pages: [] });
        } finally {
          await p.stop();
        }
      }),
      runOptions,
    );

  it(
    'ends with every lever where queue states and overrides say, and every trigger resolved',
    () => converges(false),
    300_000,
  );

  it(
    'holds the same with chunk events: both queues in one event, chunks racing, retried and crashing',
    () => converges(true),
    300_000,
  );

  it(
    'holds the same with chunk events naming their shard, racing placements in two shards and single-queue events',
    () => converges(true, true),
    300_000,
  );
});
