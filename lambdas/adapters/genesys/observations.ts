// ObservationSource over POST /api/v2/analytics/queues/observations/query.
import { settleBounded } from '../../core/bounded';
import { ObservationError } from '../../core/errors';
import type { QueueObservation } from '../../core/observation';
import type { Clock, ObservationRead, ObservationReadOptions, ObservationSource } from '../../core/ports';
import { isoInstant } from '../../core/time';
import { GenesysApiError } from './errors';
import type { GenesysSession } from './session';

/** Queue predicates per query. The API caps predicates per filter; 100 is a conservative chunk. */
export const DEFAULT_QUEUES_PER_QUERY = 100;
/**
 * Chunk queries in flight at once: a 5,000-queue tick is 50 queries, about 13 rounds instead of 50
 * one after another, and far under the 300 requests/min of one token (docs/genesys.md).
 */
export const QUERY_CONCURRENCY = 4;

/**
 * The query for one chunk of queues: waiting conversations, on-queue users by routing status, and queue
 * members. Members are asked for only so the response tells "no idle agents" (the queue's user group is
 * there, without an IDLE entry: 0) from "nothing known about this queue's users" (no user group at all:
 * null). A queue with members always has the group, whatever their status.
 */
export function observationQuery(queueIds: readonly string[]): unknown {
  return {
    filter: {
      type: 'or',
      predicates: queueIds.map((value) => ({
        type: 'dimension',
        dimension: 'queueId',
        operator: 'matches',
        value,
      })),
    },
    metrics: ['oWaiting', 'oOnQueueUsers', 'oMemberUsers'],
  };
}

const record = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

export { isoInstant };

/**
 * Reduces a response to one observation per asked queue:
 * - waiting = sum of oWaiting over every group of the queue (one group per media type);
 * - agentsAvailable = oOnQueueUsers with qualifier IDLE; zero counts are omitted by the API, so a missing
 *   IDLE entry is 0 — but only when the queue's user metrics are there at all (oMemberUsers or
 *   oOnQueueUsers); with no user metrics for the queue it is null (unknown), which never satisfies
 *   `agentsAvailableBelow`;
 * - a queue missing from the response has waiting 0.
 * Throws GenesysApiError if the body is not shaped like an observations response.
 */
export function observationsFromResponse(
  queueIds: readonly string[],
  body: unknown,
  observedAt: string,
): QueueObservation[] {
  const results = record(body)?.results;
  if (results !== undefined && !Array.isArray(results)) throw invalid('results is not an array');
  const waiting = new Map<string, number>(queueIds.map((q) => [q, 0]));
  const idle = new Map<string, number>(queueIds.map((q) => [q, 0]));
  const usersReported = new Set<string>();
  for (const result of (results ?? []) as unknown[]) {
    const queueId = record(record(result)?.group)?.queueId;
    if (typeof queueId !== 'string' || !waiting.has(queueId)) continue;
    const data = record(result)?.data ?? [];
    if (!Array.isArray(data)) throw invalid(`data of queue ${queueId} is not an array`);
    for (const datum of data) {
      const d = record(datum);
      const count = record(d?.stats)?.count ?? 0;
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
        throw invalid(`stats.count of ${String(d?.metric)} for queue ${queueId} is not a count`);
      }
      if (d?.metric === 'oWaiting') waiting.set(queueId, (waiting.get(queueId) ?? 0) + count);
      if (d?.metric === 'oOnQueueUsers' || d?.metric === 'oMemberUsers') usersReported.add(queueId);
      if (d?.metric === 'oOnQueueUsers' && d.qualifier === 'IDLE')
        idle.set(queueId, (idle.get(queueId) ?? 0) + count);
    }
  }
  return queueIds.map((queueId) => ({
    queueId,
    observedAt,
    waiting: waiting.get(queueId) ?? 0,
    agentsAvailable: usersReported.has(queueId) ? (idle.get(queueId) ?? 0) : null,
  }));
}

function invalid(detail: string): GenesysApiError {
  return new GenesysApiError(`observations query: unexpected response: ${detail}`, {
    operation: 'postAnalyticsQueuesObservationsQuery',
    kind: 'invalid-response',
    attempts: 1,
    retryable: false,
  });
}

export class GenesysObservationSource implements ObservationSource {
  constructor(
    private readonly session: GenesysSession,
    private readonly clock: Clock,
    private readonly queuesPerQuery: number = DEFAULT_QUEUES_PER_QUERY,
    private readonly queryConcurrency: number = QUERY_CONCURRENCY,
  ) {}

  /**
   * One query per `queuesPerQuery` queues, `queryConcurrency` at a time, results in queue order. Every observation is stamped with the clock time the
   * read started, so one poll tick yields one instant for all queues. Duplicates in `queueIds` are read once.
   * A chunk that fails is reported in `failures` and the others are still returned (their queues must
   * not go stale because another chunk failed); if every chunk fails, the first error is thrown.
   */
  async read(queueIds: readonly string[], options?: ObservationReadOptions): Promise<ObservationRead> {
    queueIds.forEach((q, i) => {
      if (typeof q !== 'string' || q.trim() === '')
        throw new ObservationError(`queueIds.${i}`, 'must be a non-empty string');
    });
    const unique = [...new Set(queueIds)];
    const observedAt = isoInstant(this.clock.now());
    const deadline = this.session.deadlineFor(options);
    const chunks: string[][] = [];
    const seen = new Set<string>();
    for (const group of options?.chunks ?? [unique]) {
      const ids = group.filter((q) => !seen.has(q) && seen.add(q));
      for (let i = 0; i < ids.length; i += this.queuesPerQuery)
        chunks.push(ids.slice(i, i + this.queuesPerQuery));
    }
    const settled = await settleBounded(chunks, this.queryConcurrency, async (chunk) => {
      const body = await this.session.call(
        `postAnalyticsQueuesObservationsQuery (${chunk.length} queues)`,
        (sdk) => sdk.analytics.postAnalyticsQueuesObservationsQuery(observationQuery(chunk)),
        deadline,
      );
      return observationsFromResponse(chunk, body, observedAt);
    });
    const observations: QueueObservation[] = [];
    const failures: { queueIds: string[]; error: string; cause: unknown }[] = [];
    settled.forEach((r, i) => {
      if (r.status === 'fulfilled') observations.push(...r.value);
      else {
        const e = r.reason;
        failures.push({
          queueIds: chunks[i] ?? [],
          error: e instanceof Error ? e.message : String(e),
          cause: e,
        });
      }
    });
    if (failures.length > 0 && observations.length === 0) throw failures[0]?.cause;
    return {
      observations,
      usedBreakGlass: this.session.usingBreakGlass,
      ...(failures.length > 0
        ? { failures: failures.map(({ queueIds: ids, error }) => ({ queueIds: ids, error })) }
        : {}),
    };
  }
}
