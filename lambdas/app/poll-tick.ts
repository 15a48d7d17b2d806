import { hydrateQueueState, isStale, type QueueState } from '../core/decide';
import type { QueueObservation } from '../core/observation';
import { breakGlassPage, staleObservationsPage } from '../core/pages';
import type { QueueStatesListing, StaleMarks, StoredQueueState } from '../core/persistence';
import { planChunks, releasableQueues } from '../core/placement';
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
 *   1. list the queue states by shard; read every queue's depth, one query per shard's queues (a few
 *      at a time; a failed chunk does not discard the others), and publish one QueueObservations
 *      event per shard naming it (one evaluate each, one read and one write of that shard); remove
 *      copies left by placements before pointers, and give back the places of removed queues that no
 *      lever or page depends on any more (releaseRemovedQueues);
 *   2. stage a `stale` page for each queue newly silent for staleAfterSeconds (a queue known stale
 *      costs nothing more, see pageStaleQueues);
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
  // The listing comes first: the queries and events follow the shards that hold the states.
  let listing: QueueStatesListing | undefined;
  let listError: unknown;
  try {
    listing = await deps.queueStates.listPlacement();
  } catch (e) {
    listError = e; // still read and publish (events without a shard: evaluate looks the queues up)
  }
  let observations: readonly QueueObservation[] = [];
  let unreadQueues: string[] = [];
  let readError: string | undefined;
  if (queueIds.length > 0) {
    const started = clock.now();
    const readDeadline = Math.min(started + ACTUATOR_LEASE_MS, started + (deadline - started) * READ_SHARE);
    const chunks = listing
      ? planChunks(listing.shards, queueIds, { homes: listing.homes })
      : [{ shardId: undefined, queueIds }];
    const shardOf = new Map<string, string>();
    for (const c of chunks)
      if (c.shardId !== undefined) for (const q of c.queueIds) shardOf.set(q, c.shardId);
    try {
      const read = await deps.observations.read(
        chunks.flatMap((c) => c.queueIds),
        { deadline: readDeadline, chunks: chunks.map((c) => c.queueIds) },
      );
      observations = read.observations;
      unreadQueues = (read.failures ?? []).flatMap((f) => f.queueIds);
      if (read.failures?.length) readError = read.failures.map((f) => f.error).join('; ');
      await deps.publisher.publish(observations, { shardOf });
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

  if (!listing) throw listError;
  await removeExtraCopies(deps, listing);
  const now = clock.now();
  const released = await releaseRemovedQueues(deps, listing, now);
  const states = released.size > 0 ? listing.states.filter((s) => !released.has(s.queueId)) : listing.states;
  const staleQueues = await pageStaleQueues(deps, states, pages, now);

  const converged = await convergeActuators(deps, {
    deadline,
    pages,
    deliverPages: false,
    states,
    unreadable: listing.unreadable.map((u) => u.queueId),
  });
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

/**
 * A queue whose placement raced (two ticks placed it in two shards before either evaluation wrote) is
 * kept in its preferred copy (core/placement.ts: newest lastObservedAt); the other copies are removed
 * here, each only if it did not change since listed. A copy left (an evaluation wrote its shard in
 * between) is removed by a later tick; meanwhile every reader applies the same rule.
 */
async function removeExtraCopies(deps: PollerDeps, listing: QueueStatesListing): Promise<void> {
  if (listing.extraCopies.length === 0) return;
  try {
    const removed = await deps.queueStates.removeCopies(listing.extraCopies);
    deps.log.warn('queue states found in two shards: extra copies removed', {
      copies: listing.extraCopies,
      removed,
    });
  } catch (e) {
    deps.log.warn('extra queue state copies not removed this tick', { error: errorMessage(e) });
  }
}

/**
 * Queues removed from the config give their place back once that changes no lever and owes no page
 * (core/placement.ts `releasableQueues`, docs/architecture.md "Removed queues"); each only if its stored
 * state is still the one listed, so an evaluation that saved it meanwhile keeps it. The rest of the tick
 * then sees them gone: the stale episode loses them, and convergence drops any demand left in their name.
 * The overrides are read only when some queue could go (a tick of a steady config reads nothing more).
 */
async function releaseRemovedQueues(
  deps: PollerDeps,
  listing: QueueStatesListing,
  now: number,
): Promise<Set<string>> {
  const configured = new Set(deps.config.queues.map((q) => q.id));
  const candidates: QueueState[] = [];
  const listed = new Map<string, StoredQueueState>();
  for (const stored of listing.states) {
    if (configured.has(stored.queueId) || !listing.homes.has(stored.queueId)) continue;
    try {
      candidates.push(hydrateQueueState(stored.state));
      listed.set(stored.queueId, stored);
    } catch {
      // convergence logs unreadable states; an unreadable one is never given back
    }
  }
  if (releasableQueues(candidates, deps.config, [], now).length === 0) return new Set();
  try {
    const ids = releasableQueues(candidates, deps.config, await deps.overrides.list(), now);
    const released = await deps.queueStates.releasePlaces(
      ids.map((queueId) => {
        const stored = listed.get(queueId) as StoredQueueState;
        return {
          queueId,
          shardId: listing.homes.get(queueId) as string,
          version: stored.version,
          state: stored.state,
        };
      }),
    );
    if (released.length > 0) {
      deps.log.info('queues removed from the config gave their place back', { queues: released });
    }
    return new Set(released);
  } catch (e) {
    deps.log.warn('places of removed queues not given back this tick', { error: errorMessage(e) });
    return new Set();
  }
}

/**
 * The queues silent for staleAfterSeconds, paged once per silence. The ones already paged are kept in
 * one item (stale marks): the tick reads it (one call) and writes it only when the set changes, so a
 * long outage costs no write per queue per tick — only the queues that newly went stale are staged
 * (outbox dedup keeps a page once even if the marks write is lost and the next tick stages it again).
 */
async function pageStaleQueues(
  deps: PollerDeps,
  states: readonly StoredQueueState[],
  pages: StagedPages,
  now: number,
): Promise<string[]> {
  const stale = new Map<string, string>(); // queueId → lastObservedAt (the silence's start)
  for (const stored of states) {
    let state: ReturnType<typeof hydrateQueueState>;
    try {
      state = hydrateQueueState(stored.state);
    } catch {
      continue; // convergence logs unreadable states
    }
    if (isStale(state, now, deps.config)) stale.set(state.queueId, state.lastObservedAt);
  }
  let marks: StaleMarks | undefined;
  try {
    marks = await deps.queueStates.loadStaleMarks();
  } catch (e) {
    deps.log.error('stale marks unreadable: paging every stale queue this tick', { error: errorMessage(e) });
  }
  const known = new Set(
    Object.entries(marks?.since ?? {}).flatMap(([since, ids]) => ids.map((q) => `${q}@${since}`)),
  );
  const fresh = [...stale].filter(([queueId, since]) => !known.has(`${queueId}@${since}`));
  // Same key every tick of one silence: the outbox keeps it once.
  for (const [queueId, since] of fresh)
    await pages.stage(staleObservationsPage(queueId, since, 'trigger', now));
  // Known entries that are stale still are exactly stale − fresh; any other known entry has recovered.
  const recovered = known.size - (stale.size - fresh.length);
  if (marks && (fresh.length > 0 || recovered > 0)) {
    const since = new Map<string, string[]>();
    for (const [queueId, at] of [...stale].sort(([a], [b]) => a.localeCompare(b))) {
      const ids = since.get(at);
      if (ids) ids.push(queueId);
      else since.set(at, [queueId]);
    }
    try {
      await deps.queueStates.saveStaleMarks(Object.fromEntries(since), marks.version);
    } catch (e) {
      // Another tick wrote them (a manual run): the next tick reads theirs and stages what is missing.
      deps.log.warn('stale marks not saved this tick', { error: errorMessage(e) });
    }
  }
  return [...stale.keys()];
}
