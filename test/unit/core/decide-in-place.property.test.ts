import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig, type SurgeConfig, TIER_KEYS, tierKey } from '../../../lambdas/core/config';
import { type Decision, decide, type Override } from '../../../lambdas/core/decide';
import {
  decideInPlace,
  newWorkingDecision,
  queueStateOf,
  type WorkingDecision,
  workingStateOf,
} from '../../../lambdas/core/decide-in-place';
import type { QueueObservation } from '../../../lambdas/core/observation';
import type { QueueState, TierState } from '../../../lambdas/core/state';
import { isoToMs } from '../../../lambdas/core/time';
import { T0 } from './helpers';

// decideInPlace must decide exactly as decide: same outcome, reasons, transitions, effective states
// and flapping signals, and its working state must stand for decide's `next` after every observation.
// Random configs (modes auto/recommend/off, per-queue tier overrides, flapping settings), random stored
// states (active or not, streaks, flapping windows), and random observation sequences with duplicates,
// late lines, gaps, future-dated lines and manual overrides that come, lapse and go.

const QUEUE = 'q';

const tierArb = fc
  .record({
    mode: fc.constantFrom('auto', 'auto', 'recommend', 'off'),
    waitingAbove: fc.integer({ min: 0, max: 40 }),
    bandWidth: fc.integer({ min: 0, max: 30 }),
    agentsAvailableBelow: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
    activateFor: fc.integer({ min: 1, max: 4 }),
    restoreFor: fc.integer({ min: 1, max: 4 }),
    minActiveSeconds: fc.constantFrom(0, 60, 60, 120, 300),
  })
  .map((t) => ({
    mode: t.mode,
    activate: {
      waitingAbove: t.waitingAbove,
      forObservations: t.activateFor,
      ...(t.agentsAvailableBelow === undefined ? {} : { agentsAvailableBelow: t.agentsAvailableBelow }),
    },
    restore: { waitingBelow: Math.max(0, t.waitingAbove - t.bandWidth), forObservations: t.restoreFor },
    minActiveSeconds: t.minActiveSeconds,
  }));

const configArb: fc.Arbitrary<SurgeConfig> = fc
  .record({
    tiers: fc.record({ tier1: tierArb, tier2: tierArb, tier3: tierArb }),
    queueTier: fc.option(fc.record({ key: fc.constantFrom(...TIER_KEYS), tier: tierArb }), {
      nil: undefined,
    }),
    intervalSeconds: fc.constantFrom(30, 60, 60, 120),
    flapping: fc.record({
      transitions: fc.integer({ min: 2, max: 5 }),
      windowSeconds: fc.constantFrom(120, 600, 3600),
    }),
    futureToleranceSeconds: fc.option(fc.constantFrom(60, 600), { nil: undefined }),
  })
  .map(({ tiers, queueTier, intervalSeconds, flapping, futureToleranceSeconds }) =>
    parseConfig({
      tiers,
      intervalSeconds,
      flapping,
      ...(futureToleranceSeconds === undefined ? {} : { futureToleranceSeconds }),
      ...(queueTier ? { queues: [{ id: QUEUE, tiers: { [queueTier.key]: queueTier.tier } }] } : {}),
    }),
  );

/** `seconds` after T0 as ISO-8601, with or without milliseconds (the same instant may be spelled both ways). */
const iso = (seconds: number, withMs: boolean): string => {
  const text = new Date(T0 + seconds * 1000).toISOString();
  return withMs ? text : text.replace(/\.\d{3}Z$/, 'Z');
};

const tierStateArb: fc.Arbitrary<TierState> = fc
  .record({
    active: fc.boolean(),
    activateStreak: fc.integer({ min: 0, max: 6 }),
    restoreStreak: fc.integer({ min: 0, max: 6 }),
    recent: fc.array(fc.integer({ min: -7200, max: 0 }), { maxLength: 4 }),
    // Often on a minute, so that minActiveSeconds ends exactly at an observation.
    activatedAgo: fc.oneof(fc.constantFrom(0, 0, 60, 120), fc.integer({ min: 0, max: 900 })),
  })
  .map((t) => {
    const base = {
      activateStreak: t.activateStreak,
      restoreStreak: t.restoreStreak,
      recentTransitions: [...t.recent].sort((a, b) => a - b).map((s) => T0 + s * 1000),
    };
    return t.active
      ? { status: 'active' as const, ...base, activatedAt: iso(-t.activatedAgo, false) }
      : { status: 'inactive' as const, ...base };
  });

