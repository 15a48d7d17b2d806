// A KeyValueStore in memory with the service's optimistic-concurrency rule (one ETag for the whole store,
// bumped by every write). The local stand-in for drills and tests; the CloudFront Function's local runtime
// reads flags from it too, so a drill can show the stub appear when the actuator flips the flag.
import { EtagConflictError, type KeyValueStoreApi } from './key-value-store';

export class InMemoryKeyValueStore implements KeyValueStoreApi {
  private readonly items = new Map<string, string>();
  private version = 0;
  /** Number of successful writes; lets tests tell a no-op from a write. */
  writes = 0;

  constructor(initial: Readonly<Record<string, string>> = {}) {
    for (const [k, v] of Object.entries(initial)) this.items.set(k, v);
  }

  async etag(): Promise<string> {
    return `mem-${this.version}`;
  }

  async get(key: string): Promise<string | undefined> {
    return this.items.get(key);
  }

  async put(key: string, value: string, ifMatch: string): Promise<void> {
    if (ifMatch !== (await this.etag())) {
      throw new EtagConflictError(`ETag '${ifMatch}' is stale (store is at '${await this.etag()}')`);
    }
    this.items.set(key, value);
    this.version += 1;
    this.writes += 1;
  }

  /** Unconditional write, as another writer (ops console, second controller) would do between our calls. */
  putUnconditionally(key: string, value: string): void {
    this.items.set(key, value);
    this.version += 1;
  }

  /** Synchronous read for the CloudFront Function's local runtime. */
  peek(key: string): string | undefined {
    return this.items.get(key);
  }
}
