import { describe, expect, it } from 'vitest';
import type { PollerDeps } from '../../../lambdas/app/deps';
import {
  episodePages,
  failingFirst,
  observation,
  observationEvent,
  type Pipeline,
  pipelinePerTest,
  quietTicks,
  T0,
  tier1Row,
} from './harness';
import { invariantViolations } from './invariants';

// Every trigger page gets its resolve, whoever moves the lever after a holder dies between staging a
// page and recording what it did (docs/architecture.md, "Invariants"). Real handlers on dynalite and the
// Genesys emulator; the holder's death is its recordApplied call failing.

const MINUTE = 60_000;
const open = pipelinePerTest();

/** A holder that dies after switching and staging its pages, before recording the switch. */
const diesBeforeRecording = (deps: PollerDeps): PollerDeps => ({
  ...deps,
  actuatorStore: failingFirst(deps.actuatorStore, 'recordApplied', 1, () => new Error('Lambda died')),
});

/** At minute 2 a surge: the holder switches the lever on, stages episode 2's trigger, then dies. */
async function surgeAndDieBeforeRecording(p: Pipeline): Promise<void> {
  p.clock.set(T0 + 2 * MINUTE);
  const dying = p.handlersWith(diesBeforeRecording);
  await expect(dying.evaluate(observationEvent(observation(T0 + 2 * MINUTE, 120)))).rejects.toThrow(
    /Lambda died/,
  );
}

/** One whole episode (on, then off), so the next one is number 2. */
async function firstEpisode(p: Pipeline): Promise<void> {
  await p.evaluate(observationEvent(observation(T0, 120)));
  p.clock.set(T0 + MINUTE);
  await p.evaluate(observationEvent(observation(T0 + MINUTE, 5)));
  expect(episodePages(p)).toEqual([
    'actuator-episode trigger actuator:tier1-datatable:1',
    'actuator-episode resolve actuator:tier1-datatable:1',
  ]);
}

describe('a holder that dies between staging its trigger and recording the switch on', () => {
  it('gets its trigger resolved when something else turned the lever off before anyone read it back', async () => {
    const p = await open();
    await firstEpisode(p);

    await surgeAndDieBeforeRecording(p);
    expect(tier1Row(p)).toBe(true);
    expect(episodePages(p).slice(2)).toEqual(['actuator-episode trigger actuator:tier1-datatable:2']);

    // Someone (an older late write, a hand edit) turns the lever off; then the surge passes. The record
    // still says off, so the lever agrees with it and nothing is pending but the staged trigger.
    p.emulator.seedRow('surge-control', { key: 'tier1', SurgeActive: false });
    p.clock.set(T0 + 3 * MINUTE);
    await p.evaluate(observationEvent(observation(T0 + 3 * MINUTE, 5)));
    await quietTicks(p, T0 + 3 * MINUTE, 2);

    expect(tier1Row(p)).toBe(false);
    expect(episodePages(p).slice(2)).toEqual([
      'actuator-episode trigger actuator:tier1-datatable:2',
      'actuator-episode resolve actuator:tier1-datatable:2',
    ]);
    expect(await invariantViolations(p)).toEqual({ levers: [], pages: [] });
    const record = await p.deps.actuatorStore.get('tier1-datatable');
    expect(record).toMatchObject({ applied: 'inactive', episode: { number: 2 } });
    expect(record?.episode?.closedAt).toBeDefined();

    // Settled: later ticks page nothing more.
    await quietTicks(p, T0 + 5 * MINUTE, 2);
    expect(episodePages(p)).toHaveLength(4);
  });

  it('continues the same episode (one trigger) when the lever is still wanted on', async () => {
    const p = await open();
    await firstEpisode(p);

    await surgeAndDieBeforeRecording(p);
    p.emulator.seedRow('surge-control', { key: 'tier1', SurgeActive: false });
    await quietTicks(p, T0 + 2 * MINUTE, 1);

    expect(tier1Row(p)).toBe(true);
    expect(await p.deps.actuatorStore.get('tier1-datatable')).toMatchObject({
      applied: 'active',
      episode: { number: 2, dedupKey: 'actuator:tier1-datatable:2' },
    });
    p.clock.set(T0 + 4 * MINUTE);
    await p.evaluate(observationEvent(observation(T0 + 4 * MINUTE, 5)));

    expect(tier1Row(p)).toBe(false);
    expect(episodePages(p).slice(2)).toEqual([
      'actuator-episode trigger actuator:tier1-datatable:2',
      'actuator-episode resolve actuator:tier1-datatable:2',
    ]);
    expect(await invariantViolations(p)).toEqual({ levers: [], pages: [] });
  });

  it('stages no trigger when it lost the lease before switching was recorded as staged', async () => {
    const p = await open();
    await firstEpisode(p);

    // The holder's lease is gone by the time it would record the staged episode: it pages nothing,
    // and the next tick (a new holder) finds the lever on as wanted and opens the episode itself.
    p.clock.set(T0 + 2 * MINUTE);
    const fenced = p.handlersWith((deps) => ({
      ...deps,
      actuatorStore: new Proxy(deps.actuatorStore, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver);
          if (prop !== 'recordStagedEpisode') return typeof value === 'function' ? value.bind(target) : value;
          return async (...[actuatorId, episode, lease]: Parameters<typeof target.recordStagedEpisode>) => {
            p.clock.set(lease.expiresAt + 1); // stalled past the lease
            return target.recordStagedEpisode(actuatorId, episode, lease, p.clock.now());
          };
        },
      }),
    }));
    const stalled = await fenced.evaluate(observationEvent(observation(T0 + 2 * MINUTE, 120)));
    expect(stalled.kind === 'observation' && stalled.result.actuations[0]?.result).toBe('fenced-out');
    expect(episodePages(p).slice(2)).toEqual([]);

    await quietTicks(p, p.clock.now(), 1);
    expect(tier1Row(p)).toBe(true);
    expect(episodePages(p).slice(2)).toEqual(['actuator-episode trigger actuator:tier1-datatable:2']);
    expect(await invariantViolations(p)).toEqual({ levers: [], pages: [] });
  });
});

