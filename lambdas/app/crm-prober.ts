// The CRM's health prober (docs/crm.md): every minute, each CRM breaker that is due (OPEN past its
// period, or HALF_OPEN without a live probe) gets one cheap read-only call; two good probes in a row
// close it (docs/resilience.md). Lookups never probe: this is how the cascade guard ends.
import type { ProbeResult, SharedBreakers } from './breaker';

export interface CrmProbeTargets {
  /** The primary's health call (GET healthPath with a valid token): true on 2xx. */
  readonly primary: (timeoutMs: number) => Promise<boolean>;
  readonly secondary?: (timeoutMs: number) => Promise<boolean>;
  readonly primaryTimeoutMs: number;
  readonly secondaryTimeoutMs: number;
}

const probeOf = (call: (timeoutMs: number) => Promise<boolean>, timeoutMs: number) => async () => {
  // A health call that answers but not 2xx still counts against the dependency.
  if (!(await call(timeoutMs)))
    throw Object.assign(new Error('health probe failed'), { breakerFailure: true });
};

export async function probeCrm(breakers: SharedBreakers, targets: CrmProbeTargets): Promise<ProbeResult[]> {
  const results = [await breakers.probe('crm-primary', probeOf(targets.primary, targets.primaryTimeoutMs))];
  if (targets.secondary) {
    results.push(
      await breakers.probe('crm-secondary', probeOf(targets.secondary, targets.secondaryTimeoutMs)),
    );
  }
  return results;
}
