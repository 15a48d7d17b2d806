import { BatchGetCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { StateConflictError, StoredItemError } from '../../core/errors';
import { lazySchema } from '../../core/lazy-schema';
import type {
  BatchEvaluationSnapshot,
  EvaluationSnapshot,
  QueueStateStore,
  StaleMarks,
  StoredQueueState,
} from '../../core/persistence';
import {
  isConditionFailed,
  type Key,
  overridesKey,
  parseOverridesItem,
  parseQueueItem,
  parseWith,
  queryPartition,
  queueKey,
  type StateTable,
  staleMarksKey,
} from './items';
import { Partition } from './table-definition';

/** BatchGetItem may hand back keys under throttling; these re-requests are the only extra calls. */
const MAX_UNPROCESSED_RETRIES = 5;
/** BatchGetItem reads at most 100 keys per call. */
const MAX_KEYS_PER_BATCH_GET = 100;
/** Full-jitter backoff before re-requesting unprocessed keys: base and cap, ms (AWS SDK guidance). */
const UNPROCESSED_BACKOFF_BASE_MS = 25;
const UNPROCESSED_BACKOFF_CAP_MS = 1_000;

export interface QueueStateStoreOptions {
  /** Waits before re-requesting unprocessed keys (a simulated clock's sleep in drills). @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Uniform [0, 1) for the jitter. @default Math.random */
  readonly random?: () => number;
}

const StaleMarksSchema = lazySchema(() => z.record(z.string(), z.array(z.string().min(1))));

function requireId(queueId: string): void {
  if (typeof queueId !== 'string' || queueId.length === 0) {
    throw new TypeError('queueId: must be a non-empty string');
  }
}

/** Queue decision state, one item per queue, written optimistically on a `version` attribute. */
export class DynamoQueueStateStore implements QueueStateStore {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(
    private readonly table: StateTable,
    options: QueueStateStoreOptions = {},
  ) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  async load(queueId: string): Promise<StoredQueueState | undefined> {
    requireId(queueId);
    const { Item } = await this.table.doc.send(
      new GetCommand({ TableName: this.table.tableName, Key: queueKey(queueId), ConsistentRead: true }),
    );
    return Item ? parseQueueItem(Item) : undefined;
  }

  async loadForEvaluation(queueId: string): Promise<EvaluationSnapshot> {
    requireId(queueId);
    const { found } = await this.batchGet([queueKey(queueId), overridesKey()], { throwIfUnprocessed: true });
    const queueItem = found.find((i) => i.pk === Partition.Queue);
    const overridesItem = found.find((i) => i.pk === Partition.Overrides);
    return {
      queue: queueItem ? parseQueueItem(queueItem) : undefined,
      overrides: parseOverridesItem(overridesItem),
    };
  }

  /**
   * The chunk's states and the overrides item: ⌈(queues + 1) / 100⌉ BatchGetItem calls, in parallel,
   * strongly consistent. Keys DynamoDB leaves unprocessed are re-requested with full-jitter backoff;
   * what is still missing after that (or is not a valid item) comes back in `unread`, and the
   * overrides item, if it was among them, is read on its own (no queue can be decided without it).
   */
  async loadManyForEvaluation(queueIds: readonly string[]): Promise<BatchEvaluationSnapshot> {
    queueIds.forEach(requireId);
    const unique = [...new Set(queueIds)];
    const keys: Key[] = [overridesKey(), ...unique.map(queueKey)];
    const groups: Key[][] = [];
    for (let i = 0; i < keys.length; i += MAX_KEYS_PER_BATCH_GET)
      groups.push(keys.slice(i, i + MAX_KEYS_PER_BATCH_GET));
    const reads = await Promise.all(groups.map((g) => this.batchGet(g, { throwIfUnprocessed: false })));
    const queues = new Map<string, StoredQueueState>();
    const unread = new Set<string>();
    let overridesItem: Record<string, unknown> | undefined;
    let overridesRead = true;
    for (const { found, unprocessed } of reads) {
      for (const item of found) {
        if (item.pk === Partition.Overrides) {
          overridesItem = item;
          continue;
        }
        try {
          const parsed = parseQueueItem(item);
          queues.set(parsed.queueId, parsed);
        } catch (e) {
          if (!(e instanceof StoredItemError)) throw e;
          unread.add(String(item.sk)); // its own read fails with this error, for this queue only
        }
      }
      for (const key of unprocessed) {
        if (key.pk === Partition.Overrides) overridesRead = false;
        else unread.add(String(key.sk));
      }
    }
    const overrides = overridesRead
      ? parseOverridesItem(overridesItem)
      : parseOverridesItem(
          (
            await this.table.doc.send(
              new GetCommand({ TableName: this.table.tableName, Key: overridesKey(), ConsistentRead: true }),
            )
          ).Item,
        );
    return { queues, overrides, unread: [...unread] };
  }

  async loadStaleMarks(): Promise<StaleMarks> {
    const { Item } = await this.table.doc.send(
      new GetCommand({ TableName: this.table.tableName, Key: staleMarksKey(), ConsistentRead: true }),
    );
    if (!Item) return { since: {}, version: undefined };
    const where = `${Partition.StaleMarks}/${Item.sk}`;
    const version = Item.version;
    if (typeof version !== 'number' || !Number.isInteger(version) || version < 1)
      throw new StoredItemError(where, 'version', 'must be a positive integer');
    let json: unknown;
    try {
      json = JSON.parse(String(Item.since));
    } catch (cause) {
      throw new StoredItemError(where, 'since', 'is not valid JSON', { cause });
    }
    const since = parseWith(
      StaleMarksSchema(),
      json,
      (field, detail) => new StoredItemError(where, `since.${field}`, detail),
    );
    return { since, version };
  }

  async saveStaleMarks(
    since: Readonly<Record<string, readonly string[]>>,
    expectedVersion: number | undefined,
  ): Promise<void> {
    try {
      await this.table.doc.send(
        new PutCommand({
          TableName: this.table.tableName,
          // One JSON string: a few hundred kilobytes at most even with 5,000 queues stale at once.
          Item: {
            ...staleMarksKey(),
            since: JSON.stringify(since),
            version: (expectedVersion ?? 0) + 1,
            updatedAt: this.table.clock.now(),
          },
          ConditionExpression:
            expectedVersion === undefined ? 'attribute_not_exists(pk)' : '#version = :expected',
          ...(expectedVersion === undefined
            ? {}
            : {
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':expected': expectedVersion },
              }),
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      throw new StateConflictError('stale marks: written by someone else since they were read', {
        cause: error,
      });
    }
  }

  async save(queueId: string, state: unknown, expectedVersion: number | undefined): Promise<number> {
    requireId(queueId);
    if (expectedVersion !== undefined && !(Number.isInteger(expectedVersion) && expectedVersion > 0)) {
      throw new TypeError(`expectedVersion: must be a positive integer or undefined, got ${expectedVersion}`);
    }
    const json = JSON.stringify(state);
    if (json === undefined) throw new TypeError('state: must be JSON-serialisable');
    const version = (expectedVersion ?? 0) + 1;

    // Conditions to save: the queue has no item yet (create), or its version is still the one we read.
    const queueHasNoState = 'attribute_not_exists(pk)';
    const versionUnchanged = '#version = :expectedVersion';
    try {
      await this.table.doc.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: { ...queueKey(queueId), state: json, version, updatedAt: this.table.clock.now() },
          ConditionExpression: expectedVersion === undefined ? queueHasNoState : versionUnchanged,
          ...(expectedVersion === undefined
            ? {}
            : {
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':expectedVersion': expectedVersion },
              }),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      // Real DynamoDB returns the current item; dynalite does not, so the found version may be unknown.
      const found = (error.Item?.version as { N?: string } | undefined)?.N;
      throw new StateConflictError(
        `queue ${queueId}: expected ${expectedVersion === undefined ? 'no state' : `version ${expectedVersion}`}` +
          `, found ${found ? `version ${found}` : 'a newer write'}; re-read and re-decide`,
        { cause: error },
      );
    }
    return version;
  }

  async list(): Promise<StoredQueueState[]> {
    return queryPartition(this.table, Partition.Queue, parseQueueItem);
  }

  /** One BatchGetItem (≤ 100 keys) and its re-requests of unprocessed keys, with full-jitter backoff. */
  private async batchGet(
    keys: Key[],
    options: { throwIfUnprocessed: boolean },
  ): Promise<{ found: Record<string, unknown>[]; unprocessed: Key[] }> {
    const found: Record<string, unknown>[] = [];
    let pending: Record<string, unknown>[] = keys;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > MAX_UNPROCESSED_RETRIES) {
        if (!options.throwIfUnprocessed) return { found, unprocessed: pending as Key[] };
        throw new Error(`BatchGetItem left ${pending.length} key(s) unprocessed after ${attempt} attempts`);
      }
      if (attempt > 0) {
        const cap = Math.min(UNPROCESSED_BACKOFF_CAP_MS, UNPROCESSED_BACKOFF_BASE_MS * 2 ** attempt);
        await this.sleep(Math.floor(this.random() * cap)); // whole ms: clocks stay integral
      }
      const { Responses, UnprocessedKeys } = await this.table.doc.send(
        new BatchGetCommand({
          RequestItems: { [this.table.tableName]: { Keys: pending, ConsistentRead: true } },
        }),
      );
      found.push(...(Responses?.[this.table.tableName] ?? []));
      pending = UnprocessedKeys?.[this.table.tableName]?.Keys ?? [];
    }
    return { found, unprocessed: [] };
  }
}
