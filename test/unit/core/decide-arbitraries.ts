// fast-check arbitraries shared by the decision core's property tests (decide.property.test.ts,
// decide-in-place.property.test.ts): tier configs, stored queue states, overrides and observation steps.
import fc from 'fast-check';
import { parseConfig, type SurgeConfig, TIER_KEYS, type TierMode } from '../../../lambdas/core/config';
import type { QueueObservation } from '../../../lambdas/core/observation';
import type { Override } from '../../../lambdas/core/override';
import type { QueueState, TierState } from '../../../lambdas/core/state';
import { isoAt, T0 } from './helpers';

/** The queue of the single-queue arbitraries (stored states, overrides, the per-queue tier config). */
export const QUEUE = 'q';

/** What a tier config arbitrary draws from (each list is drawn uniformly: repeat a value to favour it). */
export interface TierRanges {
  readonly modes: readonly TierMode[];
  readonly waitingAboveMax: number;
  /** Restore's waitingBelow is waitingAbove minus 0 to this (never below 0). */
  readonly bandWidthMax: number;
  /** activate.agentsAvailableBelow, when set, is 0 to this. */
  readonly agentsAvailableBelowMax: number;
  /** activate and restore forObservations are 1 to this. */
  readonly forObservationsMax: number;
  readonly minActiveSeconds: readonly number[];
}

/** A valid tier config (waitingBelow ≤ waitingAbove), agentsAvailableBelow set or not. */
export const tierConfigArb = (r: TierRanges) =>
  fc
    .record({
      mode: fc.constantFrom(...r.modes),
      waitingAbove: fc.integer({ min: 0, max: r.waitingAboveMax }),
      bandWidth: fc.integer({ min: 0, max: r.bandWidthMax }),
      agentsAvailableBelow: fc.option(fc.integer({ min: 0, max: r.agentsAvailableBelowMax }), {
        nil: undefined,
      }),
      activateFor: fc.integer({ min: 1, max: r.forObservationsMax }),
      restoreFor: fc.integer({ min: 1, max: r.forObservationsMax }),
      minActiveSeconds: fc.constantFrom(...r.minActiveSeconds),
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

/**
 * Configs with every mode (`off` included), small thresholds so tiers switch often, a per-queue tier
 * config for QUEUE or not, several intervals, flapping settings and future tolerances.
 */
export const anyConfigArb: fc.Arbitrary<SurgeConfig> = (() => {
  const tier = tierConfigArb({
    modes: ['auto', 'auto', 'recommend', 'off'],
    waitingAboveMax: 40,
    bandWidthMax: 30,
    agentsAvailableBelowMax: 6,
    forObservationsMax: 4,
    minActiveSeconds: [0, 60, 60, 120, 300],
  });
  return fc
    .record({
      tiers: fc.record({ tier1: tier, tier2: tier, tier3: tier }),
      queueTier: fc.option(fc.record({ key: fc.constantFrom(...TIER_KEYS), tier }), { nil: undefined }),
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
})();

/** `seconds` after T0 as ISO-8601, with or without milliseconds (the same instant may be spelled both ways). */
const withMs = (seconds: number, ms: boolean): string =>
  ms ? new Date(T0 + seconds * 1000).toISOString() : isoAt(seconds);

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
      ? { status: 'active' as const, ...base, activatedAt: isoAt(-t.activatedAgo) }
      : { status: 'inactive' as const, ...base };
  });

/** A stored state of QUEUE last observed at T0 (tiers active or not, streaks, flapping windows), or none. */
export const storedStateArb: fc.Arbitrary<QueueState | undefined> = fc.option(
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
        lastObservedAt: isoAt(0),
        ...(lastWaiting === undefined ? {} : { lastWaiting, lastAgentsAvailable: null }),
        tiers,
        effective,
      }),
    ),
  { nil: undefined },
);

/** An override of QUEUE, of every queue or of another one, lapsing within the hour or never. */
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
    ...(until === undefined ? {} : { until: isoAt(until) }),
  }));

/** One input of `decide`: an observation of QUEUE, its time in epoch ms, the evaluating clock and the overrides. */
export interface DecideInput {
  readonly observation: QueueObservation;
  readonly observedAtMs: number;
  readonly now: number;
  readonly overrides: readonly Override[] | undefined;
}

/**
 * Observations of QUEUE after T0, in arrival order. Each is some time after the previous one (0 or
 * negative: repeated or late; 90 s or more: a gap at a 60 s interval), spelled with or without
 * milliseconds, judged by a clock at or behind it (far behind: it is dated ahead), with overrides.
 */
export const inputsArb: fc.Arbitrary<DecideInput[]> = fc
  .array(
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
  )
  .map((steps) => {
    let t = 0;
    return steps.map((s): DecideInput => {
      t += s.step;
      const observedAtMs = T0 + t * 1000;
      return {
        observation: {
          queueId: QUEUE,
          observedAt: withMs(t, s.withMs),
          waiting: s.waiting,
          agentsAvailable: s.agentsAvailable,
        },
        observedAtMs,
        now: observedAtMs + s.clockSkew * 1000,
        overrides: s.overrides,
      };
    });
  });

/** Freezes `value` and everything in it: a function that writes into it then throws. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
