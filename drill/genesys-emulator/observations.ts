// Queue observations as Genesys Cloud serves them from POST /api/v2/analytics/queues/observations/query:
// conversation metrics (oWaiting) grouped per {queueId, mediaType}, user metrics (oOnQueueUsers) grouped
// per {queueId} with the routing status as qualifier, zero counts left out.
import type { QueueObservation } from '../../lambdas/core/observation';
import { badRequest, isPlainObject } from './http';

/** What the emulator knows about one queue right now. */
export interface EmulatedObservation {
  readonly waiting: number;
  /**
   * On-queue IDLE users. `null` (unknown) is served as no user metrics at all for the queue (no
   * oMemberUsers, no oOnQueueUsers), which the adapter reads back as unknown.
   */
  readonly agentsAvailable: number | null;
  /** Queue members whatever their status (oMemberUsers). Default: idle + interacting + 2 off queue. */
  readonly members?: number;
  /** On-queue INTERACTING users (default 0). Served so clients must filter by qualifier. */
  readonly agentsInteracting?: number;
  /** How `waiting` splits across media types (must sum to `waiting`). Default: voice/chat/message. */
  readonly waitingByMediaType?: Readonly<Record<string, number>>;
}

export const MEDIA_TYPES = ['voice', 'chat', 'message', 'email', 'callback'] as const;

/** Metrics the endpoint accepts (a subset of the real list); only oWaiting and oOnQueueUsers carry data here. */
const KNOWN_METRICS = new Set([
  'oWaiting',
  'oInteracting',
  'oAlerting',
  'oLongestWaiting',
  'oLongestInteracting',
  'oOnQueueUsers',
  'oActiveUsers',
  'oMemberUsers',
  'oUserPresences',
  'oUserRoutingStatuses',
]);

const count = (v: unknown, field: string): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new RangeError(`${field} must be an integer ≥ 0, got ${JSON.stringify(v)}`);
  }
  return v;
};

/** Splits a waiting count over media types so clients have to sum groups (voice gets the remainder). */
export function defaultMediaSplit(waiting: number): Record<string, number> {
  const chat = Math.floor(waiting / 3);
  const message = Math.floor(waiting / 6);
  return { voice: waiting - chat - message, chat, message };
}

function checkObservation(queueId: string, o: EmulatedObservation): EmulatedObservation {
  if (typeof queueId !== 'string' || queueId === '')
    throw new RangeError('queueId must be a non-empty string');
  count(o.waiting, 'waiting');
  if (o.agentsAvailable !== null) count(o.agentsAvailable, 'agentsAvailable');
  if (o.agentsInteracting !== undefined) count(o.agentsInteracting, 'agentsInteracting');
  if (o.members !== undefined) count(o.members, 'members');
  if (o.waitingByMediaType) {
    const parts = Object.entries(o.waitingByMediaType);
    for (const [media, n] of parts) count(n, `waitingByMediaType.${media}`);
    const sum = parts.reduce((s, [, n]) => s + n, 0);
    if (sum !== o.waiting) throw new RangeError(`waitingByMediaType sums to ${sum}, waiting is ${o.waiting}`);
  }
  return o;
}

interface TimedObservation {
  readonly at: number;
  readonly observation: EmulatedObservation;
}

/** The queues' observations: fixed (setObservation) or following a scenario on the simulated clock. */
export class ObservationBook {
  private readonly fixed = new Map<string, EmulatedObservation>();
  private readonly timelines = new Map<string, TimedObservation[]>();

  constructor(private readonly now: () => number) {}

  set(queueId: string, observation: EmulatedObservation): void {
    this.fixed.set(queueId, checkObservation(queueId, observation));
    this.timelines.delete(queueId);
  }

  /**
   * Each queue then reports its scenario line with the greatest observedAt ≤ now (ties: the later line).
   * Replaces any fixed observation of the queues the scenario names.
   */
  follow(lines: readonly QueueObservation[]): void {
    const byQueue = new Map<string, TimedObservation[]>();
    for (const line of lines) {
      const at = Date.parse(line.observedAt);
      if (!Number.isFinite(at))
        throw new RangeError(`observedAt must be an ISO timestamp, got ${line.observedAt}`);
      const observation = checkObservation(line.queueId, {
        waiting: line.waiting,
        agentsAvailable: line.agentsAvailable,
      });
      const list = byQueue.get(line.queueId) ?? [];
      list.push({ at, observation });
      byQueue.set(line.queueId, list);
    }
    for (const [queueId, list] of byQueue) {
      // A stable sort keeps file order among equal timestamps, so the later line wins a tie.
      this.timelines.set(
        queueId,
        list.sort((a, b) => a.at - b.at),
      );
      this.fixed.delete(queueId);
    }
  }

  /** The queue's observation now; undefined if the queue is unknown or its scenario has not started. */
  current(queueId: string): EmulatedObservation | undefined {
    const fixed = this.fixed.get(queueId);
    if (fixed) return fixed;
    const timeline = this.timelines.get(queueId);
    if (!timeline) return undefined;
    const now = this.now();
    let found: EmulatedObservation | undefined;
    for (const entry of timeline) {
      if (entry.at > now) break;
      found = entry.observation;
    }
    return found;
  }

