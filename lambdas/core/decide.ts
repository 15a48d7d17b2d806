import {
  DEFAULT_FLAPPING,
  type SurgeConfig,
  TIER_KEYS,
  type TierConfig,
  type TierKey,
  type TierMode,
  type TierNumber,
  tierConfigsFor,
  tierNumber,
} from './config';
import type { QueueObservation } from './observation';
import { governingOverride, type Override } from './override';
import { Reason } from './reasons';
import {
  activateTier,
  INITIAL_TIER_STATE,
  QUEUE_STATE_SCHEMA_VERSION,
  type QueueState,
  restoreTier,
  type TierState,
  withStreaks,
} from './state';
import { isoToMs } from './time';

export type { Override } from './override';
export { OverrideSchema } from './override';
export type { QueueState, TierState } from './state';
export { hydrateQueueState } from './state';

// The decision core (docs/semantics.md): one pure function from (state, observation, config, now,
// overrides) to a decision. No clock reads, no I/O: `now` is only used for override expiry, every
// other time comes from the observation itself, so a replay decides exactly as the live system did.

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

/**
 * How far after the evaluating clock an observation may be dated: `futureToleranceSeconds`, by default
 * 2 × intervalSeconds (clock skew between Genesys and AWS is seconds; a day is a bug upstream).
 */
export const futureToleranceMs = (
  config: Pick<SurgeConfig, 'intervalSeconds' | 'futureToleranceSeconds'>,
): number => (config.futureToleranceSeconds ?? 2 * config.intervalSeconds) * 1000;

/** How far apart two accepted observations may be before the streaks restart (§4 rule 3). */
export const GAP_FACTOR = 1.5;

// Most decisions switch nothing: their lists are shared frozen constants, and lists are only allocated
// when something goes in them (a replay decides millions of observations; garbage is its main cost).
const NONE: readonly never[] = Object.freeze([]);
const ONLY = Object.fromEntries(Object.values(Reason).map((r) => [r, Object.freeze([r])])) as Record<
  Reason,
  readonly Reason[]
>;

function withReason(reasons: Reason[] | undefined, r: Reason): Reason[] {
  if (!reasons) return [r];
  if (!reasons.includes(r)) reasons.push(r);
  return reasons;
}

/** The activate predicate of §4: depth above, and (if configured) a known agent count below. */
export function activatePredicate(
  tier: TierConfig,
  o: Pick<QueueObservation, 'waiting' | 'agentsAvailable'>,
): boolean {
  if (!(o.waiting > tier.activate.waitingAbove)) return false;
  const below = tier.activate.agentsAvailableBelow;
  return below === undefined || below === null || (o.agentsAvailable !== null && o.agentsAvailable < below);
}

/** The restore predicate of §4. */
export const restorePredicate = (tier: TierConfig, o: Pick<QueueObservation, 'waiting'>): boolean =>
  o.waiting < tier.restore.waitingBelow;

function effectiveOf(tierState: TierState, tier: TierConfig, override: Override | undefined): boolean {
  if (override) return override.state === 'active';
  return tier.mode === 'auto' && tierState.status === 'active';
}

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
    out[key] = effectiveOf(state?.tiers[key] ?? INITIAL_TIER_STATE, tiers[key], override);
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

