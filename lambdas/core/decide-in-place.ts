import {
  DEFAULT_FLAPPING,
  type FlappingConfig,
  type SurgeConfig,
  TIER_KEYS,
  type TierConfig,
  type TierKey,
  type TierNumber,
  tierConfigsFor,
} from './config';
import type { Decision, IgnoredDecision, Transition } from './decide';
import type { QueueObservation } from './observation';
import { governingOverride, type Override } from './override';
import { Reason } from './reasons';
import { QUEUE_STATE_SCHEMA_VERSION, type QueueState, type TierState } from './state';
import { isoToMs } from './time';

// The controller's rules (docs/semantics.md, "What the controller does with an observation"), written
// once. `decideInPlace` decides over a working state that it overwrites observation after observation,
// and writes the decision into one reused object: a replay of millions of quiet observations allocates
// nothing per observation (garbage was the replay's main cost). `decide` (decide.ts), the pure function
// the Lambdas call, is this over a fresh working copy of the stored state.
// test/unit/core/decide-in-place.property.test.ts checks that one working state carried along decides
// as copying the stored state afresh at every observation does, and that decide stays pure.

/**
 * How far after the evaluating clock an observation may be dated: `futureToleranceSeconds`, by default
 * 2 × intervalSeconds (clock skew between Genesys and AWS is seconds; a day is a bug upstream).
 */
export const futureToleranceMs = (
  config: Pick<SurgeConfig, 'intervalSeconds' | 'futureToleranceSeconds'>,
): number => (config.futureToleranceSeconds ?? 2 * config.intervalSeconds) * 1000;

/** How far apart two accepted observations may be before the streaks restart (rule 3 of docs/semantics.md). */
export const GAP_FACTOR = 1.5;

/** The activate predicate: depth above, and (if configured) a known agent count below. */
export function activatePredicate(
  tier: TierConfig,
  o: Pick<QueueObservation, 'waiting' | 'agentsAvailable'>,
): boolean {
  if (!(o.waiting > tier.activate.waitingAbove)) return false;
  const below = tier.activate.agentsAvailableBelow;
  return below === undefined || below === null || (o.agentsAvailable !== null && o.agentsAvailable < below);
}

/** The restore predicate. */
export const restorePredicate = (tier: TierConfig, o: Pick<QueueObservation, 'waiting'>): boolean =>
  o.waiting < tier.restore.waitingBelow;

/** Should the tier's actuators be on: the override while in force, else the automatic state in `auto` mode. */
export function isEffective(
  tierState: { readonly status: TierState['status'] },
  tier: TierConfig,
  override: Override | undefined,
): boolean {
  if (override) return override.state === 'active';
  return tier.mode === 'auto' && tierState.status === 'active';
}

