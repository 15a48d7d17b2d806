import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_REQUEST_TIMEOUT_MS, awsClientConfig } from '../../../lambdas/adapters/aws/client-config';

// A stand-in that accepts connections on 127.0.0.1 and never answers: the call budget must end the call,
// not the Lambda timeout. Bounds are generous (a loaded CI machine); the point is "seconds, not a minute".

describe('AWS SDK call budget', () => {
  let server: Server;
  let endpoint: string;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.add(socket); // read the request, answer nothing
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const local = () => ({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });

  it('a DynamoDB call to a server that never answers fails after about 3 s', async () => {
    const client = new DynamoDBClient(awsClientConfig(local()));
    const started = Date.now();
    const error = await client
      .send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' }, sk: { S: 'b' } } }))
      .catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    client.destroy();
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(elapsed).toBeGreaterThanOrEqual(AWS_REQUEST_TIMEOUT_MS - 100);
    expect(elapsed).toBeLessThan(15_000);
  });

  it('so does an SNS publish (every client gets the same budget)', async () => {
    const client = new SNSClient(awsClientConfig(local()));
    const started = Date.now();
    const error = await client
      .send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:t', Message: 'm' }))
      .catch((e: unknown) => e);
    client.destroy();
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