const stateArb: fc.Arbitrary<QueueState | undefined> = fc.option(
  fc
    .record({
      tier1: tierStateArb,
      tier2: tierStateArb,
      tier3: tierStateArb,
      effective: fc.record({ tier1: fc.boolean(), tier2: fc.boolean(), tier3: fc.boolean() }),
      lastWaiting: fc.option(fc.nat(100), { nil: undefined }),
    })
    .map(
      ({ lastWaiting, effective, ...tiers }): QueueState => ({
        schemaVersion: 1,
        queueId: QUEUE,
        lastObservedAt: iso(0, false),
        ...(lastWaiting === undefined ? {} : { lastWaiting, lastAgentsAvailable: null }),
        tiers,
        effective,
      }),
    ),
  { nil: undefined },
);

const overrideArb: fc.Arbitrary<Override> = fc
  .record({
    queue: fc.constantFrom(QUEUE, '*', 'other'),
    tier: fc.constantFrom(1 as const, 2 as const, 3 as const),
    state: fc.constantFrom('active' as const, 'inactive' as const),
    until: fc.option(fc.integer({ min: 0, max: 3600 }), { nil: undefined }),
  })
  .map(({ until, ...o }) => ({
    ...o,
    reason: 'test',
    by: 'ops',
    ...(until === undefined ? {} : { until: iso(until, false) }),
  }));

/** Each step: how far after the previous observation (negative or 0: late or repeated), what it says, the clock, overrides. */
const stepsArb = fc.array(
  fc.record({
    step: fc.constantFrom(60, 60, 60, 60, 60, 30, 90, 0, -60, 120, 600),
    withMs: fc.boolean(),
    waiting: fc.oneof(
      fc.constant(0),
      fc.integer({ min: 0, max: 5 }),
      fc.integer({ min: 30, max: 50 }),
      fc.nat(60),
    ),
    agentsAvailable: fc.option(fc.nat(8), { nil: null }),
    clockSkew: fc.constantFrom(0, 0, 0, 5, -200, -1200),
    overrides: fc.option(fc.array(overrideArb, { maxLength: 3 }), { nil: undefined }),
  }),
  { minLength: 1, maxLength: 60 },
);

/** The parts of a Decision that a WorkingDecision holds. */
const decisionParts = (d: Decision | WorkingDecision) => ({
  outcome: d.outcome,
  ignoredReason: d.ignoredReason,
  transitions: d.transitions,
  effective: { ...d.effective },
  effectiveChanged: d.effectiveChanged,
  gap: d.gap,
  flapping: d.flapping,
  reasons: d.reasons,
});

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

describe('decideInPlace (properties)', () => {
  it('decides exactly as decide, observation after observation, and its state stands for decide’s next', () => {
    fc.assert(
      fc.property(configArb, stateArb, stepsArb, (config, initial, steps) => {
        // Frozen: neither function may write into a state it was given (the working copy shares arrays with it).
        let reference = deepFreeze(initial);
        const working = workingStateOf(initial, QUEUE);
        const out = newWorkingDecision();
        let t = 0;
        for (const s of steps) {
          t += s.step;
          const observation: QueueObservation = {
            queueId: QUEUE,
            observedAt: iso(t, s.withMs),
            waiting: s.waiting,
            agentsAvailable: s.agentsAvailable,
          };
          const at = isoToMs(observation.observedAt);
          const now = at + s.clockSkew * 1000;
          const expected = decide(reference, observation, config, now, s.overrides);
          decideInPlace(working, { ...observation, observedAtMs: at }, config, now, s.overrides, out);

          expect(decisionParts(out)).toEqual(decisionParts(expected));
          // The episode each transition belongs to began at its own activation, or at the restored one's.
          expect(out.episodeStarts).toEqual(
            out.transitions.map((x) =>
              x.action === 'activate' ? x.at : activatedAtOf(reference?.tiers[tierKey(x.tier)]),
            ),
          );
          const next = expected.outcome === 'accepted' ? expected.next : reference;
          expect(queueStateOf(working)).toEqual(next);
          reference = deepFreeze(next);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('refuses an observation of another queue in the same words as decide', () => {
    const state = decide(undefined, obs('a'), parseConfig({}), T0).next as QueueState;
    expect(() => decide(state, obs('b'), parseConfig({}), T0)).toThrow(
      "decide: state of queue 'a' given an observation of queue 'b'",
    );
    expect(() =>
      decideInPlace(
        workingStateOf(state, 'a'),
        { ...obs('b'), observedAtMs: T0 },
        parseConfig({}),
        T0,
        undefined,
        newWorkingDecision(),
      ),
    ).toThrow("decide: state of queue 'a' given an observation of queue 'b'");
  });
});

/** A restore's tier was active before it: its activation time (undefined would fail the comparison). */
const activatedAtOf = (tier: TierState | undefined): string | undefined =>
  tier?.status === 'active' ? tier.activatedAt : undefined;

const obs = (queueId: string): QueueObservation => ({
  queueId,
  observedAt: iso(0, false),
  waiting: 1,
  agentsAvailable: 2,
});
