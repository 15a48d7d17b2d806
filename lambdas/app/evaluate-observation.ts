import { type ActuatorDemand, planActuators } from '../core/actuator-plan';
import { settleBounded } from '../core/bounded';
import type { TierKey } from '../core/config';
import { type Decision, decide, futureToleranceMs, hydrateQueueState, type QueueState } from '../core/decide';
import { StateConflictError } from '../core/errors';
import type { QueueObservation } from '../core/observation';
import {
  factsOfObservation,
  flappingPage,
  futureObservationPage,
  recommendationPage,
  staleObservationsPage,
} from '../core/pages';
import type { ActuatorRecord, EvaluationSnapshot, ShardRef } from '../core/persistence';
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

export interface EvaluateChunkOptions extends EvaluateOptions {
  /** The shard the poller placed the chunk's queues in (the event names it): one read, one write. */
  readonly shardId?: string;
}

/**
 * One observation through the controller:
 *   1. read the queue's state and the overrides, decide (a single event has no shard named: its queue
 *      is looked up among the shards, docs/architecture.md "Queue states per chunk");
 *   2. stage the decision's pages (recommendation, flapping, stale-resolve) in the outbox — before
 *      any write or switch, so no later error can lose them;
 *   3. only if a tier's effective state changed: record this queue's demand on the actuators of that
 *      tier (idempotent set add/remove) — BEFORE the state write, so a crash in between is redone by
 *      EventBridge's retry instead of leaving a decided state whose demand was never recorded;
 *   4. write the state conditionally on its version (its shard's write). A lost race re-reads and re-decides;
 *      demand this evaluation wrote is then put back in line with the winner's state, and pages of
 *      the lost decision that the new one does not repeat are discarded;
 *   5. switch actuators whose desired state now differs from applied (concurrently, bounded), then
 *      deliver the staged pages by priority until the deadline.
 * With no transition it makes no Genesys call. Whatever goes wrong in
 * between, the poll tick's convergence rebuilds demand from the stored states (./converge.ts).
 */
