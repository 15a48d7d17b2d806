// Persistence ports: what the application stores, in the domain's words. No AWS imports here; the
// DynamoDB adapter (lambdas/adapters/dynamodb) implements them, tests run it against dynalite.
import type { Override } from './override';
import { boundedDedupKey } from './pages';
import type { ActuatorState, Page } from './ports';

// ── Queue state (optimistic) ────────────────────────────────────────────────────────────────

/** A queue's persisted decision state. `state` is the core's JSON (hydrate it before use). */
export interface StoredQueueState {
  readonly queueId: string;
  readonly state: unknown;
  /** The queue's own version: starts at 1 on create; every save of this queue increments it by one. */
  readonly version: number;
  /** Epoch ms of the last write of the item that holds it (its shard: docs/architecture.md). */
  readonly updatedAt: number;
}

/** Manual override of one tier (docs/semantics.md): the core's `Override`. */
export type ManualOverride = Override;

/**
 * Where a queue's state is kept: its shard (one item holds the states of a chunk of ≤ 100 queues,
 * docs/architecture.md "Queue states per chunk") and that shard's version as read. Made by the store's
 * reads; hand it back to `saveMany` unchanged.
 */
export interface ShardRef {
  readonly shardId: string;
  /** undefined: the shard had no item yet. */
  readonly version: number | undefined;
}

/** What one evaluation needs. */
export interface EvaluationSnapshot {
  readonly queue: StoredQueueState | undefined;
  readonly overrides: readonly ManualOverride[];
  /** The shard that holds the queue's state, or where a queue with none yet is to be placed. */
  readonly home?: ShardRef;
}

/** What one batched evaluation needs: many queues' states and the overrides, read together. */
export interface BatchEvaluationSnapshot {
  /** Stored states by queue id; a queue read and absent here has no state yet. */
  readonly queues: ReadonlyMap<string, StoredQueueState>;
  readonly overrides: readonly ManualOverride[];
  /**
   * Queues whose state could not be had from the batch read (left unprocessed after retries, or not a
   * valid entry): the caller reads each one by itself, so one bad entry never holds back the others.
   */
  readonly unread: readonly string[];
  /** For every queue not in `unread`: the shard holding its state, or where it is to be placed. */
  readonly homes: ReadonlyMap<string, ShardRef>;
}

/** One queue's state to write, if its own version is still `expectedVersion` (undefined: no state yet). */
export interface QueueWrite {
  readonly queueId: string;
  readonly state: unknown;
  readonly expectedVersion: number | undefined;
}

export interface ShardWriteResult {
  /** The new version of each queue written. */
  readonly written: ReadonlyMap<string, number>;
  /** Queues whose own version had moved (somebody saved them first): re-read and re-decide them. */
  readonly conflicts: readonly string[];
}

/** One copy of a queue's state: the shard holding it and the queue's version there. */
export interface QueueCopyRef {
  readonly queueId: string;
  readonly shardId: string;
  readonly version: number;
}

/** A queue's place to give back: its copy in a shard, and the state listed there. */
export interface QueuePlace extends QueueCopyRef {
  /** The state as listed: the place is given back only if the stored state is still exactly this. */
  readonly state: unknown;
}

/** Every stored queue state, as the poller lists them each tick. */
export interface QueueStatesListing {
  /** One per queue (the preferred copy when a queue is in two shards), by queue id. */
  readonly states: readonly StoredQueueState[];
  /** Every shard and the queues it holds (readable or not): the poller's placement input. */
  readonly shards: readonly { readonly shardId: string; readonly queueIds: readonly string[] }[];
  /** The shard of each queue's preferred copy. */
  readonly homes: ReadonlyMap<string, string>;
  /** Queues whose stored entry cannot be read (named error); they keep their shard. */
  readonly unreadable: readonly { readonly queueId: string; readonly error: string }[];
  /** Copies left by two placements that raced (not the preferred one): the poller removes them. */
  readonly extraCopies: readonly QueueCopyRef[];
}

