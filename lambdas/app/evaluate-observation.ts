import { type ActuatorDemand, planActuators } from '../core/actuator-plan';
import { settleBounded } from '../core/bounded';
import type { TierKey } from '../core/config';
import { type Decision, decide, futureToleranceMs, hydrateQueueState, type QueueState } from '../core/decide';
import { StateConflictError } from '../core/errors';
import type { QueueObservation } from '../core/observation';
import {
  flappingPage,
  futureObservationPage,
  recommendationPage,
  staleObservationsPage,
} from '../core/pages';
import type { ActuatorRecord, EvaluationSnapshot } from '../core/persistence';
import type { Page } from '../core/ports';
import { Reason } from '../core/reasons';
import { type ControllerDeps, errorMessage, invocationDeadline, MAX_STATE_ATTEMPTS } from './deps';
import { type ReconcileResult, reconcileMany } from './reconcile';
import { StagedPages } from './staged-pages';

export interface EvaluationResult {
  readonly observation: QueueObservation;
  readonly decision: Decision;
  /** Actuators this evaluation moved (or tried to). Empty when nothing effective changed. */
  readonly actuations: ReconcileResult[];
  /** Pages this evaluation staged (delivered before returning unless the deadline came first). */
  readonly pages: readonly Page[];
  /** Optimistic-write attempts it took (1 unless concurrent evaluations of the same queue collided). */
  readonly attempts: number;
}

export interface EvaluateOptions {
  /** Clock ms by which the invocation must be done (default: an invocation's budget from now). */
  readonly deadline?: number;
}

/**
 * One observation through the controller:
 *   1. read the queue's state and the overrides (one call), decide;
 *   2. stage the decision's pages (recommendation, flapping, stale-resolve) in the outbox — before
 *      any write or switch, so no later error can lose them;
 *   3. only if a tier's effective state changed: record this queue's demand on the actuators of that
 *      tier (idempotent set add/remove) — BEFORE the state write, so a crash in between is redone by
 *      EventBridge's retry instead of leaving a decided state whose demand was never recorded;
 *   4. write the state conditionally on its version (one call). A lost race re-reads and re-decides;
 *      demand this evaluation wrote is then put back in line with the winner's state, and pages of
 *      the lost decision that the new one does not repeat are discarded;
 *   5. switch actuators whose desired state now differs from applied (concurrently, bounded), then
 *      deliver the staged pages by priority until the deadline.
 * With no transition that is exactly two DynamoDB calls and no Genesys call. Whatever goes wrong in
 * between, the poll tick's convergence rebuilds demand from the stored states (./converge.ts).
 */
export async function evaluateObservation(
  deps: ControllerDeps,
  observation: QueueObservation,
  options: EvaluateOptions = {},
): Promise<EvaluationResult> {
  const deadline = options.deadline ?? invocationDeadline(deps.clock);
  const pages = new StagedPages(deps.pager, deps.clock, deps.log);
  const step = await decideAndRecord(deps, observation, pages);
  const actuations =
    step.work.length > 0 ? await reconcileMany(deps, step.work.map(asWork), pages, deadline) : [];
  await pages.deliver(deadline);
  const failure = actuations.find((a) => a.result === 'error');
  if (failure?.result === 'error') {
    // Storage failed around a switch: fail the invocation (logged, retried by EventBridge as a
    // duplicate); the poll tick converges the actuator.
    throw new Error(`actuator ${failure.actuatorId}: ${failure.error}`);
  }
  return { observation, decision: step.decision, actuations, pages: pages.pages, attempts: step.attempts };
}

/** Queues of one chunk decided and written at once (far under DynamoDB's per-partition limits). */
export const CHUNK_WRITE_CONCURRENCY = 16;

export interface ChunkEvaluationResult {
  /** One per observation evaluated, in the order given (an observation whose queue failed is absent). */
  readonly results: readonly EvaluationResult[];
  /** Actuators this chunk moved (or tried to), once each however many of its queues demanded them. */
  readonly actuations: readonly ReconcileResult[];
  /** Queues (or actuators) that could not be evaluated: the caller fails the invocation so EventBridge retries. */
  readonly failures: readonly {
    readonly queueId?: string;
    readonly actuatorId?: string;
    readonly error: string;
  }[];
}

