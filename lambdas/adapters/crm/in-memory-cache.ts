import type { CachedCustomer, CacheOutcome } from '../../core/crm/lookup';
import { type CustomerCache, cacheKeyOf, type LookupKey } from '../../core/crm/ports';

/** A process-local customer cache: `cx-surge crm lookup` against a real CRM without a state table. */
export class InMemoryCustomerCache implements CustomerCache {
  private readonly records = new Map<string, CachedCustomer>();

  async read(key: LookupKey): Promise<CacheOutcome> {
    const record = this.records.get(cacheKeyOf(key));
    return record ? { kind: 'hit', record } : { kind: 'miss' };
  }

  async write(record: CachedCustomer): Promise<boolean> {
    this.records.set(cacheKeyOf({ customerId: record.customer.customerId }), record);
    if (record.customer.phone) this.records.set(cacheKeyOf({ phone: record.customer.phone }), record);
    return true;
  }
}
