// Shared by integration tests and benchmarks: the drill's in-process dynalite, and a call counter.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export { type LocalDynamo, startLocalDynamo } from '../../drill/local-dynamo';

/** Counts SDK calls per command name (e.g. `GetItemCommand`), read with `snapshot()`; `reset()` between runs. */
export function countDynamoCalls(client: DynamoDBClient): {
  total(): number;
  snapshot(): Record<string, number>;
  reset(): void;
} {
  let counts: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      counts[name] = (counts[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'surgeCountCalls', override: true },
  );
  return {
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    snapshot: () => ({ ...counts }),
    reset: () => {
      counts = {};
    },
  };
}
