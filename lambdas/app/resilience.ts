import { type BreakerStatus, CIRCUIT_STATE_VALUE } from '../core/circuit-breaker';
import type { OutboxEntry, PageOutbox } from '../core/persistence';
import type { Clock, ObservationSource, Page, SurgeSwitch } from '../core/ports';
import type { ProbeResult, SharedBreakers } from './breaker';
import type { RetryingPager } from './deps';

// Wiring of the shared breakers into the controller (docs/resilience.md): which dependency each call
// goes through, the prober the poller runs every tick, and the pager that only stages.

/** The breakers of one container and the cheap read-only probe of each dependency that has one. */
export interface Resilience {
  readonly breakers: SharedBreakers;
  /** Breaker name → its dependency's health probe (`genesys`: GET /api/v2/organizations/me). */
  readonly probes: Readonly<Record<string, () => Promise<unknown>>>;
  /** Breakers whose CircuitState the poller reports every tick. */
  readonly watched: readonly string[];
}

/** Observation reads through breaker `name` (a refused read throws CircuitOpenError: the tick skips it). */
export function guardObservations(
  breakers: SharedBreakers,
  name: string,
  source: ObservationSource,
): ObservationSource {
  return { read: (queueIds, options) => breakers.run(name, () => source.read(queueIds, options)) };
}

/** Lever switches through breaker `name` (a refused switch throws CircuitOpenError: the actuator stays pending). */
export function guardSwitch(breakers: SharedBreakers, name: string, target: SurgeSwitch): SurgeSwitch {
  return {
    apply: (actuator, state, options) => breakers.run(name, () => target.apply(actuator, state, options)),
  };
}

export interface BreakerReport {
  readonly breaker: string;
  readonly status: BreakerStatus;
  /** The CircuitState metric: 0 closed, 1 open, 2 half-open. */
  readonly circuitState: number;
  readonly probe?: ProbeResult;
}

/**
 * The health prober, run at the start of every poll tick: each OPEN/HALF_OPEN breaker that is due gets
 * its dependency's probe, so breakers close with no traffic. Then any `circuit-open` page a crash left
 * unstaged is staged. Returns every watched breaker's state for the CircuitState metric.
 */
export async function probeBreakers(resilience: Resilience): Promise<BreakerReport[]> {
  const { breakers, probes } = resilience;
  const reports: BreakerReport[] = [];
  for (const name of resilience.watched) {
    const probe = probes[name];
    const result = probe ? await breakers.probe(name, probe) : undefined;
    const status = result?.status ?? (await breakers.state(name)).status;
    reports.push({
      breaker: name,
      status,
      circuitState: CIRCUIT_STATE_VALUE[status],
      ...(result ? { probe: result } : {}),
    });
  }
  await breakers.repairPages();
  return reports;
}

/**
 * The pager of evaluate and the poller: pages are only staged in the outbox; the page sender
 * (lambdas/app/send-pages.ts, triggered by the table's stream and a schedule) delivers them. Nothing
 * on the switching path waits for PagerDuty or SNS.
 */
export class StagingPager implements RetryingPager {
  constructor(
    private readonly outbox: PageOutbox,
    private readonly clock: Clock,
  ) {}
  async send(page: Page): Promise<void> {
    await this.outbox.recordNew(page, this.clock.now());
  }
  stage(page: Page): Promise<boolean> {
    return this.outbox.recordNew(page, this.clock.now());
  }
  /** Delivery is the sender's job: staged is queued. */
  async sendStaged(_page: Page): Promise<{ outcome: 'queued' }> {
    return { outcome: 'queued' };
  }
  /** Withdraws a staged page whose decision lost a race (outboxes that support it). */
  async discard(page: Page): Promise<void> {
    await (this.outbox as PageOutbox & { discard?: (p: Page) => Promise<void> }).discard?.(page);
  }
  /** Retrying is the sender's sweep: nothing is sent from here. */
  async retryPending(): Promise<{ sent: number; deferred: number }> {
    return { sent: 0, deferred: 0 };
  }
}

export type { OutboxEntry };