/**
 * A chunk of observations (one poller event: one Genesys query's queues) through the controller, with
 * every rule of ./evaluateObservation per queue and the storage calls shared:
 *   1. one batch read of every queue's state and the overrides (BatchGetItem, 100 keys a call);
 *   2. per queue, with CHUNK_WRITE_CONCURRENCY in flight: decide with the pure core, stage its pages,
 *      record demand on effective changes, write its state conditionally — a conflict re-reads and
 *      re-decides that queue alone, exactly as a single evaluation does;
 *   3. reconcile the union of the actuators whose desired state moved, once (not once per queue);
 *   4. deliver the staged pages.
 * A queue that fails (its write, its item, its read) is reported in `failures` and never holds back
 * the others' decisions; the caller then fails the invocation and EventBridge redelivers the chunk, in
 * which the queues already written are `duplicate` (ignored, nothing written) and the failed ones are
 * decided again. A queue seen twice in one chunk is decided in arrival order, one read each.
 */
export async function evaluateObservations(
  deps: ControllerDeps,
  observations: readonly QueueObservation[],
  options: EvaluateOptions = {},
): Promise<ChunkEvaluationResult> {
  const deadline = options.deadline ?? invocationDeadline(deps.clock);
  const failures: { queueId?: string; actuatorId?: string; error: string }[] = [];
  const failed = new Set<string>();
  const pagesOf = new Map<QueueObservation, StagedPages>(); // one batch per decision, as in evaluateObservation
  const steps = new Map<QueueObservation, QueueStep>();
  for (const round of rounds(observations)) {
    const todo = round.filter((o) => !failed.has(o.queueId));
    if (todo.length === 0) continue;
    const snapshot = await deps.queueStates.loadManyForEvaluation(todo.map((o) => o.queueId));
    const unread = new Set(snapshot.unread);
    const settled = await settleBounded(todo, CHUNK_WRITE_CONCURRENCY, (o) => {
      const pages = new StagedPages(deps.pager, deps.clock, deps.log);
      pagesOf.set(o, pages);
      const first = unread.has(o.queueId)
        ? undefined
        : { queue: snapshot.queues.get(o.queueId), overrides: snapshot.overrides };
      return decideAndRecord(deps, o, pages, first);
    });
    settled.forEach((r, i) => {
      const o = todo[i] as QueueObservation;
      if (r.status === 'fulfilled') steps.set(o, r.value);
      else {
        failed.add(o.queueId);
        failures.push({ queueId: o.queueId, error: errorMessage(r.reason) });
      }
    });
  }
  const work = [...new Set([...steps.values()].flatMap((s) => s.work))];
  const switchPages = new StagedPages(deps.pager, deps.clock, deps.log);
  const actuations =
    work.length > 0 ? await reconcileMany(deps, work.map(asWork), switchPages, deadline) : [];
  for (const a of actuations)
    if (a.result === 'error') failures.push({ actuatorId: a.actuatorId, error: a.error });
  await switchPages.deliver(deadline);
  for (const pages of pagesOf.values()) await pages.deliver(deadline);
  const results = observations.flatMap((o) => {
    const step = steps.get(o);
    if (!step) return [];
    const mine = step.work.length > 0 ? actuations.filter((a) => step.work.includes(a.actuatorId)) : [];
    return [
      {
        observation: o,
        decision: step.decision,
        actuations: mine,
        pages: step.pages,
        attempts: step.attempts,
      },
    ];
  });
  if (failures.length > 0) {
    deps.log.error('some queues of the chunk could not be evaluated; the chunk will be redelivered', {
      failures,
      evaluated: results.length,
    });
  }
  return { results, actuations, failures };
}

/** Splits a chunk so each round holds at most one observation per queue, in arrival order. */
function rounds(observations: readonly QueueObservation[]): QueueObservation[][] {
  const out: QueueObservation[][] = [];
  const seen = new Map<string, number>();
  for (const o of observations) {
    const n = seen.get(o.queueId) ?? 0;
    seen.set(o.queueId, n + 1);
    if (n === out.length) out.push([]);
    out[n]?.push(o);
  }
  return out;
}

const asWork = (actuatorId: string) => ({ actuatorId });

interface QueueStep {
  readonly decision: Decision;
  readonly attempts: number;
  /** Actuators whose desired state now differs from applied: the switches this evaluation owes. */
  readonly work: readonly string[];
  /** Pages staged for this decision. */
  readonly pages: readonly Page[];
}

/**
 * Steps 1–4 of evaluateObservation for one queue: decide, stage pages, record demand, write the state
 * (re-reading and re-deciding after a lost race). `first` is the snapshot a batch read already got for
 * the first attempt; later attempts read the queue on their own.
 */
