import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatScenario, parseScenario } from '../../../drill/scenario';
import { desiredState, desiredStates, planActuators, withDemand } from '../../../lambdas/core/actuator-plan';
import {
  type Actuator,
  parseConfig,
  type SurgeConfig,
  TIER_KEYS,
  type TierKey,
  tierConfigFor,
} from '../../../lambdas/core/config';
import { activatePredicate, decide, restorePredicate, type Transition } from '../../../lambdas/core/decide';
import type { QueueObservation } from '../../../lambdas/core/observation';
import { hydrateQueueState, type QueueState } from '../../../lambdas/core/state';
import { anyConfigArb, inputsArb, storedStateArb, tierConfigArb } from './decide-arbitraries';
import { isoAt } from './helpers';

// Invariants of the decision core over arbitrary configs and queue histories.

// ── Arbitraries ─────────────────────────────────────────────────────────────────────────────

const tierArb = tierConfigArb({
  modes: ['auto', 'recommend'],
  waitingAboveMax: 120,
  bandWidthMax: 60,
  agentsAvailableBelowMax: 8,
  forObservationsMax: 5,
  minActiveSeconds: [0, 0, 60, 180, 600],
});

const configArb: fc.Arbitrary<SurgeConfig> = fc
  .record({ tier1: tierArb, tier2: tierArb, tier3: tierArb })
  .map((tiers) => parseConfig({ tiers }));

/**
 * Strictly increasing minute-ish timestamps with occasional gaps (120 s, 600 s). Depth is drawn from
 * calm, surging and anywhere-in-between levels, so long streaks of each kind (and their ends) are common.
 */
const historyArb = (queueIds: readonly string[] = ['q']) =>
  fc
    .array(
      fc.record({
        step: fc.constantFrom(60, 60, 60, 60, 30, 90, 120, 600),
        queueId: fc.constantFrom(...queueIds),
        waiting: fc.oneof(
          fc.integer({ min: 0, max: 5 }),
          fc.integer({ min: 180, max: 200 }),
          fc.integer({ min: 0, max: 200 }),
        ),
        agentsAvailable: fc.option(fc.integer({ min: 0, max: 10 }), { nil: null }),
      }),
      { maxLength: 120 },
    )
    .map((rows) => {
      let t = 0;
      return rows.map(({ step, queueId, waiting, agentsAvailable }): QueueObservation => {
        t += step;
        return { queueId, observedAt: isoAt(t), waiting, agentsAvailable };
      });
    });

// ── Drivers ─────────────────────────────────────────────────────────────────────────────────

interface Trace {
  transitions: Transition[];
  /** Per accepted observation: the observation and its decision's transitions. */
  accepted: { o: QueueObservation; gap: boolean; transitions: readonly Transition[] }[];
  states: Map<string, QueueState>;
}

function runCore(history: readonly QueueObservation[], config: SurgeConfig): Trace {
  const states = new Map<string, QueueState>();
  const trace: Trace = { transitions: [], accepted: [], states };
  for (const o of history) {
    const d = decide(states.get(o.queueId), o, config, Date.parse(o.observedAt));
    if (d.outcome === 'ignored') continue;
    states.set(o.queueId, d.next);
    trace.transitions.push(...d.transitions);
    trace.accepted.push({ o, gap: d.gap, transitions: d.transitions });
  }
  return trace;
}

/** The seed's controller: switch on at one observation satisfying the activate predicate, off at one below. */
function naiveTransitions(history: readonly QueueObservation[], config: SurgeConfig, key: TierKey): number {
  const active = new Map<string, boolean>();
  const last = new Map<string, number>();
  let n = 0;
  for (const o of history) {
    const at = Date.parse(o.observedAt);
    if (at <= (last.get(o.queueId) ?? Number.NEGATIVE_INFINITY)) continue;
    last.set(o.queueId, at);
    const tier = tierConfigFor(config, o.queueId, key);
    const on = active.get(o.queueId) ?? false;
    if (!on && activatePredicate(tier, o)) {
      active.set(o.queueId, true);
      n++;
    } else if (on && restorePredicate(tier, o)) {
      active.set(o.queueId, false);
      n++;
    }
  }
  return n;
}

