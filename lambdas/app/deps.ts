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
  /** Withdraws a staged page that was never delivered (its decision lost a race). */
  discard(page: Page): Promise<void>;
  /** Delivers pending pages by priority (pagePriority), oldest first within one rank, until `deadline`. */
  retryPending(limit?: number, deadline?: number): Promise<{ sent: number; deferred: number }>;
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

/** The Lambda timeout the CDK sets (lib/); the budget of an invocation when the runtime does not say. */
export const INVOCATION_TIMEOUT_MS = 60_000;
/** Kept free at the end of every invocation: telemetry flush and the response. */
export const INVOCATION_SAFETY_MS = 2_000;
/** A switch is not started with less time than this left: it is left to the next tick. */
export const MIN_SWITCH_BUDGET_MS = 4_000;
/** Actuators reconciled at once by one invocation (far under Genesys' 300 requests/min/token). */
export const RECONCILE_CONCURRENCY = 4;
/**
 * Levers switched this recently are read back every tick, so a superseded lease holder's write that
 * lands late (after its lease expired and a newer holder switched back) is found and put back.
 */
export const RECENT_SWITCH_MS = 3 * 60_000;
/** Settled inactive levers read back per tick, least recently verified first (levers changed by hand). */
export const SAMPLE_INACTIVE_PER_TICK = 1;
/** A settled inactive lever is sampled once it has gone this long without a read-back. */
export const SAMPLE_INACTIVE_AFTER_MS = 15 * 60_000;
/** Demand written this recently may belong to an evaluation still in flight: convergence leaves it one tick. */
export const DEMAND_REPAIR_GRACE_MS = 10_000;

/**
 * The absolute clock time by which an invocation must be done: the Lambda's remaining time (when the
 * runtime tells it) minus a safety margin, else the Lambda timeout.
 */
export function invocationDeadline(clock: Clock, remainingMs?: number): number {
  const budget = remainingMs !== undefined && remainingMs > 0 ? remainingMs : INVOCATION_TIMEOUT_MS;
  return clock.now() + Math.max(0, budget - INVOCATION_SAFETY_MS);
}

export const errorMessage = (e: unknown): string =>
  e instanceof Error ? `${e.name}: ${e.message}` : String(e);
