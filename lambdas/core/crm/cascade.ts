// The cascade guard (docs/crm.md): when too many lookups end on the fallback path, the primary is
// struggling and every fallback adds load to the secondary; the guard stops calling either for a while.
import type { CascadeGuardConfig } from './config';

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