/** Has an override of this queue and tier run out by `now` (so the automatic state applies again)? */
function hasLapsedOverride(
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

/** A tier's state as the replay keeps it: overwritten in place. */
export interface WorkingTierState {
  status: 'active' | 'inactive';
  activateStreak: number;
  restoreStreak: number;
  /** The flapping window (as in TierState). Never mutated: a transition replaces it with a new array. */
  recentTransitions: readonly number[];
  /** `observedAt` of the activation while active; '' while inactive. */
  activatedAt: string;
  /** The same in epoch ms (NaN while inactive, and until first needed in a copy of a stored state). */
  activatedAtMs: number;
}

/** A queue's state as the replay keeps it (see `workingStateOf` and `queueStateOf`). */
export interface WorkingQueueState {
  readonly queueId: string;
  /** False until an observation is accepted: `decide`'s undefined state. */
  accepted: boolean;
  lastObservedAt: string;
  lastObservedAtMs: number;
  lastWaiting: number | undefined;
  lastAgentsAvailable: number | null | undefined;
  readonly tier1: WorkingTierState;
  readonly tier2: WorkingTierState;
  readonly tier3: WorkingTierState;
  readonly effective: Record<TierKey, boolean>;
  /** Its tier configs, looked up once for `tiersConfig` (a replay decides with one config throughout). */
  tiers: Readonly<Record<TierKey, TierConfig>> | undefined;
  tiersConfig: SurgeConfig | undefined;
}

/** An observation with its `observedAt` already in epoch ms (`observedAtMs === isoToMs(observedAt)`). */
export interface TimedObservation extends QueueObservation {
  readonly observedAtMs: number;
}

/**
 * One decision, overwritten by each `decideInPlace` call: the fields of a `Decision` but `next`. Its
 * lists are shared empty constants unless something goes in them, then new arrays:
 * emptying an array in place (`length = 0`) is a runtime call, and the quiet path must stay cheap.
 */
export interface WorkingDecision {
  outcome: Decision['outcome'];
  ignoredReason: IgnoredDecision['ignoredReason'] | undefined;
  transitions: readonly Transition[];
  /**
   * Per transition, when its tier's episode began: the transition's own `at` for an activation, the
   * activation's `observedAt` for a restore (a recommendation page states how long the tier was on).
   */
  episodeStarts: readonly string[];
  readonly effective: Record<TierKey, boolean>;
  effectiveChanged: readonly TierKey[];
  gap: boolean;
  flapping: readonly TierKey[];
  reasons: readonly Reason[];
}

const NONE: readonly never[] = Object.freeze([]);
const NO_TRANSITIONS: readonly number[] = NONE;
const ONLY = Object.fromEntries(Object.values(Reason).map((r) => [r, Object.freeze([r])])) as Record<
  Reason,
  readonly Reason[]
>;

export const newWorkingDecision = (): WorkingDecision => ({
  outcome: 'accepted',
  ignoredReason: undefined,
  transitions: NONE,
  episodeStarts: NONE,
  effective: { tier1: false, tier2: false, tier3: false },
  effectiveChanged: NONE,
  gap: false,
  flapping: NONE,
  reasons: NONE,
});

/** `list` with `item` appended: a new array if `list` is the shared empty one. */
function appended<T>(list: readonly T[], item: T): readonly T[] {
  const out = list === NONE ? [] : (list as T[]);
  out.push(item);
  return out;
}

function workingTierOf(tier: TierState | undefined): WorkingTierState {
  if (tier === undefined || tier.status === 'inactive') {
    return {
      status: 'inactive',
      activateStreak: tier?.activateStreak ?? 0,
      restoreStreak: tier?.restoreStreak ?? 0,
      recentTransitions: tier?.recentTransitions ?? NO_TRANSITIONS,
      activatedAt: '',
      activatedAtMs: Number.NaN,
    };
  }
  return {
    status: 'active',
    activateStreak: tier.activateStreak,
    restoreStreak: tier.restoreStreak,
    recentTransitions: tier.recentTransitions,
    activatedAt: tier.activatedAt,
    activatedAtMs: Number.NaN, // parsed when a restore first needs it
  };
}

/** A working copy of a stored state (undefined: the queue has no accepted observation yet). */
export function workingStateOf(state: QueueState | undefined, queueId: string): WorkingQueueState {
  return {
    queueId,
    accepted: state !== undefined,
    lastObservedAt: state?.lastObservedAt ?? '',
    lastObservedAtMs: state ? isoToMs(state.lastObservedAt) : Number.NaN,
    lastWaiting: state?.lastWaiting,
    lastAgentsAvailable: state?.lastAgentsAvailable,
    tier1: workingTierOf(state?.tiers.tier1),
    tier2: workingTierOf(state?.tiers.tier2),
    tier3: workingTierOf(state?.tiers.tier3),
    effective: {
      tier1: state?.effective.tier1 ?? false,
      tier2: state?.effective.tier2 ?? false,
      tier3: state?.effective.tier3 ?? false,
    },
    tiers: undefined,
    tiersConfig: undefined,
  };
}

// Object literals written out, without spreads: `decide` makes a state this way on every call, and
// spreading into a literal took most of its time. The flapping window is shared, not copied: neither
// side ever writes into it.
function tierStateOf(t: WorkingTierState): TierState {
  const { recentTransitions } = t;
  return t.status === 'active'
    ? {
        status: 'active',
        activateStreak: t.activateStreak,
        restoreStreak: t.restoreStreak,
        recentTransitions,
        activatedAt: t.activatedAt,
      }
    : {
        status: 'inactive',
        activateStreak: t.activateStreak,
        restoreStreak: t.restoreStreak,
        recentTransitions,
      };
}

/** The QueueState a working state stands for (undefined before its first accepted observation). */
export function queueStateOf(w: WorkingQueueState): QueueState | undefined {
  if (!w.accepted) return undefined;
  const tiers = { tier1: tierStateOf(w.tier1), tier2: tierStateOf(w.tier2), tier3: tierStateOf(w.tier3) };
  const effective = { tier1: w.effective.tier1, tier2: w.effective.tier2, tier3: w.effective.tier3 };
  const { lastWaiting, lastAgentsAvailable } = w;
  if (lastWaiting !== undefined && lastAgentsAvailable !== undefined) {
    return {
      schemaVersion: QUEUE_STATE_SCHEMA_VERSION,
      queueId: w.queueId,
      lastObservedAt: w.lastObservedAt,
      lastWaiting,
      lastAgentsAvailable,
      tiers,
      effective,
    };
  }
  // A stored state from before `lastWaiting` was kept, not yet observed again.
  return {
    schemaVersion: QUEUE_STATE_SCHEMA_VERSION,
    queueId: w.queueId,
    lastObservedAt: w.lastObservedAt,
    ...(lastWaiting === undefined ? {} : { lastWaiting }),
    ...(lastAgentsAvailable === undefined ? {} : { lastAgentsAvailable }),
    tiers,
    effective,
  };
}

function addReason(out: WorkingDecision, r: Reason): void {
  if (!out.reasons.includes(r)) out.reasons = appended(out.reasons, r);
}

/**
 * Decides what one observation means for its queue, written into `out`. When it is accepted `state`
 * becomes the next state; an ignored observation leaves `state` untouched. Assumes a validated
 * observation.
 */
export function decideInPlace(
  state: WorkingQueueState,
  observation: TimedObservation,
  config: SurgeConfig,
  now: number,
  overrides: readonly Override[] | undefined,
  out: WorkingDecision,
): void {
  const { queueId } = state;
  if (observation.queueId !== queueId) {
    throw new Error(
      `decide: state of queue '${queueId}' given an observation of queue '${observation.queueId}'`,
    );
  }
  const at = observation.observedAtMs;
  const last = state.lastObservedAtMs;
  const seen = state.accepted;
  out.transitions = NONE;
  out.episodeStarts = NONE;
  out.effectiveChanged = NONE;
  out.flapping = NONE;
  out.reasons = NONE;
  let tiers = state.tiers;
  if (tiers === undefined || state.tiersConfig !== config) {
    tiers = tierConfigsFor(config, queueId);
    state.tiers = tiers;
    state.tiersConfig = config;
  }

  // Dated too far after the evaluating clock → rejected: accepting it would make every later real
  // observation "out-of-order" and freeze the queue. Rule 2: at-or-before the last accepted
  // observation → ignored. Either way the state is left untouched.
  const futureDated = at - now > futureToleranceMs(config);
  if (futureDated || (seen && at <= last)) {
    const reason = futureDated ? Reason.FUTURE_DATED : at === last ? Reason.DUPLICATE : Reason.OUT_OF_ORDER;
    out.outcome = 'ignored';
    out.ignoredReason = reason;
    out.gap = false;
    out.reasons = ONLY[reason];
    // A rare path (repeats, late lines): a loop is cheap enough here.
    for (let i = 0; i < 3; i++) {
      const key = TIER_KEYS[i] as TierKey;
      out.effective[key] = isEffective(
        state[key],
        tiers[key],
        governingOverride(overrides, queueId, (i + 1) as TierNumber, now),
      );
    }
    return;
  }

  out.outcome = 'accepted';
  out.ignoredReason = undefined;
  if (!seen) addReason(out, Reason.FIRST_OBSERVATION);
  // Rule 3: a gap restarts every streak before this observation counts (missing data is not "quiet").
  const gap = seen && at - last > GAP_FACTOR * config.intervalSeconds * 1000;
  out.gap = gap;
  if (gap) addReason(out, Reason.GAP);
  const flapping = config.flapping ?? DEFAULT_FLAPPING;
  const { effective } = state;
  // The three tiers one after the other, with their properties named: a loop over TIER_KEYS reads and
  // writes each tier's records through a computed key, which made the replay 1.5–2× slower in CPU
  // (parse included, bench/replay.bench.ts's 1M-line trace, 2026-12-01). Each tier reads only its own
  // `effective` entry, so each is overwritten as soon as it is stepped.
  effective.tier1 = stepTier(
    out,
    state.tier1,
    'tier1',
    1,
    tiers.tier1,
    effective.tier1,
    observation,
    gap,
    flapping,
    overrides,
    now,
  );
  effective.tier2 = stepTier(
    out,
    state.tier2,
    'tier2',
    2,
    tiers.tier2,
    effective.tier2,
    observation,
    gap,
    flapping,
    overrides,
    now,
  );
  effective.tier3 = stepTier(
    out,
    state.tier3,
    'tier3',
    3,
    tiers.tier3,
    effective.tier3,
    observation,
    gap,
    flapping,
    overrides,
    now,
  );
  out.effective.tier1 = effective.tier1;
  out.effective.tier2 = effective.tier2;
  out.effective.tier3 = effective.tier3;
  state.accepted = true;
  state.lastObservedAt = observation.observedAt;
  state.lastObservedAtMs = at;
  state.lastWaiting = observation.waiting;
  state.lastAgentsAvailable = observation.agentsAvailable;
  if (out.reasons === NONE) out.reasons = ONLY[Reason.STEADY];
}

// No closures in stepTier: a variable a closure captures lives in a context object allocated on every
// call, even when the closure is never created (that was most of this module's garbage).

/** The transition times within `windowMs` before `at`. */
function recentAt(times: readonly number[], at: number, windowMs: number): number[] {
  const out: number[] = [];
  for (const t of times) if (at - t < windowMs) out.push(t);
  return out;
}

function hasTransitionOf(transitions: readonly Transition[], tier: TierNumber): boolean {
  for (const t of transitions) if (t.tier === tier) return true;
  return false;
}

/** One tier of a decision : updates `t` and returns the tier's effective state. */
function stepTier(
  out: WorkingDecision,
  t: WorkingTierState,
  key: TierKey,
  number: TierNumber,
  tier: TierConfig,
  before: boolean,
  observation: TimedObservation,
  gap: boolean,
  flapping: FlappingConfig,
  overrides: readonly Override[] | undefined,
  now: number,
): boolean {
  const { queueId, observedAt } = observation;
  const at = observation.observedAtMs;
  if (tier.mode === 'off') {
    // Not evaluated. Its state is forgotten so that turning it back on starts from a clean count.
    if (t.status === 'active' || t.activateStreak > 0 || t.restoreStreak > 0) {
      addReason(out, Reason.TIER_OFF);
    }
    t.status = 'inactive';
    t.activateStreak = 0;
    t.restoreStreak = 0;
    t.recentTransitions = NO_TRANSITIONS;
    t.activatedAt = '';
    t.activatedAtMs = Number.NaN;
  } else {
    const activateOk = activatePredicate(tier, observation);
    const base = gap ? 0 : 1;
    const activateStreak = activateOk ? t.activateStreak * base + 1 : 0;
    const restoreStreak = restorePredicate(tier, observation) ? t.restoreStreak * base + 1 : 0;
    t.activateStreak = activateStreak;
    t.restoreStreak = restoreStreak;
    if (
      !activateOk &&
      observation.agentsAvailable === null &&
      tier.activate.agentsAvailableBelow != null &&
      observation.waiting > tier.activate.waitingAbove
    ) {
      addReason(out, Reason.AGENTS_UNKNOWN);
    }

    let action: Transition['action'] | undefined;
    if (t.status === 'inactive' && activateStreak >= tier.activate.forObservations) {
      action = 'activate';
    } else if (t.status === 'active' && restoreStreak >= tier.restore.forObservations) {
      if (Number.isNaN(t.activatedAtMs)) t.activatedAtMs = isoToMs(t.activatedAt);
      if (at - t.activatedAtMs >= tier.minActiveSeconds * 1000) action = 'restore';
      else addReason(out, Reason.MIN_ACTIVE_HOLD);
    }

    if (action) {
      const window = recentAt(t.recentTransitions, at, flapping.windowSeconds * 1000);
      window.push(at);
      const reachesFlapping = window.length === flapping.transitions;
      if (window.length > flapping.transitions) window.splice(0, window.length - flapping.transitions);
      t.recentTransitions = window;
      let episodeStart: string;
      if (action === 'activate') {
        t.status = 'active';
        t.activatedAt = observedAt;
        t.activatedAtMs = at;
        episodeStart = observedAt;
      } else {
        episodeStart = t.activatedAt;
        t.status = 'inactive';
        t.activatedAt = '';
        t.activatedAtMs = Number.NaN;
      }
      const reason = action === 'activate' ? Reason.ACTIVATE_THRESHOLD : Reason.RESTORE_THRESHOLD;
      addReason(out, reason);
      if (tier.mode === 'recommend') addReason(out, Reason.RECOMMENDATION);
      if (reachesFlapping) {
        out.flapping = appended(out.flapping, key);
        addReason(out, Reason.FLAPPING);
      }
      out.transitions = appended<Transition>(out.transitions, {
        at: observedAt,
        queueId,
        tier: number,
        action,
        mode: tier.mode,
        reason,
        overridden: governingOverride(overrides, queueId, number, now) !== undefined,
      });
      out.episodeStarts = appended(out.episodeStarts, episodeStart);
    }
  }

  const override = governingOverride(overrides, queueId, number, now);
  const effective = isEffective(t, tier, override);
  if (override) {
    addReason(out, override.state === 'active' ? Reason.OVERRIDE_ACTIVE : Reason.OVERRIDE_INACTIVE);
  }
  if (effective !== before) {
    out.effectiveChanged = appended(out.effectiveChanged, key);
    // The effective state moved without a transition or override of its own: an override just lapsed.
    if (
      !override &&
      !hasTransitionOf(out.transitions, number) &&
      hasLapsedOverride(overrides, queueId, number, now)
    ) {
      addReason(out, Reason.OVERRIDE_EXPIRED);
    }
  }
  return effective;
}
