import type { SurgeConfig, TierKey, TierMode, TierNumber } from './config';
import { TIER_KEYS, tierConfigsFor, tierNumber } from './config';
import {
  decideInPlace,
  isEffective,
  newWorkingDecision,
  queueStateOf,
  workingStateOf,
} from './decide-in-place';
import type { QueueObservation } from './observation';
import { governingOverride, type Override } from './override';
import type { Reason } from './reasons';
import { INITIAL_TIER_STATE, type QueueState } from './state';
import { isoToMs } from './time';

export {
  activatePredicate,
  futureToleranceMs,
  GAP_FACTOR,
  restorePredicate,
} from './decide-in-place';
export type { Override } from './override';
export { OverrideSchema } from './override';
export type { QueueState, TierState } from './state';
export { hydrateQueueState } from './state';

// The decision core (docs/semantics.md): one pure function from (state, observation, config, now,
// overrides) to a decision. No clock reads, no I/O: `now` is only used for override expiry, every
// other time comes from the observation itself, so a replay decides exactly as the live system did.
// The rules themselves are written once, in decide-in-place.ts; `decide` applies them to a copy.

/** One tier switching, by the controller's own rules (overrides do not create transitions). */
export interface Transition {
  /** The `observedAt` of the observation that completed the streak. */
  readonly at: string;
  readonly queueId: string;
  readonly tier: TierNumber;
  readonly action: 'activate' | 'restore';
  /** `recommend`: paged as a recommendation only; nothing is switched unless an operator overrides. */
  readonly mode: Exclude<TierMode, 'off'>;
  readonly reason: typeof Reason.ACTIVATE_THRESHOLD | typeof Reason.RESTORE_THRESHOLD;
  /** True if a manual override governed the tier at the time, so the transition changed nothing effective. */
  readonly overridden: boolean;
}

interface DecisionBase {
  readonly transitions: readonly Transition[];
  /** Per tier: should its actuators be on for this queue? Auto state, or the override while in force. */
  readonly effective: Readonly<Record<TierKey, boolean>>;
  /** Tiers whose `effective` differs from the last accepted decision's (always empty when ignored). */
  readonly effectiveChanged: readonly TierKey[];
  /** True if a gap reset every streak before this observation counted. */
  readonly gap: boolean;
  /** Tiers whose transition on this observation brought them to the flapping threshold (once per burst). */
  readonly flapping: readonly TierKey[];
  /** Why, from the catalogue; never empty (`steady` when nothing else applies). */
  readonly reasons: readonly Reason[];
}

export interface AcceptedDecision extends DecisionBase {
  readonly outcome: 'accepted';
  /** The state to store. */
  readonly next: QueueState;
  readonly ignoredReason?: undefined;
}

export interface IgnoredDecision extends DecisionBase {
  readonly outcome: 'ignored';
  /** The very same object as the input state (undefined for a rejected first observation): nothing to store. */
  readonly next: QueueState | undefined;
  readonly ignoredReason: typeof Reason.DUPLICATE | typeof Reason.OUT_OF_ORDER | typeof Reason.FUTURE_DATED;
}

export type Decision = AcceptedDecision | IgnoredDecision;

/** Effective tier states of a stored queue state at `now` (e.g. to reconcile after an override changed). */
export function effectiveTiers(
  state: QueueState | undefined,
  queueId: string,
  config: SurgeConfig,
  now: number,
  overrides?: readonly Override[],
): Record<TierKey, boolean> {
  const tiers = tierConfigsFor(config, queueId);
  const out = { tier1: false, tier2: false, tier3: false };
  for (const key of TIER_KEYS) {
    const override = governingOverride(overrides, queueId, tierNumber(key), now);
    out[key] = isEffective(state?.tiers[key] ?? INITIAL_TIER_STATE, tiers[key], override);
  }
  return out;
}

/**
 * Has the queue gone without an accepted observation for `staleAfterSeconds`? (Tiers are then held:
 * missing data never restores a tier. The app layer pages `stale-observations`.) Never stale before
 * its first observation: there is nothing to hold.
 */
export function isStale(state: QueueState | undefined, now: number, config: SurgeConfig): boolean {
  if (!state) return false;
  return now - isoToMs(state.lastObservedAt) >= config.staleAfterSeconds * 1000;
}

/**
 * Decides what one observation means for its queue. Pure: `state` is copied, never written, and an
 * ignored observation returns the very same object as its `next`. Assumes a validated observation.
 */
export function decide(
  state: QueueState | undefined,
  observation: QueueObservation,
  config: SurgeConfig,
  now: number,
  overrides?: readonly Override[],
): Decision {
  const working = workingStateOf(state, state ? state.queueId : observation.queueId);
  const out = newWorkingDecision();
  decideInPlace(
    working,
    {
      queueId: observation.queueId,
      observedAt: observation.observedAt,
      observedAtMs: isoToMs(observation.observedAt),
      waiting: observation.waiting,
      agentsAvailable: observation.agentsAvailable,
    },
    config,
    now,
    overrides,
    out,
  );
  const { transitions, effectiveChanged, gap, flapping, reasons } = out;
  if (out.outcome === 'ignored') {
    return {
      next: state,
      outcome: 'ignored',
      ignoredReason: out.ignoredReason as IgnoredDecision['ignoredReason'], // set with outcome 'ignored'
      transitions,
      effective: out.effective,
      effectiveChanged,
      gap,
      flapping,
      reasons,
    };
  }
  const next = queueStateOf(working) as QueueState;
  // `effective` is shared by the decision and the next state: both are read-only by contract.
  return {
    next,
    outcome: 'accepted',
    transitions,
    effective: next.effective,
    effectiveChanged,
    gap,
    flapping,
    reasons,
  };
}
