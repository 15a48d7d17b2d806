import * as z from 'zod';
import type { TierKey } from './config';
import { StateError } from './errors';
import { lazySchema } from './lazy-schema';

// A queue's persisted decision state: plain, JSON-safe data (one DynamoDB item per queue).
// Each tier is a small discriminated union: an inactive tier has no activation time; an active one
// has exactly one. Streaks live on both because they are counted whatever the tier's state (§4).

export const QUEUE_STATE_SCHEMA_VERSION = 1 as const;

interface TierStateBase {
  /** Consecutive accepted observations satisfying the activate predicate. */
  readonly activateStreak: number;
  /** Consecutive accepted observations satisfying the restore predicate. */
  readonly restoreStreak: number;
  /** `observedAt` (epoch ms) of this tier's recent transitions, oldest first: the flapping detector's window. */
  readonly recentTransitions: readonly number[];
}

export interface InactiveTierState extends TierStateBase {
  readonly status: 'inactive';
}

export interface ActiveTierState extends TierStateBase {
  readonly status: 'active';
  /** `observedAt` of the observation that activated the tier (ISO-8601 UTC). */
  readonly activatedAt: string;
}

/** The automatic state of one tier (what the controller decided, before overrides). */
export type TierState = InactiveTierState | ActiveTierState;

export interface QueueState {
  readonly schemaVersion: typeof QUEUE_STATE_SCHEMA_VERSION;
  readonly queueId: string;
  /** `observedAt` of the last accepted observation (ISO-8601 UTC). */
  readonly lastObservedAt: string;
  /** Its `waiting` and `agentsAvailable`, for `cx-surge status` (absent in states written before they were kept). */
  readonly lastWaiting?: number;
  readonly lastAgentsAvailable?: number | null;
  readonly tiers: Readonly<Record<TierKey, TierState>>;
  /**
   * Whether each tier was effectively active (automatic state, mode and overrides combined) after the
   * last accepted observation; `decide` diffs against it to report `effectiveChanged`.
   */
  readonly effective: Readonly<Record<TierKey, boolean>>;
}

// ── Verbs ─────────────────────────────────────────────────────────────────────────────────────

export const INITIAL_TIER_STATE: InactiveTierState = Object.freeze({
  status: 'inactive',
  activateStreak: 0,
  restoreStreak: 0,
  recentTransitions: Object.freeze([]) as readonly number[],
});

/** Is the tier active by the controller's own decision (ignoring mode and overrides)? */
export const isActive = (tier: TierState): tier is ActiveTierState => tier.status === 'active';

// ── Hydration (safe restore of stored JSON) ─────────────────────────────────────────────────

// Built on first hydration (lazySchema), not when the module loads.
const QueueStateSchema = lazySchema(() => {
  const streak = z.number().int('must be an integer').nonnegative('must be ≥ 0');
  const isoUtc = z.iso.datetime({ offset: false, message: 'must be an ISO-8601 UTC timestamp (…Z)' });
  const base = {
    activateStreak: streak,
    restoreStreak: streak,
    // Older items may lack the window: an empty window only delays a flapping page, never a switch.
    recentTransitions: z.array(z.number().int().nonnegative()).default([]),
  };
  const TierStateSchema = z.discriminatedUnion('status', [
    z.object({ status: z.literal('inactive'), ...base }),
    z.object({ status: z.literal('active'), activatedAt: isoUtc, ...base }),
  ]);
  return z.object({
    schemaVersion: z.literal(QUEUE_STATE_SCHEMA_VERSION, {
      message: `must be ${QUEUE_STATE_SCHEMA_VERSION} (written by a different version of the controller)`,
    }),
    queueId: z.string().min(1, 'must be a non-empty string'),
    lastObservedAt: isoUtc,
    lastWaiting: streak.optional(),
    lastAgentsAvailable: streak.nullable().optional(),
    tiers: z.object({ tier1: TierStateSchema, tier2: TierStateSchema, tier3: TierStateSchema }),
    effective: z.object({ tier1: z.boolean(), tier2: z.boolean(), tier3: z.boolean() }),
  });
});

/**
 * Restores a state from its stored JSON. Validates every field and throws `StateError` naming the first
 * bad one rather than guessing: a guessed "inactive" could switch a surge tier off in the middle of a surge.
 * Unknown extra keys are dropped, so the result is exactly this version's shape.
 */
export function hydrateQueueState(json: unknown): QueueState {
  const parsed = QueueStateSchema().safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map(String).join('.') || 'state';
    throw new StateError(field, issue?.message ?? 'invalid');
  }
  return parsed.data;
}
