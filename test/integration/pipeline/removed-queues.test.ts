import { describe, expect, it } from 'vitest';
import type { PollerDeps } from '../../../lambdas/app/deps';
import { parseConfig } from '../../../lambdas/core/config';
import type { QueueStateStore } from '../../../lambdas/core/persistence';
import { RELEASE_AFTER_SILENT_MS } from '../../../lambdas/core/placement';
import {
  chunkAt,
  gatedWrites,
  ONE_STEP_TIER1,
  observation,
  observationEvent,
  outcomes,
  type Pipeline,
  pipelinePerTest,
  T0,
  tier1Row,
} from './harness';
import { invariantViolations } from './invariants';

// Queues removed from the config give their place in their shard back once that changes no lever and
// owes no page (docs/architecture.md, "Removed queues"): quiet, silent for a day, no override on.

const MINUTE = 60_000;
const DAY = RELEASE_AFTER_SILENT_MS;
const open = pipelinePerTest();
const configOf = (queueIds: readonly string[]) =>
  parseConfig({ ...ONE_STEP_TIER1, queues: queueIds.map((id) => ({ id })) });
/** The handlers of a deployment whose config lists only `queueIds` (the others were removed). */
const deployed = (p: Pipeline, queueIds: readonly string[], alter = (d: PollerDeps) => d) =>
  p.handlersWith((d) => alter({ ...d, config: configOf(queueIds) }));
const stalePages = (p: Pipeline) =>
  p.transport.delivered.filter((d) => d.kind === 'stale-observations').map((d) => d.action);

/** One tick of `handlers` at `at`, its events evaluated (the queues it reads observed at `waiting`). */
async function tickAt(
  p: Pipeline,
  handlers: ReturnType<Pipeline['handlersWith']>,
  at: number,
  queueIds: readonly string[],
) {
  p.clock.set(at);
  for (const q of queueIds) p.emulator.setObservation(q, { waiting: 3, agentsAvailable: 2 });
  const result = await handlers.poll(undefined, { queueIds });
  for (const e of p.bus.drain()) await handlers.evaluate(e);
  return result;
}

describe('a queue removed from the config gives its place back', () => {
  it('after a day of silence, quiet: a new queue takes its room, and its stale incident resolves', async () => {
    const ids = Array.from({ length: 100 }, (_, i) => `q-${String(i).padStart(3, '0')}`);
    const p = await open({ config: configOf(ids) });
    await tickAt(p, p, T0, ids);
    const kept = ids.slice(1);
    const without = deployed(p, kept); // q-000 removed from the config

    await tickAt(p, without, T0 + 5 * MINUTE, kept); // q-000 silent: stale, paged
    expect(stalePages(p)).toEqual(['trigger']);
    await tickAt(p, without, T0 + DAY - MINUTE, kept);
    expect((await p.deps.queueStates.load('q-000'))?.version).toBe(1); // silent less than a day: kept
    await tickAt(p, without, T0 + DAY + MINUTE, kept);
    await tickAt(p, without, T0 + DAY + 2 * MINUTE, kept);

    expect(await p.deps.queueStates.load('q-000')).toBeUndefined();
    expect(stalePages(p).at(-1)).toBe('resolve');
    const listing = await p.deps.queueStates.listPlacement();
    expect(listing.shards).toEqual([{ shardId: '0000', queueIds: expect.not.arrayContaining(['q-000']) }]);
    expect(listing.shards[0]?.queueIds).toHaveLength(99);

    // A queue added later goes into the room given back, not into a fresh shard.
    const grown = deployed(p, [...kept, 'q-new']);
    p.clock.set(T0 + DAY + 3 * MINUTE);
    p.emulator.setObservation('q-new', { waiting: 3, agentsAvailable: 2 });
    await grown.poll(undefined, { queueIds: ['q-new'] });
    const events = p.bus.drain();
    expect(events.map((e) => e.detail.shardId)).toEqual(['0000']);
    for (const e of events) await grown.evaluate(e);
    expect((await p.deps.queueStates.listPlacement()).shards.map((s) => s.queueIds.length)).toEqual([100]);
    expect(await invariantViolations(p)).toEqual({ levers: [], pages: [] });
  });

  it('keeps a removed queue in surge, its lever held on, until it restores and is silent a day more', async () => {
    const p = await open({ config: configOf(['q-a', 'q-gone']) });
    await p.evaluate(chunkAt(T0, ['q-a', 'q-gone'], (q) => (q === 'q-gone' ? 120 : 10), '0000'));
    expect(tier1Row(p)).toBe(true);
    const without = deployed(p, ['q-a']);

    await tickAt(p, without, T0 + DAY + MINUTE, ['q-a']);
    await tickAt(p, without, T0 + 2 * DAY, ['q-a']);
    expect((await p.deps.queueStates.load('q-gone'))?.state).toMatchObject({ effective: { tier1: true } });
    expect(tier1Row(p)).toBe(true);
    expect(await invariantViolations(p)).toEqual({ levers: [], pages: [] });

    // A partner's observation of it (no shard named) restores it; a day of silence later it goes.
    p.clock.set(T0 + 2 * DAY + MINUTE);
    expect(
      outcomes(await without.evaluate(observationEvent(observation(T0 + 2 * DAY + MINUTE, 10, 'q-gone')))),
    ).toEqual(['q-gone accepted']);
    expect(tier1Row(p)).toBe(false);
    await tickAt(p, without, T0 + 3 * DAY + 2 * MINUTE, ['q-a']);
    expect(await p.deps.queueStates.load('q-gone')).toBeUndefined();
    expect(tier1Row(p)).toBe(false);
    expect(await invariantViolations(p)).toEqual({ levers: [], pages: [] });
  });
});

