import type { Actuator, SurgeConfig } from '../core/config';
import type { ActuatorStore, OverrideStore, QueueStateStore } from '../core/persistence';
import type { Clock, ObservationPublisher, ObservationSource, Page, Pager, SurgeSwitch } from '../core/ports';
import type { Resilience } from './resilience';

// The application layer: use cases that run the pure core against the ports. Handlers build one
// `ControllerDeps` (AWS adapters at module scope; local stand-ins in the drill) and call these.

/** Structured logger (Powertools Logger satisfies it). */
export interface AppLogger {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** A pager that also retries what it could not deliver earlier (the outbox pager). */
export interface RetryingPager extends Pager {
  /** Records a page durably without sending it (false: already recorded). */
  stage(page: Page): Promise<boolean>;
  /** Sends a page this caller staged. */
  sendStaged(page: Page): Promise<unknown>;
  retryPending(limit?: number): Promise<{ sent: number; deferred: number }>;
}

export interface ControllerDeps {
  readonly config: SurgeConfig;
  /** The actuators in force (the config's; the drill supplies defaults when the config names none). */
  readonly actuators: readonly Actuator[];
  readonly queueStates: QueueStateStore;
  readonly overrides: OverrideStore;
  readonly actuatorStore: ActuatorStore;
  readonly pager: RetryingPager;
  readonly switches: SurgeSwitch;
  readonly clock: Clock;
  /** Who takes actuator leases (Lambda request id, drill tick id): shows up in lock records. */
  readonly owner: () => string;
  readonly log: AppLogger;
  /** Shared circuit breakers and their probes (lambdas/app/resilience.ts); absent: calls run unguarded. */
  readonly resilience?: Resilience;
}

export interface PollerDeps extends ControllerDeps {
  readonly observations: ObservationSource;
  readonly publisher: ObservationPublisher;
}

/**
 * How long an actuator lease lasts. It must not exceed the Lambda timeout (CDK sets 60 s), so a holder
 * that dies mid-switch frees the actuator before the next-but-one poller tick at the latest.
 */
export const ACTUATOR_LEASE_MS = 45_000;
/** Stop starting Genesys retries this long before the lease ends, so `applied` is written while we hold it. */
export const LEASE_SAFETY_MS = 5_000;
/** Optimistic queue-state writes retried this often before the evaluation gives up (and EventBridge retries). */
export const MAX_STATE_ATTEMPTS = 5;

export const errorMessage = (e: unknown): string =>
  e instanceof Error ? `${e.name}: ${e.message}` : String(e);
