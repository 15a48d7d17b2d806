import { type ActuatorDemand, planActuators } from '../core/actuator-plan';
import { type Decision, decide, hydrateQueueState, type QueueState } from '../core/decide';
import { StateConflictError } from '../core/errors';
import type { QueueObservation } from '../core/observation';
import { flappingPage, recommendationPage, staleObservationsPage } from '../core/pages';
import type { ActuatorRecord } from '../core/persistence';
import type { Page } from '../core/ports';
import { type ControllerDeps, MAX_STATE_ATTEMPTS } from './deps';
import { type ReconcileResult, reconcileActuator } from './reconcile';

export interface EvaluationResult {
  readonly observation: QueueObservation;
  readonly decision: Decision;
  /** Actuators this evaluation moved (or tried to). Empty when nothing effective changed. */
  readonly actuations: ReconcileResult[];
  readonly pages: Page[];
  /** Optimistic-write attempts it took (1 unless concurrent evaluations of the same queue collided). */
  readonly attempts: number;
}

/**
 * One observation through the controller:
 *   1. read the queue's state and the overrides (one call), decide;
 *   2. only if a tier's effective state changed: record this queue's demand on the actuators of that
 *      tier (idempotent set add/remove) — BEFORE the state write, so a crash in between is redone by
 *      EventBridge's retry instead of leaving a decided state whose demand was never recorded;
 *   3. write the state conditionally on its version (one call). A lost race re-reads and re-decides:
 *      for a duplicate delivery the loser then sees `duplicate` and stops;
 *   4. switch actuators whose desired state now differs from applied, then page.
 * With no transition that is exactly two DynamoDB calls and no Genesys call.
 */
export async function evaluateObservation(
  deps: ControllerDeps,
  observation: QueueObservation,
): Promise<EvaluationResult> {
  const { config, queueStates, clock } = deps;
  for (let attempt = 1; attempt <= MAX_STATE_ATTEMPTS; attempt++) {
    const snapshot = await queueStates.loadForEvaluation(observation.queueId);
    const previous = snapshot.queue ? hydrateQueueState(snapshot.queue.state) : undefined;
    const decision = decide(previous, observation, config, clock.now(), snapshot.overrides);
    if (decision.outcome === 'ignored')
      return { observation, decision, actuations: [], pages: [], attempts: attempt };

    const demanded = await recordDemand(
      deps,
      observation.queueId,
      demandsOf(deps, observation.queueId, decision),
    );
    try {
      await queueStates.save(observation.queueId, decision.next, snapshot.queue?.version);
    } catch (e) {
      if (e instanceof StateConflictError) continue;
      throw e;
    }
    const actuations: ReconcileResult[] = [];
    for (const record of demanded) {
      if (record.desired !== record.applied)
        actuations.push(await reconcileActuator(deps, record.actuatorId));
    }
    const pages = pagesFor(deps, observation, previous, decision);
    for (const page of pages) await deps.pager.send(page);
    return { observation, decision, actuations, pages, attempts: attempt };
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
): Promise<ActuatorRecord[]> {
  const records: ActuatorRecord[] = [];
  for (const d of demands) {
    records.push(await deps.actuatorStore.setDemand(d.actuatorId, queueId, d.demanding, deps.clock.now()));
  }
  return records;
}

function pagesFor(
  deps: ControllerDeps,
  observation: QueueObservation,
  previous: QueueState | undefined,
  decision: Decision,
): Page[] {
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
      pages.push(
        staleObservationsPage(observation.queueId, previous.lastObservedAt, 'resolve', deps.clock.now()),
      );
    }
  }
  return pages;
}
