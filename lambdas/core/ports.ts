// Ports: what the application needs from the outside world, in the domain's words.
// Adapters (lambdas/adapters/*) implement them against AWS, Genesys Cloud or local stand-ins.
// Nothing here imports an SDK.
import type { Actuator } from './config';
import type { QueueObservation } from './observation';

/** Time source. Every component takes one, so the drill can run on simulated time. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export type ActuatorState = 'active' | 'inactive';

// ── Genesys Cloud (and other switch targets) ────────────────────────────────────────────────

export interface ObservationRead {
  readonly observations: QueueObservation[];
  /** True if the primary credentials failed and the break-glass client was used (page it). */
  readonly usedBreakGlass: boolean;
  /** Chunks that could not be read (the observations of the other chunks are still returned). */
  readonly failures?: readonly { readonly queueIds: readonly string[]; readonly error: string }[];
}

/** Reads current queue depth for many queues in as few API calls as the API allows. */
export interface ObservationSource {
  read(queueIds: readonly string[], options?: ObservationReadOptions): Promise<ObservationRead>;
}

export interface ObservationReadOptions {
  /** Clock ms by which the read must be done. */
  readonly deadline?: number;
  /**
   * The queries to make, one per chunk (each cut to the API's limit), in this order: the poller's
   * chunks by shard (docs/architecture.md). Default: `queueIds` in the API's largest chunks.
   */
  readonly chunks?: readonly (readonly string[])[];
}

export interface SwitchOutcome {
  /** The state read back after the call (or found already in place). */
  readonly state: ActuatorState;
  /** False if the target was already in the wanted state: no mutating call was made. */
  readonly changed: boolean;
  readonly usedBreakGlass: boolean;
}

/**
 * Puts one actuator's target into `state`, idempotently, verified by read-back.
 * Throws SwitchError (or a subclass) when it cannot, or cannot verify it within `deadline`.
 */
export interface SurgeSwitch {
  apply(actuator: Actuator, state: ActuatorState, options?: { deadline?: number }): Promise<SwitchOutcome>;
  /**
   * Reads the target's current state without changing it (read-back of settled levers). Optional: a
   * switch without it is read back through `apply`, under the actuator's lease.
   */
  read?(actuator: Actuator, options?: { deadline?: number }): Promise<ActuatorState | 'unknown'>;
}

export interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

/** Primary and break-glass OAuth client credentials (Secrets Manager in AWS, a local file in drills). */
export interface CredentialsSource {
  get(
    which: 'primary' | 'breakGlass',
    options?: { forceRefresh?: boolean },
  ): Promise<ClientCredentials | undefined>;
}

// ── Paging ──────────────────────────────────────────────────────────────────────────────────

export type PageKind =
  | 'actuator-episode' // an actuator switched on (trigger) or back off (resolve)
  | 'recommendation' // a tier in `recommend` mode would have switched
  | 'stale-observations' // no data for staleAfterSeconds: tiers held
  | 'switch-failing' // switching or verifying failed
  | 'break-glass-used' // primary credentials failed, break-glass client used
  | 'circuit-open'
  | 'flapping'
  | 'edge-fallback' // tier 4: origin alarm in ALARM / OK
  | 'operator-override' // an operator set (trigger) or cleared (resolve) a manual override
  | 'crm-lookup-refused' // the CRM keeps refusing screen-pop lookups (other 4xx, docs/crm.md)
  | 'drift' // a lever read back in another state than recorded (changed by hand, or a late write): put back
  | 'future-observation' // an observation dated too far after the evaluating clock: rejected
  | 'controller-alarm' // one of the controller's own CloudWatch alarms (ALARM / OK)
  | 'dr-switchover' // a DR run started / ended (docs/dr.md)
  | 'dr-readiness'; // the daily DR dry-run found a broken precondition

export interface Page {
  readonly kind: PageKind;
  /** PagerDuty-style: same key for trigger and resolve of one episode. */
  readonly dedupKey: string;
  readonly action: 'trigger' | 'resolve';
  readonly severity: 'critical' | 'error' | 'warning' | 'info';
  readonly summary: string;
  /** Machine-readable reason from the reason catalogue (lambdas/core/reasons.ts). */
  readonly reason: string;
  readonly at: string;
  readonly details: Readonly<Record<string, unknown>>;
  /**
   * Set on a restatement of an open incident (same dedup key, action trigger: PagerDuty appends it to
   * the incident's log): the n-th revision of an episode's queues. Its outbox entry is its own.
   */
  readonly revision?: number;
}

export interface Pager {
  send(page: Page): Promise<void>;
}

// ── Events ──────────────────────────────────────────────────────────────────────────────────

/**
 * Observations per event: one Genesys query's chunk, so one evaluate invocation decides the queues one
 * query read (docs/architecture.md, "Batching").
 */
export const OBSERVATIONS_PER_EVENT = 100;

/** Hands observations to the evaluate pipeline (EventBridge in AWS, an in-memory bus in drills). */
export interface ObservationPublisher {
  /**
   * Publishes the observations in order, OBSERVATIONS_PER_EVENT to an event. With `shardOf`, an event
   * holds the queues of one shard only and names it (shardChunks). Throws if any could not be
   * published after retries.
   */
  publish(observations: readonly QueueObservation[], options?: PublishOptions): Promise<void>;
}

export interface PublishOptions {
  /** queue id → the shard holding its state (docs/architecture.md, "Queue states per chunk"). */
  readonly shardOf?: ReadonlyMap<string, string>;
}

/** One event's worth: the observations of one shard's queues (≤ OBSERVATIONS_PER_EVENT), and the shard. */
export interface ObservationChunk {
  readonly shardId?: string;
  readonly observations: QueueObservation[];
}

/**
 * `observations` cut into events' worth, in order: a new event where the shard changes or the event is
 * full (the poller passes them grouped by shard, so this is one event per shard).
 */
export function shardChunks(
  observations: readonly QueueObservation[],
  shardOf?: ReadonlyMap<string, string>,
  size: number = OBSERVATIONS_PER_EVENT,
): ObservationChunk[] {
  const out: { shardId?: string; observations: QueueObservation[] }[] = [];
  let current: { shardId?: string; observations: QueueObservation[] } | undefined;
  for (const o of observations) {
    const shardId = shardOf?.get(o.queueId);
    if (!current || current.shardId !== shardId || current.observations.length >= size) {
      current = { ...(shardId === undefined ? {} : { shardId }), observations: [] };
      out.push(current);
    }
    current.observations.push(o);
  }
  return out;
}