/**
 * The queues known to be stale and already paged, by the `lastObservedAt` their silence started from
 * (one item; the poller stages a stale page only for a queue that is not in it yet, docs/architecture.md).
 */
export interface StaleMarks {
  /** lastObservedAt → queue ids silent since then. */
  readonly since: Readonly<Record<string, readonly string[]>>;
  /** undefined: no item yet. */
  readonly version: number | undefined;
}

export interface QueueStateStore {
  load(queueId: string): Promise<StoredQueueState | undefined>;
  /** The queue's state, where it is kept, and all manual overrides (a single-queue evaluation). */
  loadForEvaluation(queueId: string): Promise<EvaluationSnapshot>;
  /**
   * Many queues' states and the overrides in as few calls as the store allows. `shardId` names the
   * shard the poller placed these queues in: one BatchGetItem of that shard and the overrides when
   * every queue is in it; queues it does not hold are looked for in the other shards, and a queue
   * found nowhere is placed in it.
   */
  loadManyForEvaluation(
    queueIds: readonly string[],
    options?: { readonly shardId?: string },
  ): Promise<BatchEvaluationSnapshot>;
  /**
   * Writes the states of queues kept in one shard, in one conditional write of that shard; a queue
   * whose own version moved is returned in `conflicts` and not written, the others are (a concurrent
   * write of other queues of the shard is re-read and retried here, it is no conflict of theirs).
   */
  saveMany(home: ShardRef, writes: readonly QueueWrite[]): Promise<ShardWriteResult>;
  /** The stale queues already paged. */
  loadStaleMarks(): Promise<StaleMarks>;
  /** Replaces them if their version is still `expectedVersion`; throws StateConflictError otherwise. */
  saveStaleMarks(
    since: Readonly<Record<string, readonly string[]>>,
    expectedVersion: number | undefined,
  ): Promise<void>;
  /**
   * Writes `state` if the stored version is still `expectedVersion` (`undefined` = the queue has no
   * state yet). Returns the new version. Throws StateConflictError when somebody else saved first.
   */
  save(queueId: string, state: unknown, expectedVersion: number | undefined): Promise<number>;
  /** Every queue's state (the poller's stale check). */
  list(): Promise<StoredQueueState[]>;
  /** Every queue's state with the shards that hold them (the poller's listing, one Query per MB). */
  listPlacement(): Promise<QueueStatesListing>;
  /** Removes the given extra copies, each only if it is still at the version listed. Returns those removed. */
  removeCopies(copies: readonly QueueCopyRef[]): Promise<number>;
  /**
   * Gives back the places of queues removed from the config (their state and their room in the shard),
   * each only if its stored state is still the one listed. Returns the queues released.
   */
  releasePlaces(places: readonly QueuePlace[]): Promise<string[]>;
}

export interface OverrideStore {
  list(): Promise<ManualOverride[]>;
  /** Adds or replaces the override for (queue, tier). */
  put(override: ManualOverride): Promise<void>;
  /** Returns false if there was none. */
  remove(queue: string, tier: 1 | 2 | 3): Promise<boolean>;
}

// ── Actuators (level-triggered, leased, fenced) ─────────────────────────────────────────────

/** What the target was last verified to be; `unknown` after a failed or interrupted switch. */
export type AppliedState = ActuatorState | 'unknown';

/** Demander id used by the tier 4 edge alarm (queue ids are the other demanders). */
export const EDGE_DEMANDER = 'edge';

/**
 * One paging episode of an actuator: opened when it is switched on (trigger page), closed when it is
 * switched back off (resolve page). The dedup key is derived from the episode number, which only
 * advances when `applied` is recorded, so a holder that crashed before recording computes the same key
 * again on the next tick and the outbox deduplicates its page.
 */
export interface ActuatorEpisode {
  readonly number: number;
  readonly dedupKey: string;
  /** Epoch ms. */
  readonly openedAt: number;
  /** Epoch ms; absent while the episode is open. */
  readonly closedAt?: number;
}

export interface ActuatorFailure {
  readonly message: string;
  /** Epoch ms. */
  readonly at: number;
}