async function decideAndRecord(
  deps: ControllerDeps,
  observation: QueueObservation,
  pages: StagedPages,
  first?: EvaluationSnapshot,
): Promise<QueueStep> {
  const { config, queueStates, clock } = deps;
  const written = new Map<string, boolean>(); // actuatorId → demanding, as this evaluation wrote it
  for (let attempt = 1; attempt <= MAX_STATE_ATTEMPTS; attempt++) {
    const snapshot =
      attempt === 1 && first ? first : await queueStates.loadForEvaluation(observation.queueId);
    const previous = snapshot.queue ? hydrateQueueState(snapshot.queue.state) : undefined;
    const now = clock.now();
    const decision = decide(previous, observation, config, now, snapshot.overrides);
    const decisionPages = pagesFor(deps, observation, previous, decision, now);
    // A lost race to the same observation (`duplicate`) keeps the pages staged for it: the winner
    // decided the same observation and may have found them already staged by us.
    if (decision.ignoredReason !== Reason.DUPLICATE) await pages.discardExcept(decisionPages);
    for (const page of decisionPages) await pages.stage(page);

    if (decision.outcome === 'ignored') {
      await realignDemand(deps, observation.queueId, decision.effective, written);
      return { decision, attempts: attempt, work: [], pages: [...pages.pages] };
    }

    const demanded = await recordDemand(
      deps,
      observation.queueId,
      demandsOf(deps, observation.queueId, decision),
    );
    for (const r of demanded.demands) written.set(r.actuatorId, r.demanding);
    try {
      await queueStates.save(observation.queueId, decision.next, snapshot.queue?.version);
    } catch (e) {
      if (e instanceof StateConflictError) continue;
      throw e;
    }
    await realignDemand(deps, observation.queueId, decision.effective, written);
    const work = demanded.records.filter((r) => r.desired !== r.applied).map((r) => r.actuatorId);
    return { decision, attempts: attempt, work, pages: [...pages.pages] };
  }
  throw new StateConflictError(
    `queue ${observation.queueId}: state kept changing under ${MAX_STATE_ATTEMPTS} attempts; EventBridge will redeliver`,
  );
}

/** The demands of the tiers whose effective state changed (the others' demands are already recorded). */
function demandsOf(deps: ControllerDeps, queueId: string, decision: Decision): ActuatorDemand[] {
  if (decision.effectiveChanged.length === 0) return [];
  const changed = new Set<number>(decision.effectiveChanged.map((k) => Number(k.slice(4))));
  return planActuators(deps.actuators, queueId, decision.effective).filter((d) => changed.has(d.tier));
}

async function recordDemand(
  deps: ControllerDeps,
  queueId: string,
  demands: ActuatorDemand[],
): Promise<{ demands: ActuatorDemand[]; records: ActuatorRecord[] }> {
  const records: ActuatorRecord[] = [];
  for (const d of demands) {
    records.push(await deps.actuatorStore.setDemand(d.actuatorId, queueId, d.demanding, deps.clock.now()));
  }
  return { demands, records };
}

/**
 * After a lost race: demand this evaluation wrote for a decision that was not saved is set back to what
 * the saved state wants (`effective`), so a loser never leaves its queue's demand behind.
 */
async function realignDemand(
  deps: ControllerDeps,
  queueId: string,
  effective: Readonly<Record<TierKey, boolean>>,
  written: Map<string, boolean>,
): Promise<void> {
  if (written.size === 0) return;
  for (const d of planActuators(deps.actuators, queueId, effective)) {
    const wrote = written.get(d.actuatorId);
    if (wrote === undefined || wrote === d.demanding) continue;
    await deps.actuatorStore.setDemand(d.actuatorId, queueId, d.demanding, deps.clock.now());
    written.set(d.actuatorId, d.demanding);
  }
}

function pagesFor(
  deps: ControllerDeps,
  observation: QueueObservation,
  previous: QueueState | undefined,
  decision: Decision,
  now: number,
): Page[] {
  if (decision.outcome === 'ignored') {
    if (decision.ignoredReason !== Reason.FUTURE_DATED) return [];
    const toleranceSeconds = futureToleranceMs(deps.config) / 1000;
    return [futureObservationPage(observation.queueId, observation.observedAt, toleranceSeconds, now)];
  }
  const pages: Page[] = [];
  for (const t of decision.transitions) {
    if (t.mode !== 'recommend') continue;
    const before = previous?.tiers[`tier${t.tier}`];
    // Activate and restore recommendations share the episode key built from the activation time.
    const activatedAt = t.action === 'restore' && before?.status === 'active' ? before.activatedAt : t.at;
    pages.push(recommendationPage(t, activatedAt));
  }
  for (const key of decision.flapping) {
    pages.push(flappingPage(observation.queueId, Number(key.slice(4)), observation.observedAt));
  }
  // Data flowing again after a silence long enough for the poller to have paged "stale": resolve it.
  if (previous) {
    const silentMs = Date.parse(observation.observedAt) - Date.parse(previous.lastObservedAt);
    if (silentMs >= deps.config.staleAfterSeconds * 1000) {
      pages.push(staleObservationsPage(observation.queueId, previous.lastObservedAt, 'resolve', now));
    }
  }
  return pages;
}
