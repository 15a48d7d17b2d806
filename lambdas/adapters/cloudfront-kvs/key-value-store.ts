// The slice of a CloudFront KeyValueStore the flag switch needs, in its own words: the store-wide ETag,
// one key's value, and a write conditioned on the ETag. Two implementations: the AWS data-plane API
// (sdk-key-value-store.ts) and an in-memory store with the same ETag semantics (in-memory-key-value-store.ts).
import { SwitchError } from '../../core/errors';

export interface KeyValueStoreApi {
  /** The store's current ETag; it changes on every write to any key. */
  etag(): Promise<string>;
  /** The key's value, or undefined if the key does not exist. */
  get(key: string): Promise<string | undefined>;
  /** Writes key = value if the store's ETag is still `ifMatch`; throws EtagConflictError otherwise. */
  put(key: string, value: string, ifMatch: string): Promise<void>;
}

/** Somebody wrote to the store between our ETag read and our write. Re-read and try again. */
export class EtagConflictError extends SwitchError {}