export interface ActuatorRecord {
  readonly actuatorId: string;
  /** Derived, never stored: active iff `demandedBy` is non-empty, so it cannot drift from it. */
  readonly desired: ActuatorState;
  /** Queue ids (or EDGE_DEMANDER) whose effective tier state wants this actuator on; sorted. */
  readonly demandedBy: readonly string[];
  readonly applied: AppliedState;
  /** Monotonic; incremented by every successful acquireLease. 0 = never leased. */
  readonly fencingToken: number;
  /** Present while a lease is recorded (it may have expired: compare `expiresAt` with now). */
  readonly lease?: { readonly owner: string; readonly expiresAt: number };
  readonly episode?: ActuatorEpisode;
  /**
   * The episode a holder was opening when it staged its trigger, recorded (fenced) BEFORE the trigger
   * is staged. A holder that dies or loses its lease before recording the switch leaves it ahead of
   * `episode`: that trigger is then owed a resolve (see owedEpisode).
   */
  readonly stagedEpisode?: ActuatorEpisode;
  readonly lastError?: ActuatorFailure;
  /** Failures recorded since the last successful recordApplied. */
  readonly consecutiveFailures: number;
  /** Epoch ms of the last write. */
  readonly updatedAt: number;
  /** Epoch ms of the last change to the demander set (setDemand). */
  readonly demandChangedAt?: number;
  /** Epoch ms the target was last verified by read-back (recordApplied). */
  readonly verifiedAt?: number;
  /** Epoch ms the target was last switched, or `applied` last changed. */
  readonly appliedChangedAt?: number;
}

/** Proof of holding an actuator's lease. Writes that change `applied` must present it. */
export interface Lease {
  readonly actuatorId: string;
  readonly owner: string;
  readonly token: number;
  /** Epoch ms; the lease is valid while now < expiresAt. */
  readonly expiresAt: number;
  /** The actuator as of acquisition (saves a read: its episode and applied state drive the switch). */
  readonly record: ActuatorRecord;
}

export interface RecordAppliedOptions {
  /** The episode to store (open one on activate, close it on restore). */
  readonly episode?: ActuatorEpisode;
  /** Release the lease in the same write (default true: one call instead of two). */
  readonly release?: boolean;
  /** The target was switched, or `applied` changes: stamps `appliedChangedAt` (levers switched recently are read back). */
  readonly changed?: boolean;
}

export interface ActuatorStore {
  /**
   * Atomically adds (`demanding`) or removes `demander` from the actuator's demand set, creating the
   * item if needed. Concurrent calls for different demanders never lose each other's change.
   */
  setDemand(actuatorId: string, demander: string, demanding: boolean, now: number): Promise<ActuatorRecord>;
  get(actuatorId: string): Promise<ActuatorRecord | undefined>;
  list(): Promise<ActuatorRecord[]>;
  /** Takes the lease if it is free or expired; increments the fencing token. Throws LeaseHeldError. */
  acquireLease(actuatorId: string, owner: string, now: number, leaseMs: number): Promise<Lease>;
  /**
   * Records the verified target state. Requires the lease to be current: same fencing token AND not
   * expired at `now`. Throws StaleFencingTokenError otherwise.
   */
  recordApplied(
    actuatorId: string,
    applied: ActuatorState,
    lease: Lease,
    now: number,
    options?: RecordAppliedOptions,
  ): Promise<ActuatorRecord>;
  /**
   * Records a failed switch: applied becomes 'unknown' (forces a read-back next tick), the failure count
   * grows. Requires the same fencing token (a late report from an expired holder is still evidence, a
   * superseded holder's is not). Throws StaleFencingTokenError.
   */
  recordFailure(
    actuatorId: string,
    failure: ActuatorFailure,
    lease: Lease,
    options?: { release?: boolean },
  ): Promise<ActuatorRecord>;
  /** Frees the lease if this lease still holds it. Returns false if it had already been superseded. */
  releaseLease(lease: Lease): Promise<boolean>;
  /**
   * Creates the item of a configured actuator that has none (never demanded) as `applied: inactive`,
   * `verifiedAt: now`, so the convergence sample reads it back one sample period later, like any
   * settled lever (not at once: a Genesys outage then pages nothing for levers nobody asked for).
   * No-op if it exists.
   */
  adopt(actuatorId: string, now: number): Promise<void>;
  /**
   * Records the episode whose trigger the holder is about to stage (`stagedEpisode`), before staging
   * it. Same conditions as recordApplied (current token, unexpired lease); keeps the lease.
   */
  recordStagedEpisode(
    actuatorId: string,
    episode: ActuatorEpisode,
    lease: Lease,
    now: number,
  ): Promise<ActuatorRecord>;
}

