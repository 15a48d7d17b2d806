import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import {
  type BreakerCounts,
  type BreakerState,
  type BreakerStore,
  hydrateBreakerState,
  INITIAL_BREAKER_STATE,
  type StoredBreaker,
} from '../../core/circuit-breaker';
import { StoredItemError } from '../../core/errors';
import { lazySchema } from '../../core/lazy-schema';
import type { Page } from '../../core/ports';
import { isConditionFailed, queryPartition, type StateTable } from './items';
import { Partition } from './table-definition';

/*
 * Shared circuit breakers, one item per breaker in the state table (pk BREAKER, sk = name).
 *
 *   attribute            written by                       how
 *   ───────────────────  ───────────────────────────────  ─────────────────────────────────────────────
 *   c_<bucket>, f_<bucket>  every failure at once, successes  ADD (atomic), only while status = closed
 *                          batched per container (≤ 1 / 5 s)
 *   consecutiveFailures   the same writes                   ADD 1 on a failure; SET 0 by a success batch
 *                                                            newer than lastFailureAt (condition)
 *   status, revision, …   transitions                       SET, condition revision = the one read
 *
 * Counts never bump `revision`, so a transition decided on a read stays valid while other containers add
 * counts; two transitions from the same revision cannot both win (20 containers that all see the 5th
 * failure make one OPEN write, and one page). The half-open probe is elected the same way: the write that
 * sets `probeOwner` is conditional on the revision, so one caller probes.
 */

const key = (name: string) => ({ pk: Partition.Breaker, sk: name });
const COUNT_ATTRIBUTE = /^([cf])_(-?\d+)$/;

const ItemSchema = lazySchema(() => {
  const epochMs = z.number().int().nonnegative();
  const count = z.number().int().nonnegative();
  return z.object({
    sk: z.string().min(1),
    status: z.enum(['closed', 'open', 'half-open']).optional(),
    revision: count.optional(),
    episode: count.optional(),
    consecutiveFailures: z.number().int().optional(),
    lastFailureAt: epochMs.optional(),
    lastError: z.string().optional(),
    openedAt: epochMs.optional(),
    openMs: z.number().int().positive().optional(),
    openUntil: epochMs.optional(),
    cause: z.record(z.string(), z.unknown()).optional(),
    probeSuccesses: count.optional(),
    probeOwner: z.string().optional(),
    probeLeaseUntil: epochMs.optional(),
    pagedEpisode: count.optional(),
    resolvedEpisode: count.optional(),
  });
});

/** Reads an item (or its absence) into the domain's StoredBreaker; a bad item names its attribute. */
export function parseBreakerItem(name: string, item: Record<string, unknown> | undefined): StoredBreaker {
  if (!item) {
    return {
      name,
      state: INITIAL_BREAKER_STATE,
      revision: 0,
      pagedEpisode: 0,
      resolvedEpisode: 0,
      countedBuckets: [],
    };
  }
  const parsed = ItemSchema().safeParse(item);
  const where = `${Partition.Breaker}/${name}`;
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new StoredItemError(
      where,
      issue?.path.map(String).join('.') || '(item)',
      issue?.message ?? 'invalid',
    );
  }
  const a = parsed.data;
  const buckets = new Map<number, { calls: number; failures: number }>();
  for (const [attribute, value] of Object.entries(item)) {
    const m = COUNT_ATTRIBUTE.exec(attribute);
    if (!m) continue;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw new StoredItemError(where, attribute, 'must be an integer count');
    }
    const index = Number(m[2]);
    const b = buckets.get(index) ?? { calls: 0, failures: 0 };
    if (m[1] === 'c') b.calls += value;
    else b.failures += value;
    buckets.set(index, b);
  }
  const countedBuckets = [...buckets.keys()].sort((x, y) => x - y);
  const lastFailure =
    a.lastFailureAt !== undefined ? { lastFailure: { at: a.lastFailureAt, error: a.lastError ?? '' } } : {};
  const tripped = {
    episode: a.episode,
    openedAt: a.openedAt,
    openMs: a.openMs,
    cause: a.cause,
    ...lastFailure,
  };
  let json: unknown;
  switch (a.status ?? 'closed') {
    case 'closed':
      json = {
        status: 'closed',
        episode: a.episode ?? 0,
        // A failure ADDed after a success batch's SET can only make it larger; never below 0.
        consecutiveFailures: Math.max(0, a.consecutiveFailures ?? 0),
        window: countedBuckets.map((index) => ({ index, ...(buckets.get(index) as object) })),
        ...lastFailure,
      };
      break;
    case 'open':
      json = { status: 'open', ...tripped, openUntil: a.openUntil };
      break;
    default:
      json = {
        status: 'half-open',
        ...tripped,
        probeSuccesses: a.probeSuccesses ?? 0,
        ...(a.probeOwner !== undefined && a.probeLeaseUntil !== undefined
          ? { probe: { owner: a.probeOwner, leaseUntil: a.probeLeaseUntil } }
          : {}),
      };
  }
  let state: BreakerState;
  try {
    state = hydrateBreakerState(json);
  } catch (error) {
    throw new StoredItemError(where, 'state', (error as Error).message, { cause: error });
  }
  return {
    name,
    state,
    revision: a.revision ?? 0,
    pagedEpisode: a.pagedEpisode ?? 0,
    resolvedEpisode: a.resolvedEpisode ?? 0,
    countedBuckets,
  };
}

