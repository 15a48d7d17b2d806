// The queue-state store on dynalite, shared by the store's test files: one server per file, a fresh
// table per test, a call counter, a raw document client for hand edits, and the items to look at.
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { createDynamoPersistence, type DynamoPersistence } from '../../../lambdas/adapters/dynamodb';
import { countDynamoCalls, type LocalDynamo, startLocalDynamo } from '../../support/local-dynamo';
import { plantQueueCopy } from '../../support/queue-states';

export { quietState } from '../../support/queue-states';

/** A shard item as stored (docs/state-table.md, "Queue shards"). */
export type ShardItem = Record<string, unknown> & { states: Record<string, string>; version: number };

export interface QueueStoreTable {
  readonly dynamo: LocalDynamo;
  readonly store: DynamoPersistence;
  readonly tableName: string;
  readonly raw: DynamoDBDocumentClient;
  readonly calls: ReturnType<typeof countDynamoCalls>;
  /** The item `pk`/`sk` as stored (undefined if none). */
  item(pk: string, sk: string): Promise<Record<string, unknown> | undefined>;
  /** The shard item `QUEUES/<shardId>`. */
  shardItem(shardId: string): Promise<ShardItem | undefined>;
  /** The shard a queue's placement pointer names (undefined: no pointer). */
  pointerOf(queueId: string): Promise<string | undefined>;
  /**
   * Writes a copy of `state` into a shard by hand, as placements before pointers (or two that raced)
   * left them: no pointer is written or changed.
   */
  plantCopy(shardId: string, queueId: string, state: unknown, version: number): Promise<void>;
  /** Writes a queue's item of the layout before shards (`QUEUE`/<id>), as a deployed table holds them. */
  plantLegacy(queueId: string, state: unknown, version: number): Promise<void>;
}

/**
 * For a test file: starts dynalite before all tests, a fresh table and stores before each (on `clock`),
 * and returns a live view of them (read its fields inside tests).
 */
export function queueStoreTable(clock: { now(): number }): QueueStoreTable {
  let dynamo: LocalDynamo;
  let store: DynamoPersistence;
  let tableName: string;
  let raw: DynamoDBDocumentClient;
  let calls: ReturnType<typeof countDynamoCalls>;
  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    calls = countDynamoCalls(dynamo.client);
    raw = DynamoDBDocumentClient.from(dynamo.client);
  });
  afterAll(async () => dynamo.stop());
  beforeEach(async () => {
    // A fresh table per test keeps them independent without restarting the server.
    tableName = await dynamo.createTable();
    store = createDynamoPersistence({ client: dynamo.client, tableName, clock });
    calls.reset();
  });
  const item = async (pk: string, sk: string) =>
    (await raw.send(new GetCommand({ TableName: tableName, Key: { pk, sk } }))).Item;
  return {
    get dynamo() {
      return dynamo;
    },
    get store() {
      return store;
    },
    get tableName() {
      return tableName;
    },
    get raw() {
      return raw;
    },
    get calls() {
      return calls;
    },
    item,
    shardItem: async (shardId) => (await item('QUEUES', shardId)) as ShardItem | undefined,
    pointerOf: async (queueId) => (await item('QUEUE_HOME', queueId))?.shardId as string | undefined,
    async plantLegacy(queueId, state, version) {
      await raw.send(
        new PutCommand({
          TableName: tableName,
          Item: { pk: 'QUEUE', sk: queueId, state: JSON.stringify(state), version, updatedAt: 1 },
        }),
      );
    },
    plantCopy: (shardId, queueId, state, version) =>
      plantQueueCopy({ raw, tableName, now: clock.now() }, shardId, queueId, state, version),
  };
}
