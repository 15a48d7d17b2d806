import { hydrateQueueState, isStale } from '../core/decide';
import type { QueueObservation } from '../core/observation';
import { breakGlassPage, staleObservationsPage } from '../core/pages';
import { type ConvergeResult, convergeActuators } from './converge';
import { ACTUATOR_LEASE_MS, errorMessage, invocationDeadline, type PollerDeps } from './deps';
import type { ReconcileResult } from './reconcile';
import { type BreakerReport, probeBreakers } from './resilience';
import { StagedPages } from './staged-pages';

export interface PollResult {
  readonly observations: readonly QueueObservation[];
  /** Set when Genesys could not be read this tick, wholly or in part (the rest of the tick still ran). */
  readonly readError?: string;
  /** Queues whose chunk could not be read this tick (the other chunks were published). */
  readonly unreadQueues: readonly string[];
  /** Queues with no accepted observation for staleAfterSeconds (paged; their tiers are held). */
  readonly staleQueues: readonly string[];
  readonly reconciled: readonly ReconcileResult[];
  readonly converged: Pick<ConvergeResult, 'repaired' | 'postponed' | 'unreadable'>;
  readonly pagesRetried: { readonly sent: number; readonly deferred: number };
  /** Every watched breaker after the prober ran (the CircuitState metric). */
  readonly breakers: readonly BreakerReport[];
}

export interface PollOptions {
  /** Queues to read (default: every configured queue). */
  readonly queueIds?: readonly string[];
  /** Clock ms by which the tick must be done (default: the Lambda timeout from now). */
  readonly deadline?: number;
}

/** The observations read may use at most this share of the tick; convergence needs the rest. */
const READ_SHARE = 1 / 3;

/**
 * One poller tick, inside one deadline, in a fixed order (what does not fit is left to the next tick,
 * in the same order):
 *   1. read every queue's depth (chunk by chunk; a failed chunk does not discard the others) and
 *      publish one QueueObservation event per queue read;
 *   2. stage `stale` pages for queues silent for staleAfterSeconds;
 *   3. converge: rebuild actuator demand from queue states and overrides, reconcile pending levers and
 *      read back the due ones, concurrently, most urgent first (./converge.ts);
 *   4. deliver the pages staged by this tick, then retry pending pages, most urgent first.
 */
export async function pollTick(deps: PollerDeps, options: PollOptions = {}): Promise<PollResult> {
  const { clock } = deps;
  const deadline = options.deadline ?? invocationDeadline(clock);
  const pages = new StagedPages(deps.pager, clock, deps.log);
  // The prober first, so a breaker that recovered closes before this tick's read (docs/resilience.md).
  const breakers = deps.resilience ? await probeBreakers(deps.resilience) : [];
  const queueIds = options.queueIds ?? deps.config.queues.map((q) => q.id);
  let observations: readonly QueueObservation[] = [];
  let unreadQueues: string[] = [];
  let readError: string | undefined;
  if (queueIds.length > 0) {
    const started = clock.now();
    const readDeadline = Math.min(started + ACTUATOR_LEASE_MS, started + (deadline - started) * READ_SHARE);
    try {
      const read = await deps.observations.read(queueIds, { deadline: readDeadline });
      observations = read.observations;
      unreadQueues = (read.failures ?? []).flatMap((f) => f.queueIds);
      if (read.failures?.length) readError = read.failures.map((f) => f.error).join('; ');
      await deps.publisher.publish(observations);
      if (read.usedBreakGlass) await pages.stage(breakGlassPage('reading queue observations', clock.now()));
    } catch (e) {
      readError = errorMessage(e);
    }
    if (readError) {
      deps.log.error('could not read or publish queue observations this tick', {
        error: readError,
        queues: queueIds.length,
        unread: unreadQueues.length || queueIds.length,
      });
    }
  }

  const now = clock.now();
  const states = await deps.queueStates.list();
  const staleQueues: string[] = [];
  for (const stored of states) {
    let state: ReturnType<typeof hydrateQueueState>;
    try {
      state = hydrateQueueState(stored.state);
    } catch {
      continue; // convergence logs unreadable states
    }
    if (!isStale(state, now, deps.config)) continue;
    staleQueues.push(state.queueId);
    // Same key every tick of one silence: the outbox keeps it once.
    await pages.stage(staleObservationsPage(state.queueId, state.lastObservedAt, 'trigger', now));
  }

  const converged = await convergeActuators(deps, { deadline, pages, deliverPages: false, states });
  await pages.deliver(deadline);
  const pagesRetried =
    clock.now() < deadline ? await deps.pager.retryPending(undefined, deadline) : { sent: 0, deferred: 0 };
  return {
    observations,
    ...(readError ? { readError } : {}),
    unreadQueues,
    staleQueues,
    reconciled: converged.reconciled,
    converged: {
      repaired: converged.repaired,
      postponed: converged.postponed,
      unreadable: converged.unreadable,
    },
    pagesRetried,
    breakers,
  };
}
