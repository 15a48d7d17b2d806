// The cloudfront-kvs actuator against the AWS SDK client (call shapes via aws-sdk-client-mock).
import {
  AccessDeniedException,
  CloudFrontKeyValueStoreClient,
  ConflictException,
  DescribeKeyValueStoreCommand,
  GetKeyCommand,
  PutKeyCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudfront-keyvaluestore';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createKvsSwitch } from '../../../lambdas/adapters/cloudfront-kvs';
import type { ActuatorOf } from '../../../lambdas/core/config';
import { ConfigError, SwitchError } from '../../../lambdas/core/errors';

const KVS_ARN = 'arn:aws:cloudfront::123456789012:key-value-store/0f2b7c1e-1111-2222-3333-444455556666';
const actuator: ActuatorOf<'cloudfront-kvs'> = {
  id: 'widget-throttle',
  tier: 3,
  type: 'cloudfront-kvs',
  queues: ['*'],
  key: 'chat-widget-throttle',
  activeValue: 'on',
  inactiveValue: 'off',
};
const meta = { $metadata: {} };
const conflict = () => new ConflictException({ message: 'ETag mismatch', ...meta });

const kvs = mockClient(CloudFrontKeyValueStoreClient);
let sleeps: number[];
const makeSwitch = (extra: { maxAttempts?: number; now?: number } = {}) =>
  createKvsSwitch({
    kvsArn: KVS_ARN,
    client: new CloudFrontKeyValueStoreClient({ region: 'us-east-1' }),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    clock: { now: () => extra.now ?? 1_000 },
    ...(extra.maxAttempts ? { maxAttempts: extra.maxAttempts } : {}),
  });

beforeEach(() => {
  kvs.reset();
  sleeps = [];
});

describe('cloudfront-kvs switch (AWS SDK)', () => {
  it('makes no write when the flag already has the wanted value', async () => {
    kvs.on(DescribeKeyValueStoreCommand).resolves({ ETag: 'E1', ...meta });
    kvs.on(GetKeyCommand).resolves({ Key: actuator.key, Value: 'on', ...meta });

    const outcome = await makeSwitch().apply(actuator, 'active');

    expect(outcome).toEqual({ state: 'active', changed: false, usedBreakGlass: false });
    expect(kvs.commandCalls(PutKeyCommand)).toHaveLength(0);
  });

  it('writes the active value conditioned on the ETag it read, then verifies by read-back', async () => {
    kvs.on(DescribeKeyValueStoreCommand).resolves({ ETag: 'E1', ...meta });
    kvs
      .on(GetKeyCommand)
      .resolvesOnce({ Value: 'off', ...meta })
      .resolves({ Value: 'on', ...meta });
    kvs.on(PutKeyCommand).resolves({ ETag: 'E2', ...meta });

    const outcome = await makeSwitch().apply(actuator, 'active');

    expect(outcome.changed).toBe(true);
    expect(kvs.commandCalls(DescribeKeyValueStoreCommand)[0]?.args[0].input).toEqual({ KvsARN: KVS_ARN });
    expect(kvs.commandCalls(PutKeyCommand).map((c) => c.args[0].input)).toEqual([
      { KvsARN: KVS_ARN, Key: 'chat-widget-throttle', Value: 'on', IfMatch: 'E1' },
    ]);
    expect(kvs.commandCalls(GetKeyCommand)).toHaveLength(2);
  });

  it('writes the inactive value on restore', async () => {
    kvs.on(DescribeKeyValueStoreCommand).resolves({ ETag: 'E7', ...meta });
    kvs
      .on(GetKeyCommand)
      .resolvesOnce({ Value: 'on', ...meta })
      .resolves({ Value: 'off', ...meta });
    kvs.on(PutKeyCommand).resolves({ ETag: 'E8', ...meta });

    await makeSwitch().apply(actuator, 'inactive');

    expect(kvs.commandCalls(PutKeyCommand)[0]?.args[0].input).toMatchObject({ Value: 'off', IfMatch: 'E7' });
  });

  it('creates the key when it does not exist yet', async () => {
    kvs.on(DescribeKeyValueStoreCommand).resolves({ ETag: 'E1', ...meta });
    kvs
      .on(GetKeyCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'key not found', ...meta }))
      .resolves({ Value: 'on', ...meta });
    kvs.on(PutKeyCommand).resolves({ ETag: 'E2', ...meta });

    const outcome = await makeSwitch().apply(actuator, 'active');

    expect(outcome.changed).toBe(true);
    expect(kvs.commandCalls(PutKeyCommand)).toHaveLength(1);
  });

  it('re-reads the ETag and retries after losing an ETag race', async () => {
    kvs
      .on(DescribeKeyValueStoreCommand)
      .resolvesOnce({ ETag: 'E1', ...meta })
      .resolves({ ETag: 'E2', ...meta });
    kvs
      .on(GetKeyCommand)
      .resolvesOnce({ Value: 'off', ...meta })
      .resolvesOnce({ Value: 'off', ...meta })
      .resolves({ Value: 'on', ...meta });
    kvs
      .on(PutKeyCommand)
      .rejectsOnce(conflict())
      .resolves({ ETag: 'E3', ...meta });

    const outcome = await makeSwitch().apply(actuator, 'active');

    expect(outcome.changed).toBe(true);
    expect(kvs.commandCalls(PutKeyCommand).map((c) => c.args[0].input.IfMatch)).toEqual(['E1', 'E2']);
    expect(sleeps).toEqual([25]); // full jitter: random 0.5 × base 50 ms
  });

  it('stops after a lost race when the other writer already set the wanted value', async () => {
    kvs
      .on(DescribeKeyValueStoreCommand)
      .resolvesOnce({ ETag: 'E1', ...meta })
      .resolves({ ETag: 'E2', ...meta });
    kvs
      .on(GetKeyCommand)
      .resolvesOnce({ Value: 'off', ...meta })
      .resolves({ Value: 'on', ...meta });
    kvs.on(PutKeyCommand).rejectsOnce(conflict());

    const outcome = await makeSwitch().apply(actuator, 'active');

    expect(outcome.changed).toBe(false);
    expect(kvs.commandCalls(PutKeyCommand)).toHaveLength(1);
  });

  it('gives up with a SwitchError after maxAttempts lost races, backing off exponentially', async () => {
    kvs.on(DescribeKeyValueStoreCommand).resolves({ ETag: 'E1', ...meta });
    kvs.on(GetKeyCommand).resolves({ Value: 'off', ...meta });
    kvs.on(PutKeyCommand).rejects(conflict());

    const failure = makeSwitch({ maxAttempts: 3 }).apply(actuator, 'active');

    await expect(failure).rejects.toThrow(SwitchError);
    await expect(failure).rejects.toThrow(/lost 3 ETag races/);
    expect(kvs.commandCalls(PutKeyCommand)).toHaveLength(3);
    expect(sleeps).toEqual([25, 50]);
  });

  it('fails when the read-back does not show the written value', async () => {
    kvs.on(DescribeKeyValueStoreCommand).resolves({ ETag: 'E1', ...meta });
    kvs.on(GetKeyCommand).resolves({ Value: 'off', ...meta });
    kvs.on(PutKeyCommand).resolves({ ETag: 'E2', ...meta });

    await expect(makeSwitch().apply(actuator, 'active')).rejects.toThrow(
      /read-back gave 'off', expected 'on'/,
    );
  });

  it('does not retry an access error and keeps it as the cause', async () => {
    const denied = new AccessDeniedException({ message: 'not authorized', ...meta });
    kvs.on(DescribeKeyValueStoreCommand).rejects(denied);

    const error = await makeSwitch()
      .apply(actuator, 'active')
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SwitchError);
    expect((error as SwitchError).message).toMatch(/AccessDeniedException: not authorized/);
    expect((error as SwitchError).cause).toBe(denied);
    expect(kvs.commandCalls(DescribeKeyValueStoreCommand)).toHaveLength(1);
  });

  it('refuses to start after the deadline and makes no call', async () => {
    await expect(makeSwitch({ now: 5_000 }).apply(actuator, 'active', { deadline: 5_000 })).rejects.toThrow(
      /deadline passed/,
    );
    expect(kvs.calls()).toHaveLength(0);
  });

  it.each([
    [
      'an actuator of another type',
      { ...actuator, type: 'notify-only' },
      SwitchError,
      /has type 'notify-only'/,
    ],
    [
      'a value over the 1 KB KVS limit',
      { ...actuator, activeValue: 'x'.repeat(1025) },
      ConfigError,
      /^actuators\[widget-throttle\]\.activeValue: must be 1\.\.1024 bytes/,
    ],
    [
      'an empty value',
      { ...actuator, activeValue: '' },
      ConfigError,
      /activeValue: must be 1\.\.1024 bytes, got 0/,
    ],
  ])('rejects %s without calling AWS', async (_case, bad, errorClass, message) => {
    const apply = makeSwitch().apply(bad as ActuatorOf<'cloudfront-kvs'>, 'active');

    await expect(apply).rejects.toBeInstanceOf(errorClass);
    await expect(apply).rejects.toThrow(message);
    expect(kvs.calls()).toHaveLength(0);
  });

  it('rejects a malformed KVS ARN when built, naming the setting', () => {
    expect(() => createKvsSwitch({ kvsArn: 'arn:aws:s3:::bucket' })).toThrow(
      /^kvsArn: must be a CloudFront KeyValueStore ARN/,
    );
  });
});
