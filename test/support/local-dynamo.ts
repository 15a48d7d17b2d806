// Shared by integration tests and benchmarks: an in-process dynalite on 127.0.0.1 with the state table.
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { createStateTable } from '../../lambdas/adapters/dynamodb/table-definition';

export interface LocalDynamo {
  /** A client pointed at the local server (fake credentials, loopback only). */
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly endpoint: string;
  /** A fresh table on the same server, for tests that need an empty one. */
  createTable(name?: string): Promise<string>;
  stop(): Promise<void>;
}

let tableCounter = 0;

/** Starts dynalite on a random loopback port and creates the state table. Call `stop()` in afterAll. */
export async function startLocalDynamo(options: { tableName?: string } = {}): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const createTable = async (name = `surge-state-${++tableCounter}`): Promise<string> => {
    await createStateTable(client, name);
    return name;
  };
  const tableName = await createTable(options.tableName);
  return {
    client,
    tableName,
    endpoint,
    createTable,
    stop: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

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
