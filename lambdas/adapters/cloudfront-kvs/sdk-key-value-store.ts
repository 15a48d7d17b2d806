// KeyValueStoreApi over the CloudFront KeyValueStore data-plane API. The API is signed with SigV4A
// (multi-region): importing @aws-sdk/signature-v4a registers the JS signer the client looks for.
import '@aws-sdk/signature-v4a';
import {
  type CloudFrontKeyValueStoreClient,
  DescribeKeyValueStoreCommand,
  GetKeyCommand,
  PutKeyCommand,
} from '@aws-sdk/client-cloudfront-keyvaluestore';
import { SwitchError } from '../../core/errors';
import { EtagConflictError, type KeyValueStoreApi } from './key-value-store';

const errorName = (e: unknown): string | undefined =>
  typeof e === 'object' && e !== null && 'name' in e ? String((e as { name: unknown }).name) : undefined;

export class SdkKeyValueStore implements KeyValueStoreApi {
  constructor(
    private readonly client: CloudFrontKeyValueStoreClient,
    private readonly kvsArn: string,
  ) {}

  async etag(): Promise<string> {
    const out = await this.client.send(new DescribeKeyValueStoreCommand({ KvsARN: this.kvsArn }));
    if (!out.ETag) throw new SwitchError(`DescribeKeyValueStore for ${this.kvsArn} returned no ETag`);
    return out.ETag;
  }

  async get(key: string): Promise<string | undefined> {
    try {
      const out = await this.client.send(new GetKeyCommand({ KvsARN: this.kvsArn, Key: key }));
      return out.Value;
    } catch (e) {
      // The store itself exists (etag() ran first), so not-found here means the key is absent.
      if (errorName(e) === 'ResourceNotFoundException') return undefined;
      throw e;
    }
  }

  async put(key: string, value: string, ifMatch: string): Promise<void> {
    try {
      await this.client.send(
        new PutKeyCommand({ KvsARN: this.kvsArn, Key: key, Value: value, IfMatch: ifMatch }),
      );
    } catch (e) {
      if (errorName(e) === 'ConflictException') {
        throw new EtagConflictError(`PutKey '${key}' lost an ETag race on ${this.kvsArn}`, { cause: e });
      }
      throw e;
    }
  }
}