const tierOf = (key: TierKey) => Number(key.slice(4)) as 1 | 2 | 3;

// ── Properties ──────────────────────────────────────────────────────────────────────────────

describe('decide (properties)', () => {
  it('never makes more transitions than the naive controller, per tier', () => {
    fc.assert(
      fc.property(configArb, historyArb(['a', 'b']), (config, history) => {
        const ours = runCore(history, config).transitions;
        for (const key of TIER_KEYS) {
          const mine = ours.filter((t) => t.tier === tierOf(key)).length;
          expect(mine).toBeLessThanOrEqual(naiveTransitions(history, config, key));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same transitions when duplicates and late (out-of-order) lines are mixed in', () => {
    const withNoise = historyArb(['a', 'b']).chain((history) =>
      fc
        .array(
          fc.record({
            after: fc.nat(),
            copyOf: fc.nat(),
            waiting: fc.integer({ min: 0, max: 1000 }),
            shiftSeconds: fc.constantFrom(0, 0, -1, -30, -3600),
          }),
          { maxLength: 30 },
        )
        .map((noise) => {
          // After line i, a redelivery (same observedAt) or a late event (older) of some line j ≤ i
          // arrives, saying whatever it says about the depth: it must change nothing.
          const inserts: QueueObservation[][] = history.map(() => []);
          for (const n of history.length > 0 ? noise : []) {
            const i = n.after % history.length;
            const original = history[n.copyOf % (i + 1)] as QueueObservation;
            inserts[i]?.push({
              ...original,
              waiting: n.waiting,
              observedAt: new Date(Date.parse(original.observedAt) + n.shiftSeconds * 1000).toISOString(),
            });
          }
          return { history, noisy: history.flatMap((o, i) => [o, ...(inserts[i] ?? [])]) };
        }),
    );
    fc.assert(
      fc.property(configArb, withNoise, (config, { history, noisy }) => {
        expect(runCore(noisy, config).transitions).toEqual(runCore(history, config).transitions);
      }),
      { numRuns: 300 },
    );
  });

  it('never restores without restore.forObservations qualifying, gap-free observations after the last activation', () => {
    fc.assert(
      fc.property(configArb, historyArb(), (config, history) => {
        const { accepted } = runCore(history, config);
        for (const key of TIER_KEYS) {
          const tier = tierConfigFor(config, 'q', key);
          let sinceActivation: { o: QueueObservation; gap: boolean }[] = [];
          for (const step of accepted) {
            sinceActivation.push(step);
            for (const t of step.transitions.filter((x) => x.tier === tierOf(key))) {
              if (t.action === 'activate') sinceActivation = [];
              else {
                const tail = sinceActivation.slice(-tier.restore.forObservations);
                expect(tail).toHaveLength(tier.restore.forObservations);
                expect(tail.every((s) => restorePredicate(tier, s.o))).toBe(true);
                // A gap may start the streak (its first observation counts) but never sit inside it.
                expect(tail.slice(1).every((s) => !s.gap)).toBe(true);
              }
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never flaps inside the band: observations between waitingBelow and waitingAbove never switch a tier', () => {
    // Any history, then a run of in-band observations for one tier: that tier never transitions in the run.
    const scenario = fc
      .tuple(configArb, fc.constantFrom(...TIER_KEYS), historyArb())
      .chain(([config, key, prefix]) => {
        const t = config.tiers[key];
        const band = fc.integer({ min: t.restore.waitingBelow, max: t.activate.waitingAbove });
        return fc.record({
          config: fc.constant(config),
          key: fc.constant(key),
          prefix: fc.constant(prefix),
          band: fc.array(fc.tuple(band, fc.option(fc.nat(10), { nil: null })), {
            minLength: 1,
            maxLength: 60,
          }),
        });
      });
    fc.assert(
      fc.property(scenario, ({ config, key, prefix, band }) => {
        const start = Date.parse((prefix.at(-1) ?? { observedAt: isoAt(0) }).observedAt);
        const suffix = band.map(
          ([waiting, agentsAvailable], i): QueueObservation => ({
            queueId: 'q',
            observedAt: new Date(start + (i + 1) * 60_000).toISOString(),
            waiting,
            agentsAvailable,
          }),
        );
        const { accepted } = runCore([...prefix, ...suffix], config);
        const inRun = accepted.slice(accepted.length - suffix.length).flatMap((s) => s.transitions);
        expect(inRun.filter((t) => t.tier === tierOf(key))).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('is pure: the same inputs give the same decision, and the input state is never modified', () => {
    // Any stored state, with overrides coming and lapsing, late and repeated lines and a skewed clock.
    fc.assert(
      fc.property(anyConfigArb, storedStateArb, inputsArb, (config, initial, inputs) => {
        let state = initial;
        for (const { observation, now, overrides } of inputs) {
          const before = structuredClone(state);
          const a = decide(state, observation, config, now, overrides);
          const b = decide(state, observation, config, now, overrides);
          expect(a).toEqual(b);
          expect(state).toEqual(before);
          // Nothing to store: the very same state object comes back.
          if (a.outcome === 'ignored') expect(a.next).toBe(state);
          state = a.next;
        }
      }),
      { numRuns: 200 },
    );
  });

  it('stores states that survive a JSON round trip unchanged (hydrate ∘ stringify = identity)', () => {
    fc.assert(
      fc.property(configArb, historyArb(), (config, history) => {
        const { states } = runCore(history, config);
        for (const state of states.values()) {
          expect(hydrateQueueState(JSON.parse(JSON.stringify(state)))).toEqual(state);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('actuator plan (properties)', () => {
  const actuatorsArb = fc.array(
    fc.record({
      tier: fc.constantFrom(1, 2, 3) as fc.Arbitrary<1 | 2 | 3>,
      queues: fc.oneof(fc.constant(['*']), fc.subarray(['a', 'b', 'c'], { minLength: 1 })),
    }),
    { minLength: 1, maxLength: 6 },
  );

  it('incremental demand sets always agree with the from-scratch rule (active iff some covered queue is effective)', () => {
    fc.assert(
      fc.property(configArb, historyArb(['a', 'b', 'c']), actuatorsArb, (config, history, specs) => {
        const actuators: Actuator[] = specs.map((s, i) => ({
          id: `act${i}`,
          type: 'notify-only',
          tier: s.tier,
          queues: [...s.queues],
        }));
        const demandedBy = new Map<string, string[]>();
        const effectiveByQueue = new Map<string, Record<TierKey, boolean>>();
        const states = new Map<string, QueueState>();
        for (const o of history) {
          const d = decide(states.get(o.queueId), o, config, Date.parse(o.observedAt));
          if (d.outcome === 'ignored') continue;
          states.set(o.queueId, d.next);
          effectiveByQueue.set(o.queueId, d.effective);
          for (const demand of planActuators(actuators, o.queueId, d.effective)) {
            demandedBy.set(
              demand.actuatorId,
              withDemand(demandedBy.get(demand.actuatorId) ?? [], o.queueId, demand.demanding),
            );
          }
          const expected = desiredStates(actuators, effectiveByQueue);
          for (const a of actuators)
            expect(desiredState(demandedBy.get(a.id) ?? [])).toBe(expected.get(a.id));
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('scenario CSV (properties)', () => {
  it('parses back exactly what formatScenario wrote, quoted queue ids included', () => {
    fc.assert(
      fc.property(historyArb(['sales', 'billing-2', 'east, 2', 'say "hi"', ' padded ']), (history) => {
        fc.pre(history.length > 0); // a header-only file is refused
        const parsed = parseScenario(formatScenario(history, 'generated'), 'gen.csv');
        expect(parsed.map((l) => l.observation)).toEqual(history);
        expect(parsed.map((l) => l.line)).toEqual(history.map((_, i) => i + 3));
      }),
      { numRuns: 100 },
    );
  });
});
