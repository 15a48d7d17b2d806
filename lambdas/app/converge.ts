import type { TierKey } from '../core/config';
import {
  actuatorsOfQueues,
  type DemandRepair,
  demandRepairs,
  dueActuators,
  effectiveTiersAt,
  knownQueues,
  plannedDemanders,
} from '../core/convergence';
import { hydrateQueueState, type QueueState } from '../core/decide';
import { factsOfState } from '../core/pages';
import type { ActuatorRecord, StoredQueueState } from '../core/persistence';
import type { Page } from '../core/ports';
import {
  type ControllerDeps,
  DEMAND_REPAIR_GRACE_MS,
  errorMessage,
  invocationDeadline,
  RECENT_SWITCH_MS,
  SAMPLE_INACTIVE_AFTER_MS,
  SAMPLE_INACTIVE_PER_TICK,
} from './deps';
import { type ReconcileResult, reconcileMany } from './reconcile';
import { StagedPages } from './staged-pages';

// Convergence from the truth (docs/architecture.md, "Invariants"). Evaluate keeps demand up to date
// incrementally; this recomputes it from every stored queue state and the overrides in force now,
// repairs what disagrees, and then reconciles and reads back the levers that are due:
//
//   list queue states + overrides + actuators ─▶ effective tiers per queue at `now` (core)
//     ─▶ planned demanders per actuator (same planActuators as evaluate) ─▶ repair the stored sets
//     ─▶ due levers, most urgent first: pending (desired≠applied), active, recently switched, a sample
//        of settled inactive ones ─▶ reconcile / read back concurrently, each bounded, until the deadline
//
// The poll tick runs it every minute; `surge override` runs it for the queues it touched so an
// override takes effect at once instead of at the queue's next observation.

export interface ConvergeOptions {
  /**
   * Only the actuators covering these queues, and only these queues' demand (an override of some
   * queues). Default: every queue and actuator.
   */
  readonly queueIds?: readonly string[];
  /** Clock ms by which to be done (default: an invocation's budget from now). */
  readonly deadline?: number;
  /** Read back settled levers too (default true): drift detection. */
  readonly verify?: boolean;
  /** Deliver the pages this run staged before returning (default true; the poll tick delivers its own). */
  readonly deliverPages?: boolean;
  /** Pages staged by the caller's invocation, delivered together (the poll tick shares one batch). */
  readonly pages?: StagedPages;
  /** Queue states the caller already listed this invocation (saves a Query). */
  readonly states?: readonly StoredQueueState[];
  /** With `states`: the queues whose stored entry that listing could not read (their demand is left alone). */
  readonly unreadable?: readonly string[];
}

export interface ConvergeResult {
  /** Demand entries added (demanding) or removed to agree with queue states and overrides. */
  readonly repaired: readonly DemandRepair[];
  /** Repairs left for the next tick (an evaluation of the queue may be in flight). */
  readonly postponed: readonly DemandRepair[];
  readonly reconciled: readonly ReconcileResult[];
  /** Queues whose stored state could not be read (left as they are, logged). */
  readonly unreadable: readonly string[];
  /** Pages staged by this run. */
  readonly pages: readonly Page[];
}

