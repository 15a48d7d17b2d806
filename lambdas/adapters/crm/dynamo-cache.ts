// The customer cache in the controller's one DynamoDB table (docs/crm.md): one item per lookup key,
// `pk = CRM_CACHE#id:<customerId>` (and `#phone:<phone>`), `sk = CUSTOMER`, expired by the table's TTL.
// One partition per key: the cache spreads over the table instead of one hot collection.
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { CUSTOMER_FIELDS } from '../../core/crm/config';
import type { CachedCustomer, CacheOutcome } from '../../core/crm/lookup';
import { type CustomerCache, cacheKeyOf, type LookupKey } from '../../core/crm/ports';
import { lazySchema } from '../../core/lazy-schema';
import type { StateTable } from '../dynamodb/items';
import { TTL_ATTRIBUTE } from '../dynamodb/table-definition';

export const CRM_CACHE_PREFIX = 'CRM_CACHE#';
export const CRM_CACHE_SORT_KEY = 'CUSTOMER';

/** A cached record as stored (built on the first read: lazySchema). */
const CachedItemSchema = lazySchema(() =>
  z.object({
    customer: z
      .record(z.enum(CUSTOMER_FIELDS), z.string())
      .refine((c) => typeof c.customerId === 'string' && c.customerId !== '', 'customerId is required'),
    source: z.enum(['primary', 'secondary']),
    fetchedAt: z.number().int().nonnegative(),
  }),
);

/** Runs `work` but gives up (rejects) after `timeoutMs`; the SDK call itself is aborted too. */
async function within<T>(timeoutMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const signal = AbortSignal.timeout(Math.max(1, Math.floor(timeoutMs)));
  return work(signal);
}

export class DynamoCustomerCache implements CustomerCache {
  constructor(
    private readonly table: StateTable,
    private readonly ttlSeconds: number,
    private readonly onError: (operation: string, error: unknown) => void = () => {},
  ) {}

  async read(key: LookupKey, options: { timeoutMs: number }): Promise<CacheOutcome> {
    try {
      const { Item } = await within(options.timeoutMs, (abortSignal) =>
        this.table.doc.send(
          new GetCommand({
            TableName: this.table.tableName,
            Key: { pk: `${CRM_CACHE_PREFIX}${cacheKeyOf(key)}`, sk: CRM_CACHE_SORT_KEY },
          }),
          { abortSignal },
        ),
      );
      if (!Item) return { kind: 'miss' };
      const parsed = CachedItemSchema().safeParse(Item);
      // A malformed item is no customer: treat it as a miss rather than show wrong data.
      if (!parsed.success) return { kind: 'failed', detail: 'cached item does not have the expected shape' };
      return { kind: 'hit', record: parsed.data as CachedCustomer };
    } catch (error) {
      this.onError('read', error);
      return { kind: 'failed', detail: error instanceof Error ? error.name : 'error' };
    }
  }

  async write(record: CachedCustomer, options: { timeoutMs: number }): Promise<boolean> {
    const keys: LookupKey[] = [{ customerId: record.customer.customerId }];
    if (record.customer.phone) keys.push({ phone: record.customer.phone });
    const ttl = Math.floor(record.fetchedAt / 1000) + this.ttlSeconds;
    try {
      await within(options.timeoutMs, (abortSignal) =>
        Promise.all(
          keys.map((key) =>
            this.table.doc.send(
              new PutCommand({
                TableName: this.table.tableName,
                Item: {
                  pk: `${CRM_CACHE_PREFIX}${cacheKeyOf(key)}`,
                  sk: CRM_CACHE_SORT_KEY,
                  customer: record.customer,
                  source: record.source,
                  fetchedAt: record.fetchedAt,
                  [TTL_ATTRIBUTE]: ttl,
                },
                // A late writer never replaces a newer record (two lookups racing for one customer).
                ConditionExpression: 'attribute_not_exists(pk) OR fetchedAt <= :fetchedAt',
                ExpressionAttributeValues: { ':fetchedAt': record.fetchedAt },
              }),
              { abortSignal },
            ),
          ),
        ),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string } | null)?.name === 'ConditionalCheckFailedException') return true;
      this.onError('write', error);
      return false;
    }
  }
}
