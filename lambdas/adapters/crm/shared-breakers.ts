// The lookup's breakers over the shared circuit breakers (lambdas/app/breaker.ts, docs/resilience.md):
// state in the one table, seen by every container. `crm-primary` is the cascade guard (it counts
// lookups that needed the fallback); `crm-secondary` counts the replica's own failures.
import type { SharedBreakers } from '../../app/breaker';
import type { CrmBreakers } from '../../core/crm/ports';

export const CRM_PRIMARY_BREAKER = 'crm-primary';
export const CRM_SECONDARY_BREAKER = 'crm-secondary';

type Gates = { primaryOpen: boolean; secondaryOpen: boolean };

export class SharedCrmBreakers implements CrmBreakers {
  private cached: { gates: Gates; readAt: number } | undefined;

  /** @param refreshMs how long this container trusts the gates it read (one read per second at most). */
  constructor(
    private readonly breakers: SharedBreakers,
    private readonly refreshMs = 1000,
  ) {}

  /**
   * Open unless CLOSED: past its open period a breaker stays out of lookups until the prober's probes
   * close it, so the primary gets its rest and lookups never probe it by accident.
   */
  async gates(now: number): Promise<Gates> {
    if (this.cached && now - this.cached.readAt < this.refreshMs && now >= this.cached.readAt) {
      return this.cached.gates;
    }
    const [primary, secondary] = await Promise.all([
      this.breakers.state(CRM_PRIMARY_BREAKER),
      this.breakers.state(CRM_SECONDARY_BREAKER),
    ]);
    const gates = { primaryOpen: primary.status !== 'closed', secondaryOpen: secondary.status !== 'closed' };
    this.cached = { gates, readAt: now };
    return gates;
  }

  async recordLookup(onFallbackPath: boolean): Promise<void> {
    // A fallback may have opened the guard: read the gates again on the next lookup.
    if (onFallbackPath) this.cached = undefined;
    await this.breakers.record(
      CRM_PRIMARY_BREAKER,
      onFallbackPath ? { ok: false, error: 'lookup needed the fallback' } : { ok: true },
    );
  }

  async recordSecondary(ok: boolean): Promise<void> {
    if (!ok) this.cached = undefined;
    await this.breakers.record(
      CRM_SECONDARY_BREAKER,
      ok ? { ok: true } : { ok: false, error: 'secondary call failed' },
    );
  }
}