/** Decides what one observation means for its queue. Pure; assumes a validated observation. */
export function decide(
  state: QueueState | undefined,
  observation: QueueObservation,
  config: SurgeConfig,
  now: number,
  overrides?: readonly Override[],
): Decision {
  const { queueId, observedAt } = observation;
  if (state && state.queueId !== queueId) {
    throw new Error(`decide: state of queue '${state.queueId}' given an observation of queue '${queueId}'`);
  }
  const at = isoToMs(observedAt);
  const last = state ? isoToMs(state.lastObservedAt) : Number.NaN;

  // Dated too far after the evaluating clock → rejected. Accepting it would make every later real
  // observation "out-of-order" and freeze the queue; the state object is returned untouched.
  const futureDated = at - now > futureToleranceMs(config);
  // Rule 2: at-or-before the last accepted observation → ignored; the state object is returned untouched.
  if (futureDated || (state && at <= last)) {
    const ignoredReason = futureDated
      ? Reason.FUTURE_DATED
      : at === last
        ? Reason.DUPLICATE
        : Reason.OUT_OF_ORDER;
    return {
      next: state,
      outcome: 'ignored',
      ignoredReason,
      transitions: NONE,
      effective: effectiveTiers(state, queueId, config, now, overrides),
      effectiveChanged: NONE,
      gap: false,
      flapping: NONE,
      reasons: ONLY[ignoredReason],
    };
  }

  let reasons: Reason[] | undefined;
  if (!state) reasons = withReason(reasons, Reason.FIRST_OBSERVATION);
  // Rule 3: a gap restarts every streak before this observation counts (missing data is not "quiet").
  const gap = state !== undefined && at - last > GAP_FACTOR * config.intervalSeconds * 1000;
  if (gap) reasons = withReason(reasons, Reason.GAP);

  const tierConfigs = tierConfigsFor(config, queueId);
  const flappingConfig = config.flapping ?? DEFAULT_FLAPPING;
  const d: TierSteps = {
    observation,
    at,
    gap,
    flappingConfig,
    overrides,
    now,
    reasons,
    transitions: undefined,
    flapping: undefined,
    effectiveChanged: undefined,
    effective: false,
  };
  // The three tiers one after the other, with their properties named: a loop over TIER_KEYS read and
  // wrote every tier record through a computed key, the replay's hottest lines (bench/replay.bench.ts).
  const tier1 = stepTier(
    d,
    'tier1',
    1,
    tierConfigs.tier1,
    state ? state.tiers.tier1 : INITIAL_TIER_STATE,
    state ? state.effective.tier1 : false,
  );
  const effective1 = d.effective;
  const tier2 = stepTier(
    d,
    'tier2',
    2,
    tierConfigs.tier2,
    state ? state.tiers.tier2 : INITIAL_TIER_STATE,
    state ? state.effective.tier2 : false,
  );
  const effective2 = d.effective;
  const tier3 = stepTier(
    d,
    'tier3',
    3,
    tierConfigs.tier3,
    state ? state.tiers.tier3 : INITIAL_TIER_STATE,
    state ? state.effective.tier3 : false,
  );
  const effective: Record<TierKey, boolean> = { tier1: effective1, tier2: effective2, tier3: d.effective };
  const nextTiers: Record<TierKey, TierState> = { tier1, tier2, tier3 };
  const { transitions, flapping, effectiveChanged } = d;
  reasons = d.reasons;

  return {
    // `effective` is shared by the decision and the next state: both are read-only by contract.
    next: {
      schemaVersion: QUEUE_STATE_SCHEMA_VERSION,
      queueId,
      lastObservedAt: observedAt,
      lastWaiting: observation.waiting,
      lastAgentsAvailable: observation.agentsAvailable,
      tiers: nextTiers,
      effective,
    },
    outcome: 'accepted',
    transitions: transitions ?? NONE,
    effective,
    effectiveChanged: effectiveChanged ?? NONE,
    gap,
    flapping: flapping ?? NONE,
    reasons: reasons ?? ONLY[Reason.STEADY],
  };
}

/** What one decision accumulates over its tiers (one object per decide call). */
interface TierSteps {
  readonly observation: QueueObservation;
  readonly at: number;
  readonly gap: boolean;
  readonly flappingConfig: { readonly windowSeconds: number; readonly transitions: number };
  readonly overrides: readonly Override[] | undefined;
  readonly now: number;
  reasons: Reason[] | undefined;
  transitions: Transition[] | undefined;
  flapping: TierKey[] | undefined;
  effectiveChanged: TierKey[] | undefined;
  /** The effective state of the tier last stepped. */
  effective: boolean;
}

