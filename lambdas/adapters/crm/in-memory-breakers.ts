// The CRM breakers kept in one process's memory: the cascade guard of docs/crm.md without shared state.
// For `cx-surge crm lookup` and unit tests; the Lambda and the drill share the breakers through the state
// table instead (shared-breakers.ts), so every container sees the guard open.

import { cascadeTrips } from '../../core/crm/cascade';
import type { CrmConfig } from '../../core/crm/config';
import type { CrmBreakers } from '../../core/crm/ports';

export class InMemoryCrmBreakers implements CrmBreakers {
  private lookups: { at: number; fallback: boolean }[] = [];
  private openUntil: number | undefined;
  private secondaryFailures = 0;
  private secondaryOpenUntil: number | undefined;
  readonly transitions: { at: number; breaker: string; from: string; to: string }[] = [];

  constructor(private readonly config: CrmConfig) {}

  async gates(now: number): Promise<{ primaryOpen: boolean; secondaryOpen: boolean }> {
    return {
      primaryOpen: this.openUntil !== undefined && now < this.openUntil,
      secondaryOpen: this.secondaryOpenUntil !== undefined && now < this.secondaryOpenUntil,
    };
  }

  async recordLookup(onFallbackPath: boolean, now: number): Promise<void> {
    const cascade = this.config.cascade;
    this.lookups = this.lookups.filter((l) => l.at > now - cascade.windowSeconds * 1000);
    this.lookups.push({ at: now, fallback: onFallbackPath });
    if (this.openUntil !== undefined && now < this.openUntil) return;
    const counts = { lookups: this.lookups.length, fallbacks: this.lookups.filter((l) => l.fallback).length };
    if (cascadeTrips(counts, cascade)) {
      this.openUntil = now + cascade.openSeconds * 1000;
      this.lookups = [];
      this.transitions.push({ at: now, breaker: 'crm-primary', from: 'closed', to: 'open' });
    }
  }

  async recordSecondary(ok: boolean, now: number): Promise<void> {
    this.secondaryFailures = ok ? 0 : this.secondaryFailures + 1;
    if (this.secondaryFailures >= 5) {
      this.secondaryOpenUntil = now + 30_000;
      this.secondaryFailures = 0;
      this.transitions.push({ at: now, breaker: 'crm-secondary', from: 'closed', to: 'open' });
    }
  }

  /** What the prober does once the primary answers again: close the guard. */
  close(now: number): void {
    if (this.openUntil === undefined) return;
    this.openUntil = undefined;
    this.transitions.push({ at: now, breaker: 'crm-primary', from: 'open', to: 'closed' });
  }
}
