import { BatchGetCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { StateConflictError } from '../../core/errors';
import type { EvaluationSnapshot, QueueStateStore, StoredQueueState } from '../../core/persistence';
import {
  isConditionFailed,
  type Key,
  overridesKey,
  parseOverridesItem,
  parseQueueItem,
  queryPartition,
  queueKey,
  type StateTable,
} from './items';
import { Partition } from './table-definition';

/** BatchGetItem may hand back keys under throttling; these re-requests are the only extra calls. */
const MAX_UNPROCESSED_RETRIES = 5;

function requireId(queueId: string): void {
  if (typeof queueId !== 'string' || queueId.length === 0) {
    throw new TypeError('queueId: must be a non-empty string');
  }
}

/** Queue decision state, one item per queue, written optimistically on a `version` attribute. */
export class DynamoQueueStateStore implements QueueStateStore {
  constructor(private readonly table: StateTable) {}

  async load(queueId: string): Promise<StoredQueueState | undefined> {
    requireId(queueId);
    const { Item } = await this.table.doc.send(
      new GetCommand({ TableName: this.table.tableName, Key: queueKey(queueId), ConsistentRead: true }),
    );
    return Item ? parseQueueItem(Item) : undefined;
  }

  async loadForEvaluation(queueId: string): Promise<EvaluationSnapshot> {
    requireId(queueId);
    const items = await this.batchGet([queueKey(queueId), overridesKey()]);
    const queueItem = items.find((i) => i.pk === Partition.Queue);
    const overridesItem = items.find((i) => i.pk === Partition.Overrides);
    return {
      queue: queueItem ? parseQueueItem(queueItem) : undefined,
      overrides: parseOverridesItem(overridesItem),
    };
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

  private async batchGet(keys: Key[]): Promise<Record<string, unknown>[]> {
    const found: Record<string, unknown>[] = [];
    let pending: Record<string, unknown>[] = keys;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > MAX_UNPROCESSED_RETRIES) {
        throw new Error(`BatchGetItem left ${pending.length} key(s) unprocessed after ${attempt} attempts`);
      }
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * 25 * 2 ** attempt));
      const { Responses, UnprocessedKeys } = await this.table.doc.send(
        new BatchGetCommand({
          RequestItems: { [this.table.tableName]: { Keys: pending, ConsistentRead: true } },
        }),
      );
      found.push(...(Responses?.[this.table.tableName] ?? []));
      pending = UnprocessedKeys?.[this.table.tableName]?.Keys ?? [];
    }
    return found;
  }
}