/** One tier of a decision (§4 rules 3–6): its next state; its effective state goes to `d.effective`. */
function stepTier(
  d: TierSteps,
  key: TierKey,
  number: TierNumber,
  tier: TierConfig,
  prev: TierState,
  before: boolean,
): TierState {
  const { observation, at, overrides, now } = d;
  const { queueId, observedAt } = observation;
  let next: TierState;

  if (tier.mode === 'off') {
    // Not evaluated. Its state is forgotten so that turning it back on starts from a clean count.
    next = INITIAL_TIER_STATE;
    if (prev.status === 'active' || prev.activateStreak > 0 || prev.restoreStreak > 0) {
      d.reasons = withReason(d.reasons, Reason.TIER_OFF);
    }
  } else {
    const activateOk = activatePredicate(tier, observation);
    const restoreOk = restorePredicate(tier, observation);
    const base = d.gap ? 0 : 1; // multiplier: a gap zeroes the carried-over streaks
    const activateStreak = activateOk ? prev.activateStreak * base + 1 : 0;
    const restoreStreak = restoreOk ? prev.restoreStreak * base + 1 : 0;
    if (
      !activateOk &&
      observation.agentsAvailable === null &&
      tier.activate.agentsAvailableBelow != null &&
      observation.waiting > tier.activate.waitingAbove
    ) {
      d.reasons = withReason(d.reasons, Reason.AGENTS_UNKNOWN);
    }
    next = withStreaks(prev, activateStreak, restoreStreak);

    let action: Transition['action'] | undefined;
    if (next.status === 'inactive' && activateStreak >= tier.activate.forObservations) {
      action = 'activate';
    } else if (next.status === 'active' && restoreStreak >= tier.restore.forObservations) {
      if (at - isoToMs(next.activatedAt) >= tier.minActiveSeconds * 1000) action = 'restore';
      else d.reasons = withReason(d.reasons, Reason.MIN_ACTIVE_HOLD);
    }

    if (action) {
      const windowMs = d.flappingConfig.windowSeconds * 1000;
      const window = next.recentTransitions.filter((t) => at - t < windowMs);
      window.push(at);
      // Flag the transition that REACHES the threshold: one flapping signal per burst, not one per switch.
      const reachesFlapping = window.length === d.flappingConfig.transitions;
      // Only the newest `transitions` timestamps can matter to the detector: bound the stored window.
      if (window.length > d.flappingConfig.transitions)
        window.splice(0, window.length - d.flappingConfig.transitions);
      next = action === 'activate' ? activateTier(next, observedAt, window) : restoreTier(next, window);
      const reason = action === 'activate' ? Reason.ACTIVATE_THRESHOLD : Reason.RESTORE_THRESHOLD;
      d.reasons = withReason(d.reasons, reason);
      if (tier.mode === 'recommend') d.reasons = withReason(d.reasons, Reason.RECOMMENDATION);
      if (reachesFlapping) {
        d.flapping ??= [];
        d.flapping.push(key);
        d.reasons = withReason(d.reasons, Reason.FLAPPING);
      }
      d.transitions ??= [];
      d.transitions.push({
        at: observedAt,
        queueId,
        tier: number,
        action,
        mode: tier.mode,
        reason,
        overridden: governingOverride(overrides, queueId, number, now) !== undefined,
      });
    }
  }

  const override = governingOverride(overrides, queueId, number, now);
  const effective = effectiveOf(next, tier, override);
  d.effective = effective;
  if (override) {
    d.reasons = withReason(
      d.reasons,
      override.state === 'active' ? Reason.OVERRIDE_ACTIVE : Reason.OVERRIDE_INACTIVE,
    );
  }
  if (effective !== before) {
    d.effectiveChanged ??= [];
    d.effectiveChanged.push(key);
    // The effective state moved without a transition or override of its own: an override just lapsed.
    if (
      !override &&
      !d.transitions?.some((t) => t.tier === number) &&
      hasLapsedOverride(overrides, queueId, number, now)
    ) {
      d.reasons = withReason(d.reasons, Reason.OVERRIDE_EXPIRED);
    }
  }
  return next;
}

export function hasLapsedOverride(
  overrides: readonly Override[] | undefined,
  queueId: string,
  tier: TierNumber,
  now: number,
): boolean {
  return (overrides ?? []).some(
    (o) =>
      o.tier === tier &&
      (o.queue === queueId || o.queue === '*') &&
      o.until !== undefined &&
      now >= Date.parse(o.until),
  );
}
