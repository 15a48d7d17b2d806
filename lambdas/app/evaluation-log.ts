import { type SurgeConfig, TIER_KEYS, type TierKey, tierConfigsFor } from '../core/config';
import { Reason } from '../core/reasons';
import type { EvaluationResult } from './evaluate-observation';

// What evaluate writes to its log per chunk (docs/cost.md#logs). A quiet queue costs no log line: one
// summary line per chunk counts it, and names the deepest queues. A queue gets its own line only while
// something is happening to it, and once more on its first quiet minute, so its last line in the logs
// is never older news than "below the restore level since then" (the dashboard's per-queue table reads
// the latest line of each queue: lib/surge-monitoring.ts).

/** The `message` of each evaluate log line the dashboard's Logs Insights widgets read. */
export const EvaluationLogMessage = {
  /** One queue that is not quiet (see isQuiet). */
  Queue: 'queue evaluated',
  /** One per evaluated chunk (or single-queue event). */
  Chunk: 'chunk evaluated',
  /** An out-of-order or future-dated observation (duplicates are only counted in the chunk line). */
  Ignored: 'observation ignored',
} as const;

/** Queues named in the chunk line's `worst` list. */
export const WORST_QUEUES_LOGGED = 3;

/** The per-queue line's fields: flat scalars, so Logs Insights reads each as a field. */
export interface QueueLogLine {
  readonly queueId: string;
  readonly observedAt: string;
  readonly waiting: number;
  /** `unknown` when Genesys did not say (Powertools drops null and empty fields from its lines). */
  readonly agentsAvailable: number | 'unknown';
  /** Effective (actuators should be on) per tier. */
  readonly tier1: boolean;
  readonly tier2: boolean;
  readonly tier3: boolean;
  /** The decision's reasons, comma-separated (`steady` when nothing else applies). */
  readonly reasons: string;
  /** Activation streaks running on inactive tiers, e.g. `tier1 3/10, tier2 1/3`; `-` when none. */
  readonly activating: string;
}

/** The chunk line's fields. */
export interface ChunkLogLine {
  /** Observations in the chunk. */
  readonly queues: number;
  /** Accepted observations with nothing happening (no line of their own). */
  readonly quiet: number;
  /** Duplicates (a redelivered event): ignored, state unchanged, no line of their own. */
  readonly duplicates: number;
  /** Out-of-order and future-dated observations (each has an `observation ignored` line). */
  readonly ignored: number;
  /** Queues whose tier N is effective after this chunk. */
  readonly tier1: number;
  readonly tier2: number;
  readonly tier3: number;
  /** The deepest queue of the chunk and its `waiting` (absent when nothing was accepted). */
  readonly deepest?: string;
  readonly deepestWaiting?: number;
  /** The WORST_QUEUES_LOGGED deepest queues, `id waiting/agents`, deepest first. */
  readonly worst?: string;
}

/**
 * Is nothing happening to this queue (so it needs no log line of its own)? All of:
 * - the observation was accepted, and its decision says nothing but `steady` (no transition, gap,
 *   first observation, lapsed or forcing-active override, tier switched off, agents unknown, hold);
 * - no tier is effective, none is active by the controller's own decision (a `recommend` tier
 *   included), and no activation streak runs;
 * - `waiting` has been below the lowest restore level of the enabled tiers for at least 2 observations
 *   in a row (the tier's restore streak), so the minute a queue falls below it is still logged.
 * An override holding a quiet queue's tier inactive adds nothing on-call needs each minute: it is
 * logged when it changes what is effective (`effectiveChanged`), and listed by `cx-surge override list`.
 */
export function isQuiet(result: EvaluationResult, config: SurgeConfig): boolean {
  const d = result.decision;
  if (d.outcome !== 'accepted') return false;
  if (d.transitions.length > 0 || d.effectiveChanged.length > 0) return false;
  if (d.reasons.some((r) => r !== Reason.STEADY && r !== Reason.OVERRIDE_INACTIVE)) return false;
  const tiers = tierConfigsFor(config, result.observation.queueId);
  let lowest: TierKey | undefined;
  for (const key of TIER_KEYS) {
    if (d.effective[key]) return false;
    const state = d.next.tiers[key];
    if (state.status === 'active' || state.activateStreak > 0) return false;
    const tier = tiers[key];
    if (tier.mode === 'off' || tier.restore.waitingBelow === 0) continue;
    if (lowest === undefined || tier.restore.waitingBelow < tiers[lowest].restore.waitingBelow) lowest = key;
  }
  return lowest === undefined || d.next.tiers[lowest].restoreStreak >= 2;
}

/** The per-queue line of a queue that is not quiet. */
export function queueLogLine(result: EvaluationResult, config: SurgeConfig): QueueLogLine {
  const { observation: o, decision: d } = result;
  const tiers = tierConfigsFor(config, o.queueId);
  const activating = TIER_KEYS.flatMap((key) => {
    const state = d.next?.tiers[key];
    if (!state || state.status === 'active' || state.activateStreak === 0) return [];
    return [`${key} ${state.activateStreak}/${tiers[key].activate.forObservations}`];
  }).join(', ');
  // Every field on every line: Logs Insights' latest(f) then always reads this line's value.
  return {
    queueId: o.queueId,
    observedAt: o.observedAt,
    waiting: o.waiting,
    agentsAvailable: o.agentsAvailable ?? 'unknown',
    tier1: d.effective.tier1,
    tier2: d.effective.tier2,
    tier3: d.effective.tier3,
    reasons: d.reasons.join(','),
    activating: activating || '-',
  };
}

/** The chunk line: counts, tiers effective, and the deepest queues of the chunk. */
export function chunkLogLine(results: readonly EvaluationResult[], quiet: number): ChunkLogLine {
  let duplicates = 0;
  let ignored = 0;
  const counts = { tier1: 0, tier2: 0, tier3: 0 };
  const accepted: EvaluationResult[] = [];
  for (const r of results) {
    if (r.decision.outcome === 'ignored') {
      if (r.decision.ignoredReason === Reason.DUPLICATE) duplicates++;
      else ignored++;
      continue;
    }
    accepted.push(r);
    for (const key of TIER_KEYS) if (r.decision.effective[key]) counts[key]++;
  }
  const worst = accepted
    .map((r) => r.observation)
    .sort((a, b) => b.waiting - a.waiting)
    .slice(0, WORST_QUEUES_LOGGED);
  const deepest = worst[0];
  return {
    queues: results.length,
    quiet,
    duplicates,
    ignored,
    ...counts,
    ...(deepest
      ? {
          deepest: deepest.queueId,
          deepestWaiting: deepest.waiting,
          worst: worst.map((o) => `${o.queueId} ${o.waiting}/${o.agentsAvailable ?? '?'}`).join(', '),
        }
      : {}),
  };
}
