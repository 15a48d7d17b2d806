import { planActuators } from './actuator-plan';
import { type Actuator, actuatorCovers, type SurgeConfig, type TierKey } from './config';
import { effectiveTiers, type QueueState } from './decide';
import type { Override } from './override';
import { EDGE_DEMANDER, owedEpisode } from './persistence';

// Level-triggered convergence (docs/architecture.md, "Invariants"): what every actuator's demander
// set must be, computed from the truth — the stored queue states and the overrides in force at `now` —
// with the very same `planActuators` evaluate uses. Evaluate updates demand incrementally (only the
// tiers whose effective state changed); this is the full recomputation that repairs whatever the
// incremental path got wrong (races between evaluations, crashes between writes, late retries).

/** Effective tier states of one queue at `now`: its stored automatic state with the overrides in force. */
export const effectiveTiersAt = (
  state: QueueState | undefined,
  queueId: string,
  config: SurgeConfig,
  now: number,
  overrides: readonly Override[],
): Record<TierKey, boolean> => effectiveTiers(state, queueId, config, now, overrides);

/**
 * The queues whose demand is known: every stored queue state, every configured queue, and every queue
 * a queue-specific override names (an override can switch a queue on before its first observation).
 */
export function knownQueues(
  storedQueueIds: Iterable<string>,
  config: Pick<SurgeConfig, 'queues'>,
  overrides: readonly Override[],
): string[] {
  const ids = new Set<string>(storedQueueIds);
  for (const q of config.queues) ids.add(q.id);
  for (const o of overrides) if (o.queue !== '*') ids.add(o.queue);
  return [...ids].sort();
}

/** For every tier 1–3 actuator: the sorted queue ids that must be in its demander set. */
export function plannedDemanders(
  actuators: readonly Actuator[],
  effectiveByQueue: ReadonlyMap<string, Readonly<Record<TierKey, boolean>>>,
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const a of actuators) if (a.tier !== 4) out.set(a.id, []);
  for (const [queueId, effective] of effectiveByQueue) {
    for (const d of planActuators(actuators, queueId, effective)) {
      if (d.demanding) out.get(d.actuatorId)?.push(queueId);
    }
  }
  for (const list of out.values()) list.sort();
  return out;
}

/** One atomic change to an actuator's demander set. */
export interface DemandRepair {
  readonly actuatorId: string;
  readonly queueId: string;
  readonly demanding: boolean;
}

/**
 * The changes that bring each actuator's stored demander set to the planned one, for the queues in
 * `queueIds` (the queues whose state was read). With `allQueues`, `queueIds` is every known queue and a
 * stored demander that is none of them (a queue dropped from the config and its state) is removed too.
 * The edge demander (tier 4) is never touched: it follows the origin alarm, not queue states.
 */
export function demandRepairs(
  actuators: readonly Actuator[],
  stored: ReadonlyMap<string, readonly string[]>,
  planned: ReadonlyMap<string, readonly string[]>,
  queueIds: readonly string[],
  options: { readonly allQueues: boolean },
): DemandRepair[] {
  const repairs: DemandRepair[] = [];
  const inScope = new Set(queueIds);
  for (const a of actuators) {
    const have = new Set(stored.get(a.id) ?? []);
    const want = new Set(planned.get(a.id) ?? []);
    for (const queueId of queueIds) {
      if (queueId === EDGE_DEMANDER) continue;
      const should = a.tier !== 4 && want.has(queueId);
      if (should !== have.has(queueId)) repairs.push({ actuatorId: a.id, queueId, demanding: should });
    }
    if (!options.allQueues) continue;
    for (const d of have) {
      if (d !== EDGE_DEMANDER && !inScope.has(d))
        repairs.push({ actuatorId: a.id, queueId: d, demanding: false });
    }
  }
  return repairs;
}

