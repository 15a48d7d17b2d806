// The controller's one DynamoDB table, defined once: the CDK stack, the drill's dynalite and the tests
// all build it from here. Key layout and item shapes: docs/state-table.md.
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

export const TABLE_KEY = { partitionKey: 'pk', sortKey: 'sk' } as const;
/** Epoch seconds. Housekeeping only (sent outbox entries); no lock or state ever relies on it. */
export const TTL_ATTRIBUTE = 'ttl';

/**
 * Partition key values. Each partition is one collection of small items, so listing a collection is
 * one Query and an evaluation's reads are one BatchGetItem.
 */
export const Partition = {
  /**
   * sk = shard id (`0000`, `0001`, …): the decision states of a chunk of ≤ 100 queues in one item, each
   * with its own version, and the shard's optimistic version (docs/state-table.md, "Queue shards").
   */
  QueueShard: 'QUEUES',
  /** sk = queue id: one queue's state as items were before shards; read only to migrate them. */
  Queue: 'QUEUE',
  /**
   * sk = queue id: the shard that holds the queue's state (a placement pointer, written when the queue is
   * placed), so an event naming no shard reads one small item and that shard instead of every shard. A
   * hint only: missing or stale, the reader looks in every shard (docs/architecture.md).
   */
  QueueHome: 'QUEUE_HOME',
  /** sk = actuator id: demand set, applied state, fencing token, lease, paging episode. */
  Actuator: 'ACTUATOR',
  /** sk = OVERRIDES_SORT_KEY: the single item holding every manual override. */
  Overrides: 'OVERRIDES',
  /** sk = `<dedupKey>#<action>`: page outbox entries. */
  Page: 'PAGE',
  /** sk = `<kind>` or `<kind>#tier<n>`: one paging episode across queues (docs/resilience.md). */
  PageEpisode: 'PAGE_EPISODE',
  /** sk = STALE_MARKS_SORT_KEY: the queues known stale and already paged (one item). */
  StaleMarks: 'STALE',
  /** sk = breaker name (`genesys`, `pager`, …): the shared circuit breaker's state and counts. */
  Breaker: 'BREAKER',
} as const;
export const OVERRIDES_SORT_KEY = 'ALL';
export const STALE_MARKS_SORT_KEY = 'ALL';

/**
 * The sparse index of undelivered pages (docs/resilience.md, "Page delivery"): an outbox entry carries
 * `dueShard` only while pending or dead, so housekeeping queries what is due (`claimUntil < now`)
 * instead of every retained page. Two shards keep the priority order: urgent pages before informational.
 */
export const DUE_PAGES_INDEX = {
  name: 'due-pages',
  partitionKey: 'dueShard',
  sortKey: 'claimUntil',
} as const;

export function stateTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    AttributeDefinitions: [
      { AttributeName: TABLE_KEY.partitionKey, AttributeType: 'S' },
      { AttributeName: TABLE_KEY.sortKey, AttributeType: 'S' },
      { AttributeName: DUE_PAGES_INDEX.partitionKey, AttributeType: 'S' },
      { AttributeName: DUE_PAGES_INDEX.sortKey, AttributeType: 'N' },
    ],
    KeySchema: [
      { AttributeName: TABLE_KEY.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_KEY.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: DUE_PAGES_INDEX.name,
        KeySchema: [
          { AttributeName: DUE_PAGES_INDEX.partitionKey, KeyType: 'HASH' },
          { AttributeName: DUE_PAGES_INDEX.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
    BillingMode: 'PAY_PER_REQUEST',
  };
}

/** Creates the table (local stand-ins only: in AWS the CDK stack owns it). TTL is set by CDK; dynalite has none. */
export async function createStateTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new CreateTableCommand(stateTableDefinition(tableName)));
  for (let attempt = 0; attempt < 500; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}