/** The dedup key of an actuator's paging episode number `n`. */
export const actuatorEpisodeKey = (actuatorId: string, n: number): string =>
  boundedDedupKey(`actuator:${actuatorId}:${n}`);

/** The episode to open when `record` is switched on: the current one if still open, else the next. */
export function openEpisode(
  record: Pick<ActuatorRecord, 'actuatorId' | 'episode'>,
  now: number,
): ActuatorEpisode {
  const current = record.episode;
  if (current && current.closedAt === undefined) return current;
  const number = (current?.number ?? 0) + 1;
  return { number, dedupKey: actuatorEpisodeKey(record.actuatorId, number), openedAt: now };
}

/**
 * The episode whose trigger was staged but never recorded as opened (its holder died or lost its lease
 * between staging and recording): it must be resolved unless the lever is now recorded on in it.
 */
export function owedEpisode<E extends { readonly number: number }>(record: {
  readonly episode?: { readonly number: number };
  readonly stagedEpisode?: E;
}): E | undefined {
  const staged = record.stagedEpisode;
  return staged && staged.number > (record.episode?.number ?? 0) ? staged : undefined;
}

/** The episode to store when `record` is switched off (undefined if none was open). */
export function closeEpisode(
  record: Pick<ActuatorRecord, 'episode'>,
  now: number,
): ActuatorEpisode | undefined {
  const current = record.episode;
  if (!current || current.closedAt !== undefined) return undefined;
  return { ...current, closedAt: now };
}

// ── Page outbox ─────────────────────────────────────────────────────────────────────────────

/** Outbox entries are keyed by (dedupKey, action): one trigger and one resolve per dedup key. */
/** `dead`: delivery gave up (PagerDuty rejected the event, or retries ran out); alarmed, kept, re-driven. */
export type OutboxStatus = 'pending' | 'sent' | 'dead';

export interface OutboxEntry {
  readonly page: Page;
  readonly status: OutboxStatus;
  /** Delivery attempts that failed so far. */
  readonly attempts: number;
  /** Epoch ms. */
  readonly createdAt: number;
  readonly lastError?: string;
}

/**
 * Durable record of pages, so N duplicate triggers send one page and a failed send is retried later.
 * Sending is claimed for a short time so two senders rarely overlap; delivery is at-least-once and
 * the receiver (PagerDuty) deduplicates on `dedup_key` the rare duplicate after a crash mid-send.
 */
export interface PageOutbox {
  /** Records `page` as pending and claims its sending. False if (dedupKey, action) was already recorded. */
  recordNew(page: Page, now: number): Promise<boolean>;
  get(dedupKey: string, action: Page['action']): Promise<OutboxEntry | undefined>;
  /** Is any trigger of `dedupKey` (its first or a restatement, `Page.revision`) still pending? */
  triggerPending(dedupKey: string): Promise<boolean>;
  markSent(page: Page, now: number): Promise<void>;
  /** Counts the failed attempt and releases the claim so the next retry picks it up. */
  markFailed(page: Page, error: string, now: number): Promise<void>;
  /**
   * Claims up to `limit` pending pages whose claim has lapsed, most urgent first (`pagePriority`:
   * triggers and critical pages before stale or recommendation pages), oldest first within a rank.
   */
  claimPending(now: number, limit?: number): Promise<OutboxEntry[]>;
  /** Deletes a pending entry never sent (a staged page whose decision lost). No-op if sent or gone. */
  discard(page: Page): Promise<void>;
}
