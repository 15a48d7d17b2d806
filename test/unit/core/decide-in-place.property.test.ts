import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig, tierKey } from '../../../lambdas/core/config';
import { type Decision, decide } from '../../../lambdas/core/decide';
import {
  decideInPlace,
  newWorkingDecision,
  queueStateOf,
  type WorkingDecision,
  workingStateOf,
} from '../../../lambdas/core/decide-in-place';
import type { QueueObservation } from '../../../lambdas/core/observation';
import type { QueueState, TierState } from '../../../lambdas/core/state';
import { anyConfigArb, deepFreeze, inputsArb, QUEUE, storedStateArb } from './decide-arbitraries';
import { isoAt, T0 } from './helpers';

// decide is decideInPlace over a fresh working copy of the stored state. A replay instead carries one
// working state along for millions of observations: it must decide exactly as copying the stored state
// afresh each time does (same outcome, reasons, transitions, effective states and flapping signals),
// and its working state must stand for decide's `next` after every observation. decide must never
// write into the state it was given (states are frozen here). Random configs (modes auto/recommend/off,
// per-queue tier overrides, flapping settings), random stored states (active or not, streaks, flapping
// windows), and random observation sequences with duplicates, late lines, gaps, future-dated lines and
// manual overrides that come, lapse and go (decide-arbitraries.ts).

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

describe('decideInPlace (properties)', () => {
  it('decides exactly as decide, observation after observation, and its state stands for decide’s next', () => {
    fc.assert(
      fc.property(anyConfigArb, storedStateArb, inputsArb, (config, initial, inputs) => {
        // Frozen: decide may not write into a state it was given (a working copy shares arrays with it).
        let reference = deepFreeze(initial);
        const working = workingStateOf(initial, QUEUE);
        const out = newWorkingDecision();
        for (const { observation, observedAtMs, now, overrides } of inputs) {
          const expected = decide(reference, observation, config, now, overrides);
          decideInPlace(working, { ...observation, observedAtMs }, config, now, overrides, out);

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
  observedAt: isoAt(0),
  waiting: 1,
  agentsAvailable: 2,
});