export async function convergeActuators(
  deps: ControllerDeps,
  options: ConvergeOptions = {},
): Promise<ConvergeResult> {
  const { clock, config } = deps;
  const deadline = options.deadline ?? invocationDeadline(clock);
  const pages = options.pages ?? new StagedPages(deps.pager, clock, deps.log);
  const [listing, overrides, records] = await Promise.all([
    options.states
      ? { states: options.states, unreadable: (options.unreadable ?? []).map((queueId) => ({ queueId })) }
      : options.queueIds
        ? statesOf(deps, options.queueIds)
        : deps.queueStates.listPlacement(),
    deps.overrides.list(),
    deps.actuatorStore.list(),
  ]);
  const stored = listing.states;
  const now = clock.now();

  const byQueue = new Map(stored.map((s) => [s.queueId, s]));
  const unreadEntries = new Set(listing.unreadable.map((u) => u.queueId)); // kept, so known queues
  const all = knownQueues([...byQueue.keys(), ...unreadEntries], config, overrides);
  const scope = options.queueIds ? all.filter((q) => options.queueIds?.includes(q)) : all;
  for (const q of options.queueIds ?? []) if (!scope.includes(q)) scope.push(q);

  const effective = new Map<string, Record<TierKey, boolean>>();
  const unreadable: string[] = [];
  const states: QueueState[] = [];
  for (const queueId of scope) {
    if (unreadEntries.has(queueId)) {
      unreadable.push(queueId);
      deps.log.error('stored queue state unreadable: its demand is left as it is', { queueId });
      continue;
    }
    const item = byQueue.get(queueId);
    try {
      const state = item ? hydrateQueueState(item.state) : undefined;
      if (state) states.push(state);
      effective.set(queueId, effectiveTiersAt(state, queueId, config, now, overrides));
    } catch (e) {
      unreadable.push(queueId);
      deps.log.error('stored queue state unreadable: its demand is left as it is', {
        queueId,
        error: errorMessage(e),
      });
    }
  }
  const readable = scope.filter((q) => effective.has(q));
  // Pages this run decides state the last stored values (an evaluation's fresher facts win).
  pages.noteFacts(states.map(factsOfState), { replace: false });
  // Every page episode across queues in line with the states (only a full run sees every queue).
  if (options.queueIds === undefined) await pages.syncEpisodes(states, unreadable, config);
  const actuators = actuatorsOfQueues(deps.actuators, options.queueIds);
  const recordById = new Map(records.map((r) => [r.actuatorId, r]));
  const storedSets = new Map(records.map((r) => [r.actuatorId, r.demandedBy]));
  const repairs = demandRepairs(actuators, storedSets, plannedDemanders(actuators, effective), readable, {
    allQueues: options.queueIds === undefined && unreadable.length === 0,
  });

  const { applied, postponed } = await applyRepairs(
    deps,
    repairs,
    recordById,
    byQueue,
    now,
    options.queueIds,
  );
  if (applied.length > 0) {
    deps.log.warn('actuator demand disagreed with queue states and overrides: repaired', {
      repairs: applied,
    });
  }

  // A configured lever nobody ever demanded has no item, so nothing would ever read it back: one
  // switched on by hand would stay on. The tick (a full run) adopts it as off, and the sample reads it
  // back like any settled lever.
  const unseen = options.queueIds === undefined ? actuators.filter((a) => !recordById.has(a.id)) : [];
  for (const a of unseen) await deps.actuatorStore.adopt(a.id, now);

  // Re-read what the repairs and adoptions changed, then serve the due levers in order of urgency.
  const fresh = applied.length > 0 || unseen.length > 0 ? await deps.actuatorStore.list() : records;
  const inScope = new Set(actuators.map((a) => a.id));
  const due = dueActuators(
    fresh.filter((r) => inScope.has(r.actuatorId)),
    now,
    {
      recentMs: RECENT_SWITCH_MS,
      sampleInactive: SAMPLE_INACTIVE_PER_TICK,
      sampleAfterMs: SAMPLE_INACTIVE_AFTER_MS,
    },
  );
  const verify = options.verify ?? true;
  const appliedOf = new Map(fresh.map((r) => [r.actuatorId, r.applied]));
  // Active and recently switched levers are read without the lease when the switch can read (one GET);
  // a sampled one takes the lease so its verifiedAt moves on and the next one is sampled next time.
  const work = due
    .filter((d) => verify || d.why === 'pending')
    .map((d) => {
      const applied = appliedOf.get(d.actuatorId);
      const readOnly = (d.why === 'active' || d.why === 'recent') && applied !== 'unknown' && applied;
      return {
        actuatorId: d.actuatorId,
        verify: d.why !== 'pending',
        ...(readOnly ? { expect: readOnly } : {}),
      };
    });
  const reconciled = await reconcileMany(deps, work, pages, deadline);
  if (options.deliverPages ?? true) await pages.deliver(deadline);
  return { repaired: applied, postponed, reconciled, unreadable, pages: pages.pages };
}

/**
 * Applies demand repairs, except where an evaluation may be in flight: the actuator's demand changed
 * within DEMAND_REPAIR_GRACE_MS, or the queue's state changed since it was listed (its own version,
 * which moves only when that queue is saved: one consistent listing re-read when any repair is due —
 * repairs are rare). Those wait for the next tick.
 */
async function applyRepairs(
  deps: ControllerDeps,
  repairs: readonly DemandRepair[],
  records: ReadonlyMap<string, ActuatorRecord>,
  listed: ReadonlyMap<string, StoredQueueState>,
  now: number,
  queueIds: readonly string[] | undefined,
): Promise<{ applied: DemandRepair[]; postponed: DemandRepair[] }> {
  const applied: DemandRepair[] = [];
  const postponed: DemandRepair[] = [];
  let versionNow: Map<string, number> | undefined;
  for (const repair of repairs) {
    const changedAt = records.get(repair.actuatorId)?.demandChangedAt;
    if (changedAt !== undefined && now - changedAt < DEMAND_REPAIR_GRACE_MS) {
      postponed.push(repair);
      continue;
    }
    versionNow ??= new Map(
      (queueIds ? (await statesOf(deps, queueIds)).states : await deps.queueStates.list()).map((s) => [
        s.queueId,
        s.version,
      ]),
    );
    if (versionNow.get(repair.queueId) !== listed.get(repair.queueId)?.version) {
      postponed.push(repair);
      continue;
    }
    await deps.actuatorStore.setDemand(repair.actuatorId, repair.queueId, repair.demanding, deps.clock.now());
    applied.push(repair);
  }
  return { applied, postponed };
}

/**
 * The states of some queues only (an override of a few queues): read through their placement pointers
 * and their shards, not every shard (docs/architecture.md, "Placement pointers").
 */
async function statesOf(
  deps: ControllerDeps,
  queueIds: readonly string[],
): Promise<{ states: StoredQueueState[]; unreadable: { queueId: string }[] }> {
  if (queueIds.length === 0) return { states: [], unreadable: [] };
  const snapshot = await deps.queueStates.loadManyForEvaluation(queueIds);
  return {
    states: [...snapshot.queues.values()],
    unreadable: snapshot.unread.map((queueId) => ({ queueId })),
  };
}