export async function evaluateObservation(
  deps: ControllerDeps,
  observation: QueueObservation,
  options: EvaluateOptions = {},
): Promise<EvaluationResult> {
  const deadline = options.deadline ?? invocationDeadline(deps.clock);
  const pages = new StagedPages(deps.pager, deps.clock, deps.log);
  const step = (await decideAndRecord(deps, [observation], () => pages)).get(observation);
  if (!step || step instanceof Error) throw step ?? new Error(`queue ${observation.queueId}: not decided`);
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
 *   1. one read of the shard holding the queues' states (the event names it) and the overrides:
 *      one BatchGetItem;
 *   2. per queue, with CHUNK_WRITE_CONCURRENCY in flight: decide with the pure core, stage its pages,
 *      record demand on effective changes; then one conditional write of the shard — a queue saved
 *      meanwhile by someone else is re-read and re-decided alone, exactly as a single evaluation does;
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
  options: EvaluateChunkOptions = {},
): Promise<ChunkEvaluationResult> {
  const deadline = options.deadline ?? invocationDeadline(deps.clock);
  const failures: { queueId?: string; actuatorId?: string; error: string }[] = [];
  const failed = new Set<string>();
  const pagesOf = new Map<QueueObservation, StagedPages>(); // one batch per decision, as in evaluateObservation
  const steps = new Map<QueueObservation, QueueStep>();
  for (const round of rounds(observations)) {
    const todo = round.filter((o) => !failed.has(o.queueId));
    if (todo.length === 0) continue;
    const decided = await decideAndRecord(
      deps,
      todo,
      (o) => {
        let pages = pagesOf.get(o);
        if (!pages) {
          pages = new StagedPages(deps.pager, deps.clock, deps.log);
          pagesOf.set(o, pages);
        }
        return pages;
      },
      options.shardId,
    );
    for (const o of todo) {
      const r = decided.get(o);
      if (r && !(r instanceof Error)) steps.set(o, r);
      else {
        failed.add(o.queueId);
        failures.push({ queueId: o.queueId, error: errorMessage(r ?? new Error('not decided')) });
      }
    }
  }
  const work = [...new Set([...steps.values()].flatMap((s) => s.work))];
  const switchPages = new StagedPages(deps.pager, deps.clock, deps.log);
  switchPages.noteFacts(observations.map(factsOfObservation)); // the numbers the switch pages state
  const actuations =
    work.length > 0 ? await reconcileMany(deps, work.map(asWork), switchPages, deadline) : [];
  for (const a of actuations)
    if (a.result === 'error') failures.push({ actuatorId: a.actuatorId, error: a.error });
  // The chunk's queues join each page episode together: one write per episode, not one per queue.
  for (const pages of pagesOf.values()) switchPages.adoptJoins(pages);
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

/** A decision waiting for its state write. */
interface Undecided {
  readonly observation: QueueObservation;
  readonly decision: Decision;
  readonly home: ShardRef;
  readonly expectedVersion: number | undefined;
  readonly records: readonly ActuatorRecord[];
}

/**
 * Steps 1–4 of evaluateObservation for observations of distinct queues, sharing the storage calls:
 * read every queue's state and the overrides (one BatchGetItem of the shard named, docs/architecture.md
 * "Queue states per chunk"), decide each queue, stage its pages, record its demand, then write the
 * states kept in one shard in one conditional write. A queue whose own version moved (another
 * evaluation saved it first) is re-read and re-decided, exactly as a single evaluation's lost race;
 * the others are written. A queue that fails (its entry, its demand, its shard's write) is returned as
 * its Error and never holds back the others.
 */
async function decideAndRecord(
  deps: ControllerDeps,
  observations: readonly QueueObservation[],
  pagesOf: (o: QueueObservation) => StagedPages,
  shardId?: string,
): Promise<Map<QueueObservation, QueueStep | Error>> {
  const { config, queueStates, clock } = deps;
  const results = new Map<QueueObservation, QueueStep | Error>();
  const written = new Map<QueueObservation, Map<string, boolean>>(); // actuatorId → demanding, as written
  for (const o of observations) {
    pagesOf(o).noteFacts(factsOfObservation(o)); // the numbers its pages state
    written.set(o, new Map());
  }
  let todo = [...observations];
  for (let attempt = 1; attempt <= MAX_STATE_ATTEMPTS && todo.length > 0; attempt++) {
    const batch = await queueStates.loadManyForEvaluation(
      todo.map((o) => o.queueId),
      shardId === undefined ? {} : { shardId },
    );
    const unread = new Set(batch.unread);
    const settled = await settleBounded(
      todo,
      CHUNK_WRITE_CONCURRENCY,
      async (o): Promise<QueueStep | Undecided> => {
        // An entry the batch could not read is read alone: its error is this queue's failure only.
        const snapshot: EvaluationSnapshot = unread.has(o.queueId)
          ? await queueStates.loadForEvaluation(o.queueId)
          : {
              queue: batch.queues.get(o.queueId),
              overrides: batch.overrides,
              ...(batch.homes.has(o.queueId) ? { home: batch.homes.get(o.queueId) } : {}),
            };
        const pages = pagesOf(o);
        const mine = written.get(o) as Map<string, boolean>;
        const previous = snapshot.queue ? hydrateQueueState(snapshot.queue.state) : undefined;
        const now = clock.now();
        const decision = decide(previous, o, config, now, snapshot.overrides);
        const decisionPages = pagesFor(deps, o, previous, decision, now);
        // A lost race to the same observation (`duplicate`) keeps the pages staged for it: the winner
        // decided the same observation and may have found them already staged by us.
        if (decision.ignoredReason !== Reason.DUPLICATE) await pages.discardExcept(decisionPages);
        for (const page of decisionPages) await pages.stage(page);
        if (decision.outcome === 'ignored') {
          await realignDemand(deps, o.queueId, decision.effective, mine);
          return { decision, attempts: attempt, work: [], pages: [...pages.pages] } satisfies QueueStep;
        }
        if (!snapshot.home) throw new Error(`queue ${o.queueId}: the store named no shard to keep its state`);
        const demanded = await recordDemand(deps, o.queueId, demandsOf(deps, o.queueId, decision));
        for (const r of demanded.demands) mine.set(r.actuatorId, r.demanding);
        return {
          observation: o,
          decision,
          home: snapshot.home,
          expectedVersion: snapshot.queue?.version,
          records: demanded.records,
        } satisfies Undecided;
      },
    );
    const toWrite = new Map<string, Undecided[]>(); // shardId → decisions to write there
    settled.forEach((r, i) => {
      const o = todo[i] as QueueObservation;
      if (r.status === 'rejected') results.set(o, asError(r.reason));
      else if (isUndecided(r.value)) {
        const group = toWrite.get(r.value.home.shardId) ?? [];
        group.push(r.value);
        toWrite.set(r.value.home.shardId, group);
      } else results.set(o, r.value);
    });
    const again = new Set<QueueObservation>();
    await Promise.all(
      [...toWrite.values()].map(async (group) => {
        let conflicts: ReadonlySet<string>;
        try {
          const saved = await queueStates.saveMany(
            (group[0] as Undecided).home,
            group.map((u) => ({
              queueId: u.observation.queueId,
              state: u.decision.next,
              expectedVersion: u.expectedVersion,
            })),
          );
          conflicts = new Set(saved.conflicts);
        } catch (e) {
          if (!(e instanceof StateConflictError)) {
            for (const u of group) results.set(u.observation, asError(e));
            return;
          }
          conflicts = new Set(group.map((u) => u.observation.queueId)); // the whole shard kept moving
        }
        for (const u of group) {
          const o = u.observation;
          if (conflicts.has(o.queueId)) {
            again.add(o);
            continue;
          }
          await realignDemand(deps, o.queueId, u.decision.effective, written.get(o) as Map<string, boolean>);
          const work = u.records.filter((r) => r.desired !== r.applied).map((r) => r.actuatorId);
          results.set(o, { decision: u.decision, attempts: attempt, work, pages: [...pagesOf(o).pages] });
        }
      }),
    );
    todo = todo.filter((o) => again.has(o));
  }
  for (const o of todo) {
    results.set(
      o,
      new StateConflictError(
        `queue ${o.queueId}: state kept changing under ${MAX_STATE_ATTEMPTS} attempts; EventBridge will redeliver`,
      ),
    );
  }
  return results;
}

const isUndecided = (x: QueueStep | Undecided): x is Undecided => 'home' in x;
const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

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
