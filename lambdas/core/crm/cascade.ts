// The cascade guard (docs/crm.md): when too many lookups end on the fallback path, the primary is
// struggling and every fallback adds load to the secondary; the guard stops calling either for a while.
import { type BreakerPolicy, breakerPolicy } from '../circuit-breaker';
import type { CascadeGuardConfig, CrmConfig } from './config';

export interface LookupCounts {
  /** Lookups that tried the primary in the window (guarded lookups and client errors excluded). */
  readonly lookups: number;
  /** Of those, the ones that ended on the fallback path. */
  readonly fallbacks: number;
}

/** True when the guard must open: at least `minimumLookups`, and strictly more than the rate on fallback. */
export function cascadeTrips(counts: LookupCounts, config: CascadeGuardConfig): boolean {
  return (
    counts.lookups >= config.minimumLookups &&
    counts.fallbacks * 100 > config.fallbackRatePercent * counts.lookups
  );
}

/** The fallback rate in percent (0 with no lookups). */
export const fallbackRate = (counts: LookupCounts): number =>
  counts.lookups === 0 ? 0 : (100 * counts.fallbacks) / counts.lookups;

/**
 * The `crm-primary` breaker's policy: it is fed one outcome per lookup that tried the primary ("needed
 * the fallback" is the failure), so the cascade guard is the shared breaker's failure-rate rule with
 * the CRM's numbers and no streak rule. The prober's probe owns the half-open breaker for one call.
 */
export function cascadePolicy(config: CrmConfig): BreakerPolicy {
  const cascade = config.cascade;
  return breakerPolicy({
    consecutiveFailures: null,
    minimumCalls: cascade.minimumLookups,
    windowSeconds: cascade.windowSeconds,
    failureRatePercent: cascade.fallbackRatePercent,
    failureRateComparison: 'above',
    openSeconds: cascade.openSeconds,
    maxOpenSeconds: Math.max(600, cascade.openSeconds),
    probeLeaseMs: config.primary.callTimeoutMs,
  });
}

/** The `crm-secondary` breaker: the shared default (its own failures), probes as long as its calls. */
export function secondaryPolicy(config: CrmConfig): BreakerPolicy {
  return breakerPolicy({ probeLeaseMs: config.secondary?.callTimeoutMs ?? 1000 });
}
