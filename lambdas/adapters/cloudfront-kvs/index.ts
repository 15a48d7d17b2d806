// The cloudfront-kvs actuator's public face: a SurgeSwitch over the real KeyValueStore API, and a local
// stand-in over an in-memory store for drills and tests.
import { CloudFrontKeyValueStoreClient } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { ConfigError } from '../../core/errors';
import type { SurgeSwitch } from '../../core/ports';
import { awsClientConfig } from '../aws/client-config';
import { InMemoryKeyValueStore } from './in-memory-key-value-store';
import { KvsFlagSwitch, type KvsFlagSwitchOptions } from './kvs-flag-switch';
import { SdkKeyValueStore } from './sdk-key-value-store';

export { InMemoryKeyValueStore } from './in-memory-key-value-store';
export { EtagConflictError, type KeyValueStoreApi } from './key-value-store';
export { KvsFlagSwitch, type KvsFlagSwitchOptions } from './kvs-flag-switch';
export { SdkKeyValueStore } from './sdk-key-value-store';

const KVS_ARN = /^arn:aws[a-z-]*:cloudfront::\d{12}:key-value-store\/[A-Za-z0-9-]+$/;

export interface CreateKvsSwitchOptions extends KvsFlagSwitchOptions {
  /** ARN of the KeyValueStore (env EDGE_KVS_ARN in the Lambda). */
  readonly kvsArn: string;
  /** Injected client (tests, custom retry/credentials). @default a new client with the call budget of awsClientConfig */
  readonly client?: CloudFrontKeyValueStoreClient;
}

/** Throws ConfigError naming `field` unless `arn` is a CloudFront KeyValueStore ARN. */
export function checkKvsArn(arn: string | undefined, field: string): string {
  if (!arn || !KVS_ARN.test(arn)) {
    throw new ConfigError(
      field,
      `must be a CloudFront KeyValueStore ARN (arn:aws:cloudfront::<account>:key-value-store/<id>), got '${arn ?? ''}'`,
    );
  }
  return arn;
}

/** The `cloudfront-kvs` switch against AWS. Build once per warm Lambda. */
export function createKvsSwitch(options: CreateKvsSwitchOptions): SurgeSwitch {
  const kvsArn = checkKvsArn(options.kvsArn, 'kvsArn');
  const client = options.client ?? new CloudFrontKeyValueStoreClient(awsClientConfig());
  return new KvsFlagSwitch(new SdkKeyValueStore(client, kvsArn), options);
}

/** The `kvs` breaker's health probe: DescribeKeyValueStore (read-only, one call). */
export function createKvsProbe(options: {
  kvsArn: string;
  client?: CloudFrontKeyValueStoreClient;
}): () => Promise<unknown> {
  const kvsArn = checkKvsArn(options.kvsArn, 'kvsArn');
  const store = new SdkKeyValueStore(
    options.client ?? new CloudFrontKeyValueStoreClient(awsClientConfig()),
    kvsArn,
  );
  return () => store.etag();
}

/** The same switch over an in-memory store: lets a drill whose config has a cloudfront-kvs actuator run locally. */
export class LocalKeyValueStoreSwitch extends KvsFlagSwitch {
  constructor(
    readonly keyValueStore: InMemoryKeyValueStore = new InMemoryKeyValueStore(),
    options: KvsFlagSwitchOptions = {},
  ) {
    super(keyValueStore, { sleep: async () => {}, ...options });
  }
}
