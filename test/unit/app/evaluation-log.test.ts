import { describe, expect, it } from 'vitest';
import type { EvaluationResult } from '../../../lambdas/app/evaluate-observation';
import { chunkLogLine, isQuiet, queueLogLine } from '../../../lambdas/app/evaluation-log';
import { parseConfig, type SurgeConfigInput } from '../../../lambdas/core/config';
import { decide, type Override, type QueueState } from '../../../lambdas/core/decide';
import type { QueueObservation } from '../../../lambdas/core/observation';

const T0 = Date.parse('2026-11-30T09:00:00Z');
const iso = (minute: number) => new Date(T0 + minute * 60_000).toISOString().replace('.000Z', 'Z');

/** Decides `waitings` (one a minute) for queue `q` with the real core and returns each minute's result. */
function run(
  input: SurgeConfigInput,
  waitings: readonly (number | [number, number | null])[],
  overrides: readonly Override[] = [],
): EvaluationResult[] {
  const config = parseConfig(input);
  let state: QueueState | undefined;
  return waitings.map((w, minute) => {
    const [waiting, agentsAvailable] = Array.isArray(w) ? w : [w, 6];
    const observation: QueueObservation = { queueId: 'q', observedAt: iso(minute), waiting, agentsAvailable };
    const decision = decide(state, observation, config, T0 + minute * 60_000, overrides);
    if (decision.outcome === 'accepted') state = decision.next;
    return { observation, decision, actuations: [], pages: [], attempts: 1 };
  });
}
const quietness = (input: SurgeConfigInput, waitings: number[], overrides?: Override[]) =>
  run(input, waitings, overrides).map((r) => isQuiet(r, parseConfig(input)));

describe('isQuiet', () => {
  it('is quiet from the second minute below the lowest restore level (25 by default)', () => {
    expect(quietness({}, [3, 3, 3])).toEqual([false, true, true]);
  });

  it('logs a queue between the restore and activate levels, and its first minute back below', () => {
    expect(quietness({}, [3, 3, 30, 60, 30, 10, 10])).toEqual([
      false,
      true,
      false,
      false,
      false,
      false,
      true,
    ]);
  });

  it('logs every minute while a tier is on, a recommend-only tier included', () => {
    const recommendOnly = {
      tiers: {
        tier1: { mode: 'off' as const },
        tier2: { mode: 'off' as const },
        tier3: {
          activate: { waitingAbove: 40, forObservations: 1 },
          restore: { waitingBelow: 20, forObservations: 3 },
        },
      },
    };
    // tier 3 (recommend) activates at 45 and restores after 3 minutes below 20 (minute 5, logged with
    // its transition); from then on the queue has been below the restore level for minutes: quiet.
    expect(quietness(recommendOnly, [3, 3, 45, 10, 10, 10, 10, 10])).toEqual([
      false,
      true,
      false,
      false,
      false,
      false,
      true,
      true,
    ]);
  });

  it('keeps quiet a queue an override holds inactive, but logs an override that turns a tier on', () => {
    const off: Override = { queue: 'q', tier: 1, state: 'inactive', reason: 'test', by: 'test' };
    const on: Override = { queue: 'q', tier: 1, state: 'active', reason: 'test', by: 'test' };
    expect(quietness({}, [3, 3, 3], [off])).toEqual([false, true, true]);
    expect(quietness({}, [3, 3, 3], [on])).toEqual([false, false, false]);
  });

  it('ignores tiers that are off or can never restore when it picks the restore level', () => {
    const config = {
      tiers: {
        tier1: { mode: 'off' as const },
        tier2: { restore: { waitingBelow: 0, forObservations: 1 } },
      },
    };
    // tier 3's restore level (100) is the lowest that counts: 60 is quiet from the second minute.
    expect(quietness(config, [60, 60])).toEqual([false, true]);
  });
});

describe('queueLogLine', () => {
  it('names the running activation streaks, the reasons, and unknown agents', () => {
    const [first, second] = run({}, [
      [60, null],
      [220, 2],
    ]);
    const config = parseConfig({});
    expect(queueLogLine(first as EvaluationResult, config)).toEqual({
      queueId: 'q',
      observedAt: iso(0),
      waiting: 60,
      agentsAvailable: 'unknown',
      tier1: false,
      tier2: false,
      tier3: false,
      reasons: 'first-observation',
      activating: 'tier1 1/10',
    });
    expect(queueLogLine(second as EvaluationResult, config)).toMatchObject({
      reasons: 'steady',
      activating: 'tier1 2/10, tier2 1/3',
    });
  });
});

describe('chunkLogLine', () => {
  it('counts duplicates apart from other ignored observations and names the deepest queues', () => {
    const config = parseConfig({});
    const a = run({}, [5, 5])[1] as EvaluationResult;
    const duplicate = {
      ...a,
      decision: decide(a.decision.next as QueueState, a.observation, config, T0 + 60_000),
    };
    const deep = { ...a, observation: { ...a.observation, queueId: 'deep', waiting: 70 } };
    expect(chunkLogLine([a, duplicate, deep], 1)).toEqual({
      queues: 3,
      quiet: 1,
      duplicates: 1,
      ignored: 0,
      tier1: 0,
      tier2: 0,
      tier3: 0,
      deepest: 'deep',
      deepestWaiting: 70,
      worst: 'deep 70/6, q 5/6',
    });
  });
});
