// What the lookup needs from the outside world, in its own words. Adapters: lambdas/adapters/crm.
import type { CachedCustomer, CacheOutcome, CallOutcome, Endpoint } from './lookup';

/** What to look a customer up by (exactly one). */
export type LookupKey = { readonly customerId: string } | { readonly phone: string };

/** The cache key of a lookup key (`id:…` or `phone:…`). */
export const cacheKeyOf = (key: LookupKey): string =>
  'customerId' in key ? `id:${key.customerId}` : `phone:${key.phone}`;

/** One CRM endpoint behind its OAuth client. */
export interface CrmEndpointPort {
  search(key: LookupKey, options: { timeoutMs: number; forceTokenRefresh?: boolean }): Promise<CallOutcome>;
}

/** The customer cache (write-through on every endpoint success; TTL housekeeping). */
export interface CustomerCache {
  read(key: LookupKey, options: { timeoutMs: number }): Promise<CacheOutcome>;
  /** Stores the record under its customer id and, when it has one, its phone. Never throws. */
  write(record: CachedCustomer, options: { timeoutMs: number }): Promise<boolean>;
}

/**
 * The two shared breakers the lookup goes through: `crm-primary` (opened by the cascade guard, it counts
 * lookups that ended on the fallback path) and `crm-secondary` (its own failures, like every breaker).
 */
export interface CrmBreakers {
  /** Which endpoints may be called now. A failure to read breaker state lets calls through. */
  gates(now: number): Promise<{ primaryOpen: boolean; secondaryOpen: boolean }>;
  /** One lookup that tried the primary: did it end on the fallback path? */
  recordLookup(onFallbackPath: boolean, now: number): Promise<void>;
  /** One call to the secondary: succeeded (2xx/404) or failed (5xx, timeout, network, bad body). */
  recordSecondary(ok: boolean, now: number): Promise<void>;
}

export type { Endpoint };