describe('giving a place back, racing', () => {
  it('decides a late event of the queue as a first observation when the tick gives its place back between its read and its write', async () => {
    const p = await open({ config: configOf(['q-a', 'q-gone']) });
    await p.evaluate(chunkAt(T0, ['q-a', 'q-gone'], 10, '0000'));
    const without = deployed(p, ['q-a']);
    const gated = gatedWrites();
    const late = p.handlersWith(gated.alter);

    // A partner's observation of the removed queue reads its state, then the tick gives the place back.
    p.clock.set(T0 + DAY + MINUTE);
    const event = late.evaluate(observationEvent(observation(T0 + DAY + MINUTE, 120, 'q-gone')));
    await gated.held(1);
    await without.poll(undefined, { queueIds: [] });
    expect((await p.deps.queueStates.listPlacement()).states.map((s) => s.queueId)).toEqual(['q-a']);
    gated.release();

    expect(outcomes(await event)).toEqual(['q-gone accepted']);
    const listing = await p.deps.queueStates.listPlacement();
    expect(listing.states.find((s) => s.queueId === 'q-gone')).toMatchObject({
      version: 1, // placed again: a first observation
      state: { effective: { tier1: true } },
    });
    expect(listing.extraCopies).toEqual([]);
    expect(tier1Row(p)).toBe(true); // the lever follows the state that exists now
    await without.poll(undefined, { queueIds: [] });
    expect(await invariantViolations(p)).toEqual({ levers: [], pages: [] });
  });

  it('keeps the queue when an evaluation saves it after the tick listed it and before the tick gives it back', async () => {
    const p = await open({ config: configOf(['q-a', 'q-gone']) });
    await p.evaluate(chunkAt(T0, ['q-a', 'q-gone'], 10, '0000'));
    let listed!: () => void;
    let resume!: () => void;
    const atRelease = new Promise<void>((resolve) => {
      listed = resolve;
    });
    const resumed = new Promise<void>((resolve) => {
      resume = resolve;
    });
    const slowTick = deployed(p, ['q-a'], (d) => ({
      ...d,
      queueStates: new Proxy(d.queueStates, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver);
          if (prop !== 'releasePlaces') return typeof value === 'function' ? value.bind(target) : value;
          return async (...args: Parameters<QueueStateStore['releasePlaces']>) => {
            listed();
            await resumed;
            return target.releasePlaces(...args);
          };
        },
      }),
    }));

    p.clock.set(T0 + DAY + MINUTE);
    const tick = slowTick.poll(undefined, { queueIds: [] });
    await atRelease;
    expect(
      outcomes(await p.evaluate(observationEvent(observation(T0 + DAY + MINUTE, 10, 'q-gone')))),
    ).toEqual(['q-gone accepted']);
    resume();
    await tick;

    expect((await p.deps.queueStates.load('q-gone'))?.version).toBe(2);
    expect(await invariantViolations(p)).toEqual({ levers: [], pages: [] });
  });

  it('gives a place back once when two ticks do it at once', async () => {
    const p = await open({ config: configOf(['q-a', 'q-gone']) });
    await p.evaluate(chunkAt(T0, ['q-a', 'q-gone'], 10, '0000'));
    const without = deployed(p, ['q-a']);
    p.clock.set(T0 + DAY + MINUTE);

    await Promise.all([without.poll(undefined, { queueIds: [] }), without.poll(undefined, { queueIds: [] })]);

    expect(await p.deps.queueStates.load('q-gone')).toBeUndefined();
    const released = p.telemetry.logs.filter(
      (l) => l.message === 'queues removed from the config gave their place back',
    );
    expect(released.map((l) => l.extra?.queues)).toEqual([['q-gone']]);
    expect(await invariantViolations(p)).toEqual({ levers: [], pages: [] });
  });
});