/** The actuators whose demand can change when these queues are re-decided (all, for `undefined`). */
export const actuatorsOfQueues = (
  actuators: readonly Actuator[],
  queueIds: readonly string[] | undefined,
): Actuator[] =>
  queueIds === undefined
    ? [...actuators]
    : actuators.filter((a) => a.tier !== 4 && queueIds.some((q) => actuatorCovers(a, q)));

/** Why an actuator is read back this tick (in the order the tick serves them). */
export type DueReason = 'pending' | 'active' | 'recent' | 'sample';

export interface DueActuator {
  readonly actuatorId: string;
  readonly why: DueReason;
}

export interface DueInput {
  readonly actuatorId: string;
  readonly desired: 'active' | 'inactive';
  readonly applied: 'active' | 'inactive' | 'unknown';
  /** Epoch ms of the last verified read-back or switch (undefined: never). */
  readonly verifiedAt?: number;
  /** Epoch ms `applied` last changed. */
  readonly appliedChangedAt?: number;
  /** The open/last episode and the one a holder staged a trigger for (owedEpisode). */
  readonly episode?: { readonly number: number };
  readonly stagedEpisode?: { readonly number: number };
}

export interface DueOptions {
  /** Levers switched this recently are read back every tick (catches a superseded holder's late write). */
  readonly recentMs: number;
  /** Inactive, settled levers read back per tick, least recently verified first (catches hand edits). */
  readonly sampleInactive: number;
  /** ...once they have gone this long without a read-back. */
  readonly sampleAfterMs: number;
}

/**
 * Which actuators to reconcile or read back now, most urgent first — the known order in which a tick
 * that runs out of time leaves the rest to the next one:
 *   1. pending — desired ≠ applied, or a staged trigger is owed its resolve (a switch is owed);
 *   2. active — applied and desired active: read back every tick (a surge lever must stay on);
 *   3. recent — switched within `recentMs`: a superseded holder's late write may still land;
 *   4. sample — a few settled inactive levers not verified for `sampleAfterMs`, least recently
 *      verified first (hand edits).
 */
export function dueActuators(records: readonly DueInput[], now: number, options: DueOptions): DueActuator[] {
  const pending: DueActuator[] = [];
  const active: DueActuator[] = [];
  const recent: DueActuator[] = [];
  const rest: DueInput[] = [];
  for (const r of records) {
    // A trigger staged by a holder that never recorded its switch is owed its resolve: a switch is owed.
    if (r.desired !== r.applied || owedEpisode(r)) pending.push({ actuatorId: r.actuatorId, why: 'pending' });
    else if (r.applied === 'active') active.push({ actuatorId: r.actuatorId, why: 'active' });
    else if (r.appliedChangedAt !== undefined && now - r.appliedChangedAt < options.recentMs)
      recent.push({ actuatorId: r.actuatorId, why: 'recent' });
    else if (r.verifiedAt === undefined || now - r.verifiedAt >= options.sampleAfterMs) rest.push(r);
  }
  rest.sort((a, b) => (a.verifiedAt ?? 0) - (b.verifiedAt ?? 0) || a.actuatorId.localeCompare(b.actuatorId));
  const sample = rest
    .slice(0, options.sampleInactive)
    .map((r) => ({ actuatorId: r.actuatorId, why: 'sample' as const }));
  return [...pending, ...active, ...recent, ...sample];
}

/**
 * The target an actuator writes: actuators sharing one (two fields of one data-table row) are never
 * switched at once, since each write replaces the whole row (read-modify-write).
 */
export function leverKey(a: Actuator): string {
  switch (a.type) {
    case 'datatable-row':
      return `datatable:${a.datatableId}/${a.rowId}`;
    case 'emergency-group':
      return `emergency-group:${a.groupId}`;
    case 'flow-publish':
      return `flow:${a.flowId}`;
    case 'cloudfront-kvs':
      return `kvs:${a.key}`;
    case 'notify-only':
      return `notify:${a.id}`;
  }
}
