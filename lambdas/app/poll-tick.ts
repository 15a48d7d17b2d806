import { hydrateQueueState, isStale } from '../core/decide';
import type { QueueObservation } from '../core/observation';
import { breakGlassPage, staleObservationsPage } from '../core/pages';
import { ACTUATOR_LEASE_MS, errorMessage, type PollerDeps } from './deps';
import { type ReconcileResult, reconcileAll } from './reconcile';
import { type BreakerReport, probeBreakers } from './resilience';

export interface PollResult {
  readonly observations: readonly QueueObservation[];
  /** Set when Genesys could not be read this tick (the rest of the tick still ran). */
  readonly readError?: string;
  /** Queues with no accepted observation for staleAfterSeconds (paged; their tiers are held). */
  readonly staleQueues: readonly string[];
  readonly reconciled: readonly ReconcileResult[];
  readonly pagesRetried: { readonly sent: number; readonly deferred: number };
  /** Every watched breaker after the prober ran (the CircuitState metric). */
  readonly breakers: readonly BreakerReport[];
}

/**
 * One poller tick: read every queue's depth in as few Genesys calls as the API allows and publish one
 * QueueObservation event per queue; then the housekeeping that makes the system level-triggered —
 * page stale queues, move every actuator whose applied state differs from desired, and retry pages
 * that could not be delivered. A failed read does not stop the housekeeping.
 */
export async function pollTick(
  deps: PollerDeps,
  options: { queueIds?: readonly string[] } = {},
): Promise<PollResult> {
  // The prober first, so a breaker that recovered closes before this tick's read (docs/resilience.md).
  const breakers = deps.resilience ? await probeBreakers(deps.resilience) : [];
  const queueIds = options.queueIds ?? deps.config.queues.map((q) => q.id);
  let observations: readonly QueueObservation[] = [];
  let readError: string | undefined;
  if (queueIds.length > 0) {
    try {
      const read = await deps.observations.read(queueIds, { deadline: deps.clock.now() + ACTUATOR_LEASE_MS });
      observations = read.observations;
      await deps.publisher.publish(observations);
      if (read.usedBreakGlass)
        await deps.pager.send(breakGlassPage('reading queue observations', deps.clock.now()));
    } catch (e) {
      readError = errorMessage(e);
      deps.log.error('could not read or publish queue observations this tick', {
        error: readError,
        queues: queueIds.length,
      });
    }
  }

  const now = deps.clock.now();
  const staleQueues: string[] = [];
  for (const stored of await deps.queueStates.list()) {
    const state = hydrateQueueState(stored.state);
    if (!isStale(state, now, deps.config)) continue;
    staleQueues.push(state.queueId);
    // Same key every tick of one silence: the outbox sends it once.
    await deps.pager.send(staleObservationsPage(state.queueId, state.lastObservedAt, 'trigger', now));
  }

  const reconciled = await reconcileAll(deps);
  const pagesRetried = await deps.pager.retryPending();
  return {
    observations,
    ...(readError ? { readError } : {}),
    staleQueues,
    reconciled,
    pagesRetried,
    breakers,
  };
}
