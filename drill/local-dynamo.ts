// The drill's DynamoDB: dynalite (a DynamoDB API implementation) in-process on 127.0.0.1, random port,
// with the state table created. Tests and benchmarks use it too (test/support re-exports it).
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { createStateTable } from '../lambdas/adapters/dynamodb/table-definition';

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

/** Starts dynalite on a random loopback port and creates the state table. Call `stop()` when done. */
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