  queueIds(): string[] {
    return [...new Set([...this.fixed.keys(), ...this.timelines.keys()])];
  }
}

export interface ObservationQuery {
  readonly queueIds: readonly string[];
  readonly mediaTypes: ReadonlySet<string> | undefined;
  readonly metrics: ReadonlySet<string>;
}

/** Validates a query body the way the API does; returns what it asks for. */
export function parseObservationQuery(body: unknown, maxPredicates: number): ObservationQuery {
  if (!isPlainObject(body)) throw badRequest('the query must be a JSON object');
  const { filter, metrics } = body;
  if (!isPlainObject(filter)) throw badRequest('filter is required');
  if (filter.type !== 'or' && filter.type !== 'and') throw badRequest("filter.type must be 'or' or 'and'");
  const clauses = filter.clauses ?? [];
  if (!Array.isArray(clauses)) throw badRequest('filter.clauses must be an array');
  const groups: { path: string; predicates: unknown }[] = [
    { path: 'filter', predicates: filter.predicates ?? [] },
  ];
  clauses.forEach((c, i) => {
    if (!isPlainObject(c)) throw badRequest(`filter.clauses[${i}] must be an object`);
    groups.push({ path: `filter.clauses[${i}]`, predicates: c.predicates ?? [] });
  });
  const queueIds: string[] = [];
  const mediaTypes = new Set<string>();
  let predicateCount = 0;
  for (const { path, predicates } of groups) {
    if (!Array.isArray(predicates)) throw badRequest(`${path}.predicates must be an array`);
    predicates.forEach((p, i) => {
      const where = `${path}.predicates[${i}]`;
      if (!isPlainObject(p)) throw badRequest(`${where} must be an object`);
      if (p.type !== undefined && p.type !== 'dimension')
        throw badRequest(`${where}.type must be 'dimension'`);
      if (p.operator !== undefined && p.operator !== 'matches')
        throw badRequest(`${where}.operator must be 'matches'`);
      if (typeof p.value !== 'string' || p.value === '')
        throw badRequest(`${where}.value must be a non-empty string`);
      if (p.dimension === 'queueId') queueIds.push(p.value);
      else if (p.dimension === 'mediaType') mediaTypes.add(p.value);
      else throw badRequest(`${where}.dimension must be 'queueId' or 'mediaType'`);
      predicateCount += 1;
    });
  }
  if (predicateCount > maxPredicates) {
    throw badRequest(`the filter has ${predicateCount} predicates; at most ${maxPredicates} are allowed`);
  }
  if (queueIds.length === 0) throw badRequest('the filter must name at least one queueId');
  if (!Array.isArray(metrics) || metrics.length === 0) throw badRequest('metrics must be a non-empty array');
  for (const m of metrics) {
    if (typeof m !== 'string' || !KNOWN_METRICS.has(m))
      throw badRequest(`metrics: unknown metric ${JSON.stringify(m)}`);
  }
  return {
    queueIds: [...new Set(queueIds)],
    mediaTypes: mediaTypes.size ? mediaTypes : undefined,
    metrics: new Set(metrics as string[]),
  };
}

interface Datum {
  readonly metric: string;
  readonly qualifier?: string;
  readonly stats: { readonly count: number };
}
export interface ObservationResult {
  readonly group: { readonly queueId: string; readonly mediaType?: string };
  readonly data?: readonly Datum[];
}

/** The response body for a parsed query. Unknown queues are left out of `results`. */
export function answerObservationQuery(
  query: ObservationQuery,
  current: (queueId: string) => EmulatedObservation | undefined,
): { results: ObservationResult[] } {
  const results: ObservationResult[] = [];
  for (const queueId of query.queueIds) {
    const o = current(queueId);
    if (!o) continue;
    const before = results.length;
    if (query.metrics.has('oWaiting')) {
      const split = o.waitingByMediaType ?? defaultMediaSplit(o.waiting);
      for (const [mediaType, n] of Object.entries(split)) {
        if (n === 0 || (query.mediaTypes && !query.mediaTypes.has(mediaType))) continue;
        results.push({ group: { queueId, mediaType }, data: [{ metric: 'oWaiting', stats: { count: n } }] });
      }
    }
    // Unknown agents: the queue's user group is left out entirely (see EmulatedObservation).
    if (
      o.agentsAvailable !== null &&
      (query.metrics.has('oOnQueueUsers') || query.metrics.has('oMemberUsers'))
    ) {
      const data: Datum[] = [];
      const idle = o.agentsAvailable;
      const interacting = o.agentsInteracting ?? 0;
      const members = o.members ?? idle + interacting + 2;
      if (query.metrics.has('oOnQueueUsers')) {
        if (idle > 0) data.push({ metric: 'oOnQueueUsers', qualifier: 'IDLE', stats: { count: idle } });
        if (interacting > 0)
          data.push({ metric: 'oOnQueueUsers', qualifier: 'INTERACTING', stats: { count: interacting } });
      }
      if (query.metrics.has('oMemberUsers') && members > 0)
        data.push({ metric: 'oMemberUsers', stats: { count: members } });
      if (data.length) results.push({ group: { queueId }, data });
    }
    if (results.length === before) results.push({ group: { queueId } });
  }
  return { results };
}
