import {
  CloudFrontKeyValueStoreClient,
  DescribeKeyValueStoreCommand,
  GetKeyCommand,
  PutKeyCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudfront-keyvaluestore';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../../bin/cli/edge';

const KVS_ARN = 'arn:aws:cloudfront::123456789012:key-value-store/0f2b7c1e-1111-2222-3333-444455556666';
const meta = { $metadata: {} };
const kvs = mockClient(CloudFrontKeyValueStoreClient);

async function surgeEdge(args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    client: new CloudFrontKeyValueStoreClient({ region: 'us-east-1' }),
    env,
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
  });
  return { code, stdout, stderr };
}

beforeEach(() => kvs.reset());

describe('cx-surge edge set-flag', () => {
  it('turns the flag on in the KVS named by --kvs-arn and says it changed', async () => {
    kvs.on(DescribeKeyValueStoreCommand).resolves({ ETag: 'E1', ...meta });
    kvs
      .on(GetKeyCommand)
      .resolvesOnce({ Value: 'off', ...meta })
      .resolves({ Value: 'on', ...meta });
    kvs.on(PutKeyCommand).resolves({ ETag: 'E2', ...meta });

    const result = await surgeEdge(['set-flag', 'on', '--kvs-arn', KVS_ARN]);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe('chat-widget-throttle = on → tier 3 on (changed)\n');
    expect(kvs.commandCalls(PutKeyCommand)[0]?.args[0].input).toEqual({
      KvsARN: KVS_ARN,
      Key: 'chat-widget-throttle',
      Value: 'on',
      IfMatch: 'E1',
    });
  });

  it('takes the KVS ARN from EDGE_KVS_ARN and reports a no-op as JSON', async () => {
    kvs.on(DescribeKeyValueStoreCommand).resolves({ ETag: 'E1', ...meta });
    kvs.on(GetKeyCommand).resolves({ Value: 'off', ...meta });

    const result = await surgeEdge(['set-flag', 'off', '--json'], { EDGE_KVS_ARN: KVS_ARN });

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      kvsArn: KVS_ARN,
      key: 'chat-widget-throttle',
      value: 'off',
      flag: 'off',
      changed: false,
    });
    expect(kvs.commandCalls(PutKeyCommand)).toHaveLength(0);
  });

  it('writes custom key and values', async () => {
    kvs.on(DescribeKeyValueStoreCommand).resolves({ ETag: 'E1', ...meta });
    kvs
      .on(GetKeyCommand)
      .resolvesOnce({ Value: 'normal', ...meta })
      .resolves({ Value: 'throttle', ...meta });
    kvs.on(PutKeyCommand).resolves({ ETag: 'E2', ...meta });

    const result = await surgeEdge([
      'set-flag',
      'on',
      '--kvs-arn',
      KVS_ARN,
      '--key',
      'tier3',
      '--on-value',
      'throttle',
      '--off-value',
      'normal',
    ]);

    expect(result.code).toBe(0);
    expect(kvs.commandCalls(PutKeyCommand)[0]?.args[0].input).toMatchObject({
      Key: 'tier3',
      Value: 'throttle',
    });
  });

  it.each([
    [
      ['set-flag', 'maybe', '--kvs-arn', KVS_ARN],
      /set-flag takes exactly one argument, on or off, got 'maybe'/,
    ],
    [['set-flag', 'on'], /^cx-surge edge: --kvs-arn: must be a CloudFront KeyValueStore ARN/],
    [['set-flag', 'on', '--kvs-arn', 'arn:aws:s3:::b'], /--kvs-arn: must be a CloudFront KeyValueStore ARN/],
    [['toggle', '--kvs-arn', KVS_ARN], /unknown subcommand 'toggle'/],
    [['set-flag', 'on', '--kvs-arn', KVS_ARN, '--on-value', 'x', '--off-value', 'x'], /must differ/],
    [['set-flag', 'on', '--bogus'], /Unknown option '--bogus'/],
  ])('exits 2 on bad input %j without calling AWS', async (args, message) => {
    const result = await surgeEdge(args);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(kvs.calls()).toHaveLength(0);
  });

  it('exits 1 with the reason when the switch fails', async () => {
    kvs.on(DescribeKeyValueStoreCommand).resolves({ ETag: 'E1', ...meta });
    kvs.on(GetKeyCommand).resolves({ Value: 'off', ...meta });
    kvs.on(PutKeyCommand).resolves({ ETag: 'E2', ...meta });

    const result = await surgeEdge(['set-flag', 'on', '--kvs-arn', KVS_ARN]);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/read-back gave 'off', expected 'on'/);
  });
});

describe('cx-surge edge get-flag', () => {
  it('prints the current value and what it means', async () => {
    kvs.on(DescribeKeyValueStoreCommand).resolves({ ETag: 'E1', ...meta });
    kvs.on(GetKeyCommand).resolves({ Value: 'on', ...meta });

    const result = await surgeEdge(['get-flag', '--kvs-arn', KVS_ARN]);

    expect(result).toMatchObject({ code: 0, stdout: 'chat-widget-throttle = on → tier 3 on\n' });
  });

  it('treats a missing key as off', async () => {
    kvs.on(DescribeKeyValueStoreCommand).resolves({ ETag: 'E1', ...meta });
    kvs.on(GetKeyCommand).rejects(new ResourceNotFoundException({ message: 'no such key', ...meta }));

    const result = await surgeEdge(['get-flag', '--kvs-arn', KVS_ARN, '--json']);

    expect(JSON.parse(result.stdout)).toMatchObject({ value: null, flag: 'off' });
  });
});
