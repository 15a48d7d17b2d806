// Queue states for tests of the queue-state store and the pipeline: hand-built states, and copies
// written into a shard item by hand (as placements before pointers, or two that raced, left them).
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { encodeQueueEntry } from '../../lambdas/adapters/dynamodb/queue-state-codec';
import type { QueueState } from '../../lambdas/core/decide';

/** A queue with nothing going on: every tier inactive, streaks restoring. */
export const quietState = (queueId: string, at: string, waiting = 10): QueueState => ({
  schemaVersion: 1,
  queueId,
  lastObservedAt: at,
  lastWaiting: waiting,
  lastAgentsAvailable: 5,
  tiers: {
    tier1: { status: 'inactive', activateStreak: 0, restoreStreak: 10, recentTransitions: [] },
    tier2: { status: 'inactive', activateStreak: 0, restoreStreak: 5, recentTransitions: [] },
    tier3: { status: 'inactive', activateStreak: 0, restoreStreak: 10, recentTransitions: [] },
  },
  effective: { tier1: false, tier2: false, tier3: false },
});

/** A queue whose tier 1 activated at `at` (its last observation) and is effectively on. */
export const tier1ActiveState = (queueId: string, at: string, waiting = 120): QueueState => {
  const quiet = quietState(queueId, at, waiting);
  return {
    ...quiet,
    tiers: {
      ...quiet.tiers,
      tier1: {
        status: 'active',
        activateStreak: 1,
        restoreStreak: 0,
        recentTransitions: [Date.parse(at)],
        activatedAt: at,
      },
    },
    effective: { tier1: true, tier2: false, tier3: false },
  };
};

/** Writes `state` at `version` into the shard item `QUEUES/<shardId>` by hand; no pointer is touched. */
export async function plantQueueCopy(
  db: { raw: DynamoDBDocumentClient; tableName: string; now: number },
  shardId: string,
  queueId: string,
  state: unknown,
  version: number,
): Promise<void> {
  const Key = { pk: 'QUEUES', sk: shardId };
  const entry = encodeQueueEntry(queueId, { version, state });
  const { Item } = await db.raw.send(new GetCommand({ TableName: db.tableName, Key }));
  await db.raw.send(
    new UpdateCommand(
      Item
        ? {
            TableName: db.tableName,
            Key,
            UpdateExpression: 'SET #states.#q = :entry, #version = #version + :one',
            ExpressionAttributeNames: { '#states': 'states', '#q': queueId, '#version': 'version' },
            ExpressionAttributeValues: { ':entry': entry, ':one': 1 },
          }
        : {
            TableName: db.tableName,
            Key,
            UpdateExpression: 'SET #states = :states, #version = :one, #updatedAt = :now',
            ExpressionAttributeNames: {
              '#states': 'states',
              '#version': 'version',
              '#updatedAt': 'updatedAt',
            },
            ExpressionAttributeValues: { ':states': { [queueId]: entry }, ':one': 1, ':now': db.now },
          },
    ),
  );
}