describe('a switch that fails one way and then succeeds the other way', () => {
  it('resolves the failing page it raised (one incident per lever and episode)', async () => {
    const p = await open();
    p.emulator.faults.until({ path: '/api/v2/*' }, { kind: 'status', status: 503 }, T0 + 2 * MINUTE);

    const on = await p.evaluate(observationEvent(observation(T0, 120)));
    expect(on.kind === 'observation' && on.result.actuations[0]?.result).toBe('failed');
    // The surge passes before Genesys recovers: the lever must now go (stay) off.
    p.clock.set(T0 + MINUTE);
    await p.evaluate(observationEvent(observation(T0 + MINUTE, 5)));
    await quietTicks(p, T0 + MINUTE, 3);

    expect(tier1Row(p)).not.toBe(true);
    const failing = p.pagesSent().filter((x) => x.startsWith('switch-failing'));
    expect(failing).toEqual([
      'switch-failing trigger switch-failing:tier1-datatable:0',
      'switch-failing resolve switch-failing:tier1-datatable:0',
    ]);
    expect(await p.deps.actuatorStore.get('tier1-datatable')).toMatchObject({
      applied: 'inactive',
      consecutiveFailures: 0,
    });
  });
});

describe('a lever nobody ever demanded', () => {
  it('is read back and put off when switched on by hand, with its pages paired', async () => {
    const p = await open();
    await quietTicks(p, T0, 1); // adopted as off
    p.emulator.seedRow('surge-control', { key: 'tier1', SurgeActive: true });
    // Read back by the sample, like any settled lever: 15 minutes after it was adopted.
    await quietTicks(p, T0 + MINUTE, 16);

    expect(tier1Row(p)).toBe(false);
    // Delivered by priority (triggers first); each trigger with its resolve.
    expect(p.pagesSent().sort()).toEqual([
      'actuator-episode resolve actuator:tier1-datatable:1',
      'actuator-episode trigger actuator:tier1-datatable:1',
      'drift resolve drift:tier1-datatable:0:inactive',
      'drift trigger drift:tier1-datatable:0:inactive',
    ]);
    expect(await invariantViolations(p)).toEqual({ levers: [], pages: [] });
  });

  it('is adopted once and then costs nothing while it reads back off', async () => {
    const p = await open();
    await quietTicks(p, T0, 3);
    expect(await p.deps.actuatorStore.get('tier1-datatable')).toMatchObject({
      applied: 'inactive',
      demandedBy: [],
    });
    expect(p.switchCalls()).toEqual([]);
    expect(p.pagesSent()).toEqual([]);
  });
});