/** Names and values of one update expression, built up clause by clause. */
class Expression {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  readonly set: string[] = [];
  readonly add: string[] = [];
  readonly remove: string[] = [];
  private n = 0;
  name(attribute: string): string {
    const placeholder = `#a${this.n++}`;
    this.names[placeholder] = attribute;
    return placeholder;
  }
  value(v: unknown): string {
    const placeholder = `:v${this.n++}`;
    this.values[placeholder] = v;
    return placeholder;
  }
  text(): string {
    return [
      this.set.length ? `SET ${this.set.join(', ')}` : '',
      this.add.length ? `ADD ${this.add.join(', ')}` : '',
      this.remove.length ? `REMOVE ${this.remove.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' ');
  }
}

/** Fields each status keeps; the others are removed when a transition writes that status. */
const TRIPPED_FIELDS = ['openedAt', 'openMs', 'cause'] as const;
const ALL_STATE_FIELDS = [
  ...TRIPPED_FIELDS,
  'openUntil',
  'probeSuccesses',
  'probeOwner',
  'probeLeaseUntil',
  'consecutiveFailures',
  'lastFailureAt',
  'lastError',
] as const;

export class DynamoBreakerStore implements BreakerStore {
  constructor(private readonly table: StateTable) {}

  async get(name: string): Promise<StoredBreaker> {
    requireName(name);
    const { Item } = await this.table.doc.send(
      new GetCommand({ TableName: this.table.tableName, Key: key(name), ConsistentRead: true }),
    );
    return parseBreakerItem(name, Item);
  }

  async list(): Promise<StoredBreaker[]> {
    return queryPartition(this.table, Partition.Breaker, (item) => parseBreakerItem(String(item.sk), item));
  }

  async addCounts(name: string, counts: BreakerCounts, now: number): Promise<StoredBreaker> {
    requireName(name);
    const live = new Set(counts.buckets.map((b) => b.index));
    const build = (streak: 'reset' | 'add' | 'keep', failureResets: boolean) => {
      const e = new Expression();
      for (const b of counts.buckets) {
        if (b.calls > 0) e.add.push(`${e.name(`c_${b.index}`)} ${e.value(b.calls)}`);
        if (b.failures > 0) e.add.push(`${e.name(`f_${b.index}`)} ${e.value(b.failures)}`);
      }
      for (const index of counts.expired ?? []) {
        if (live.has(index)) continue;
        e.remove.push(e.name(`c_${index}`), e.name(`f_${index}`));
      }
      const streakName = () => e.name('consecutiveFailures');
      if (counts.failure) {
        e.set.push(`${e.name('lastFailureAt')} = ${e.value(counts.failure.at)}`);
        e.set.push(`${e.name('lastError')} = ${e.value(counts.failure.error.slice(0, 500))}`);
        if (failureResets) e.set.push(`${streakName()} = ${e.value(1)}`);
        else e.add.push(`${streakName()} ${e.value(1)}`);
      } else if (streak === 'reset') {
        e.set.push(`${streakName()} = ${e.value(0)}`);
      }
      e.set.push(`${e.name('updatedAt')} = ${e.value(now)}`);
      const status = e.name('status');
      const closed = `(attribute_not_exists(${status}) OR ${status} = ${e.value('closed')})`;
      let condition = closed;
      if (streak === 'reset' || failureResets) {
        // Only a success newer than the last failure anywhere ends the streak.
        const lastFailureAt = e.name('lastFailureAt');
        condition = `${closed} AND (attribute_not_exists(${lastFailureAt}) OR ${lastFailureAt} < ${e.value(counts.lastSuccessAt)})`;
      }
      return { e, condition };
    };

    const hasSuccesses = counts.lastSuccessAt !== undefined;
    const attempts: ['reset' | 'add' | 'keep', boolean][] = counts.failure
      ? hasSuccesses
        ? [
            ['add', true],
            ['add', false],
          ]
        : [['add', false]]
      : hasSuccesses
        ? [
            ['reset', false],
            ['keep', false],
          ]
        : [['keep', false]];
    for (const [streak, failureResets] of attempts) {
      const { e, condition } = build(streak, failureResets);
      try {
        const { Attributes } = await this.table.doc.send(
          new UpdateCommand({
            TableName: this.table.tableName,
            Key: key(name),
            UpdateExpression: e.text(),
            ConditionExpression: condition,
            ExpressionAttributeNames: e.names,
            ExpressionAttributeValues: e.values,
            ReturnValues: 'ALL_NEW',
          }),
        );
        return parseBreakerItem(name, Attributes);
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
    }
    // Not closed any more (opened elsewhere): the counts no longer matter.
    return this.get(name);
  }

  async transition(
    previous: StoredBreaker,
    next: BreakerState,
    now: number,
  ): Promise<StoredBreaker | undefined> {
    requireName(previous.name);
    const e = new Expression();
    const put = (attribute: string, value: unknown) => e.set.push(`${e.name(attribute)} = ${e.value(value)}`);
    const kept = new Set<string>();
    const keep = (attribute: string, value: unknown) => {
      kept.add(attribute);
      put(attribute, value);
    };
    put('status', next.status);
    put('episode', next.episode);
    put('revision', previous.revision + 1);
    put('updatedAt', now);
    if (next.lastFailure) {
      keep('lastFailureAt', next.lastFailure.at);
      keep('lastError', next.lastFailure.error.slice(0, 500));
    }
    if (next.status === 'closed') {
      keep('consecutiveFailures', next.consecutiveFailures);
    } else {
      keep('openedAt', next.openedAt);
      keep('openMs', next.openMs);
      keep('cause', next.cause);
      if (next.status === 'open') keep('openUntil', next.openUntil);
      else {
        keep('probeSuccesses', next.probeSuccesses);
        if (next.probe) {
          keep('probeOwner', next.probe.owner);
          keep('probeLeaseUntil', next.probe.leaseUntil);
        }
      }
    }
    for (const attribute of ALL_STATE_FIELDS) if (!kept.has(attribute)) e.remove.push(e.name(attribute));
    // Opening and closing start the counts afresh; electing a probe leaves them (there are none).
    if (next.status !== previous.state.status && next.status !== 'half-open') {
      for (const index of previous.countedBuckets) e.remove.push(e.name(`c_${index}`), e.name(`f_${index}`));
    }
    const revision = e.name('revision');
    const condition =
      previous.revision === 0
        ? `attribute_not_exists(${revision})`
        : `${revision} = ${e.value(previous.revision)}`;
    try {
      const { Attributes } = await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: key(previous.name),
          UpdateExpression: e.text(),
          ConditionExpression: condition,
          ExpressionAttributeNames: e.names,
          ExpressionAttributeValues: e.values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return parseBreakerItem(previous.name, Attributes);
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  }

  async markPaged(name: string, episode: number, action: Page['action']): Promise<void> {
    requireName(name);
    const attribute = action === 'trigger' ? 'pagedEpisode' : 'resolvedEpisode';
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: key(name),
          UpdateExpression: 'SET #paged = :episode',
          ConditionExpression: 'attribute_not_exists(#paged) OR #paged < :episode',
          ExpressionAttributeNames: { '#paged': attribute },
          ExpressionAttributeValues: { ':episode': episode },
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error; // a later episode is already marked
    }
  }
}

function requireName(name: string): void {
  if (typeof name !== 'string' || name.length === 0)
    throw new TypeError('breaker name: must be a non-empty string');
}
