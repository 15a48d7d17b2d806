import type { Actuator } from '../core/config';
import { leverKey } from '../core/convergence';
import { CircuitOpenError, LeaseHeldError, StaleFencingTokenError } from '../core/errors';
import { actuatorEpisodePage, breakGlassPage, driftPage, switchFailingPage } from '../core/pages';
import { type ActuatorRecord, closeEpisode, type Lease, openEpisode, owedEpisode } from '../core/persistence';
import type { ActuatorState, SwitchOutcome } from '../core/ports';
import { Reason } from '../core/reasons';
import {
  ACTUATOR_LEASE_MS,
  type ControllerDeps,
  errorMessage,
  LEASE_SAFETY_MS,
  MIN_SWITCH_BUDGET_MS,
  RECONCILE_CONCURRENCY,
} from './deps';
import type { StagedPages } from './staged-pages';

// Level-triggered actuation: move one actuator's `applied` toward its `desired`, or read a settled
// lever back and put it back if it drifted.
//
//   evaluate / poller tick        DynamoDB (actuator item)                 target (Genesys, KVS…)
//   ──────────────────────        ────────────────────────                 ──────────────────────
//   acquireLease ───────────────▶ lease free or expired? token+1 ──▶ Lease{token}
//   desired == applied and not verifying? ─ yes ─▶ release, done ("already-applied")
//   apply(desired) ─────────────────────────────────────────────────────▶ read; write if needed; read back
//   stage pages (outbox) ───────▶ PAGE items pending (conditional: once per episode key and action)
//   recordApplied(token) ───────▶ token unchanged and lease unexpired? applied=state, verifiedAt, release
//   (the caller delivers staged pages after all its switches, by priority, before its deadline)
//
// A crash after the switch but before recordApplied leaves applied≠desired: the next tick takes the
// lease again, finds the target already switched (no mutating call), records it, and pages once —
// the page key comes from the stored episode number, so the retry stages the same page and the
// outbox keeps one. A superseded holder's write that lands late is found by the read-back of levers
// switched recently (docs/architecture.md, "Invariants").

export type ReconcileResult =
  | {
      readonly actuatorId: string;
      readonly result: 'switched' | 'converged';
      readonly state: ActuatorState;
      readonly ms: number;
      readonly usedBreakGlass: boolean;
      /** The lever had been recorded in its desired state but was found otherwise, and was put back. */
      readonly drift?: boolean;
    }
  | {
      readonly actuatorId: string;
      /** `verified`: read back in its recorded state; `deferred`: left to the next tick (deadline). */
      readonly result:
        | 'already-applied'
        | 'lock-held'
        | 'fenced-out'
        | 'not-configured'
        | 'verified'
        | 'deferred';
    }
  | {
      /**
       * The switch was refused by an open breaker without reaching the target: the lever stays pending,
       * quietly (no failure counted, no `switch-failing` page); the first tick after the breaker closes
       * switches it (docs/resilience.md, "What an open breaker does to a switch").
       */
      readonly actuatorId: string;
      readonly result: 'circuit-open';
      readonly breaker: string;
    }
  | {
      readonly actuatorId: string;
      readonly result: 'failed';
      readonly wanted: ActuatorState;
      readonly error: string;
    }
  | {
      /** Storage or paging failed around the switch; the next tick converges. */
      readonly actuatorId: string;
      readonly result: 'error';
      readonly error: string;
    };

export interface ReconcileOptions {
  /** Read the target back even when applied == desired, and put it back if it drifted. */
  readonly verify?: boolean;
  /** Clock ms by which the invocation must be done; no switch starts with less than MIN_SWITCH_BUDGET_MS left. */
  readonly deadline?: number;
  /**
   * With `verify`: the state the lever is recorded in. If the switch can read its target, a read that
   * agrees ends the read-back with no lease and no write (one GET); anything else goes the leased way.
   */
  readonly expect?: ActuatorState;
}

export async function reconcileActuator(
  deps: ControllerDeps,
  actuatorId: string,
  pages: StagedPages,
  options: ReconcileOptions = {},
): Promise<ReconcileResult> {
  const actuator = deps.actuators.find((a) => a.id === actuatorId);
  if (!actuator) {
    deps.log.warn('actuator in state but not in config: left as it is', { actuatorId });
    return { actuatorId, result: 'not-configured' };
  }
  const deadline = options.deadline ?? Number.POSITIVE_INFINITY;
  if (deps.clock.now() + MIN_SWITCH_BUDGET_MS > deadline) return { actuatorId, result: 'deferred' };
  // A notify-only actuator switches nothing: there is no target to read back.
  if (options.verify && actuator.type === 'notify-only') return { actuatorId, result: 'verified' };
  if (options.verify && options.expect && deps.switches.read) {
    try {
      const found = await deps.switches.read(actuator, {
        deadline: Math.min(deps.clock.now() + ACTUATOR_LEASE_MS - LEASE_SAFETY_MS, deadline),
      });
      if (found === options.expect) return { actuatorId, result: 'verified' };
    } catch (e) {
      // Unreadable now (no read for this type, or the target failed): the leased read-back decides.
      deps.log.warn('read-back failed; checking under the lease', { actuatorId, error: errorMessage(e) });
    }
  }
  let lease: Lease;
  try {
    lease = await deps.actuatorStore.acquireLease(
      actuatorId,
      deps.owner(),
      deps.clock.now(),
      ACTUATOR_LEASE_MS,
    );
  } catch (e) {
    if (e instanceof LeaseHeldError) return { actuatorId, result: Reason.LOCK_HELD };
    throw e;
  }
  const record = lease.record;
  if (record.desired === record.applied && !options.verify && !owedEpisode(record)) {
    await deps.actuatorStore.releaseLease(lease);
    return { actuatorId, result: Reason.ALREADY_APPLIED };
  }
  return switchUnderLease(deps, actuator, record, lease, pages, deadline);
}

async function switchUnderLease(
  deps: ControllerDeps,
  actuator: Actuator,
  record: ActuatorRecord,
  lease: Lease,
  pages: StagedPages,
  deadline: number,
): Promise<ReconcileResult> {
  const { actuatorStore, clock } = deps;
  const wanted = record.desired;
  // Settled (applied == desired): this is a read-back; a mutating call means the lever had drifted.
  const verifying = record.applied === wanted;
  const episodeNumber = record.episode?.number ?? 0;
  const started = clock.now();
  let outcome: SwitchOutcome;
  try {
    outcome = await deps.switches.apply(actuator, wanted, {
      deadline: Math.min(lease.expiresAt - LEASE_SAFETY_MS, deadline),
    });
  } catch (e) {
    if (e instanceof CircuitOpenError) {
      // Refused before any call: nothing failed, so nothing is counted or paged (the breaker has its
      // own `circuit-open` page). Only the lease is given back; `desired` ≠ `applied` keeps it due.
      try {
        await actuatorStore.releaseLease(lease);
      } catch (releaseError) {
        // The lease expires on its own (ACTUATOR_LEASE_MS); the refusal stays quiet either way.
        deps.log.warn('could not release the lease after a refused switch', {
          actuatorId: actuator.id,
          error: errorMessage(releaseError),
        });
      }
      deps.log.info('switch refused by an open breaker; the lever stays pending', {
        actuatorId: actuator.id,
        wanted,
        breaker: e.breaker,
      });
      return { actuatorId: actuator.id, result: Reason.CIRCUIT_OPEN, breaker: e.breaker };
    }
    // Only a failed switch is a switch failure. Errors after a successful switch (recording, paging)
    // propagate: the next tick converges without switching again.
    const error = errorMessage(e);
    const now = clock.now();
    deps.log.error('switch failed; retried on the next tick', { actuatorId: actuator.id, wanted, error });
    // The failure is recorded before its page is staged: the count it raises is what makes the next
    // successful switch stage the resolve. A superseded holder's failure is not paged (the newer holder
    // has the lever); a crash in between loses this trigger, not a resolve (docs/architecture.md,
    // "Invariants").
    try {
      await actuatorStore.recordFailure(actuator.id, { message: error, at: now }, lease, { release: true });
    } catch (recordError) {
      if (!(recordError instanceof StaleFencingTokenError)) throw recordError;
      return { actuatorId: actuator.id, result: 'failed', wanted, error };
    }
    const facts = wanted === 'active' ? pages.factsOf(record.demandedBy) : pages.factsCovering(actuator);
    await pages.stage(switchFailingPage(actuator, wanted, episodeNumber, 'trigger', error, now, facts));
    return { actuatorId: actuator.id, result: 'failed', wanted, error };
  }

  const now = clock.now();
  const drift = verifying && outcome.changed;
  // A trigger staged by a holder that never recorded its switch on: owed a resolve if the lever is off.
  const owed = owedEpisode(record);
  if (verifying && !outcome.changed && !(owed && outcome.state === 'inactive')) {
    // Read back as recorded: refresh verifiedAt (and release) without touching the episode.
    try {
      await actuatorStore.recordApplied(actuator.id, outcome.state, lease, now);
    } catch (e) {
      if (!(e instanceof StaleFencingTokenError)) throw e;
      return { actuatorId: actuator.id, result: 'fenced-out' };
    }
    return { actuatorId: actuator.id, result: 'verified' };
  }

  // An on-period nobody recorded is an episode of its own, resolved now that the lever is off: the
  // episode a dead holder recorded as staged (whoever turned the lever off since), or the one a lever
  // found on while recorded off stands for. Its trigger is staged again (a no-op if that holder's is in
  // the outbox), so no trigger is left without its resolve (docs/architecture.md, "Invariants").
  const orphan =
    outcome.state === 'inactive' ? (owed ?? (drift ? openEpisode(record, now) : undefined)) : undefined;
  const episode = orphan
    ? closeEpisode({ episode: orphan }, now)
    : outcome.state === 'active'
      ? openEpisode(record, now)
      : closeEpisode(record, now);
  // Every page is staged (durably, deduplicated by its key) before `applied` is recorded; the caller
  // delivers after all its switches. Switching off with no open episode (e.g. the first write of
  // 'inactive') is not news: no episode page.
  const found: ActuatorState = wanted === 'active' ? 'inactive' : 'active';
  if (drift) {
    deps.log.warn('lever drifted from its recorded state; put back', {
      actuatorId: actuator.id,
      found,
      wanted,
    });
    // Trigger and resolve together: the lever is already back, and a holder fenced out below must not
    // leave the trigger alone (the next holder finds the lever as recorded and pages nothing).
    await pages.stage(driftPage(actuator, found, wanted, episodeNumber, 'trigger', now));
    await pages.stage(driftPage(actuator, found, wanted, episodeNumber, 'resolve', now));
  }
  if (orphan) {
    await pages.stage(
      actuatorEpisodePage(actuator, 'active', orphan.dedupKey, record.demandedBy, orphan.openedAt, {
        facts: pages.factsCovering(actuator),
      }),
    );
  }
  // The numbers behind it: the demanding queues on, the queues whose readings released it off.
  const facts = outcome.state === 'active' ? pages.factsOf(record.demandedBy) : pages.factsCovering(actuator);
  const page =
    episode &&
    actuatorEpisodePage(actuator, outcome.state, episode.dedupKey, record.demandedBy, now, {
      facts,
      ...(outcome.state === 'inactive' ? { openedAt: episode.openedAt } : {}),
    });
  const opening = episode !== undefined && episode.number > (record.episode?.number ?? 0) && !orphan;
  if (opening && owed?.number !== episode.number) {
    // Recorded before the trigger is staged, so a holder that dies before recordApplied leaves a record
    // of the trigger it may have staged, and the next holder owes it a resolve (owedEpisode).
    try {
      await actuatorStore.recordStagedEpisode(actuator.id, episode, lease, now);
    } catch (e) {
      if (!(e instanceof StaleFencingTokenError)) throw e;
      deps.log.warn('lease lost while switching; the newer holder records the result', {
        actuatorId: actuator.id,
      });
      return { actuatorId: actuator.id, result: 'fenced-out' };
    }
  }
  if (page) await pages.stage(page);
  if (record.consecutiveFailures > 0) {
    await pages.stage(switchFailingPage(actuator, wanted, episodeNumber, 'resolve', undefined, now, facts));
  }
  if (outcome.usedBreakGlass) await pages.stage(breakGlassPage(`switching ${actuator.id}`, now));
  try {
    await actuatorStore.recordApplied(actuator.id, outcome.state, lease, now, {
      ...(episode ? { episode } : {}),
      changed: outcome.changed || record.applied !== outcome.state,
    });
  } catch (e) {
    if (!(e instanceof StaleFencingTokenError)) throw e;
    // We lost the lease while switching: a newer holder reads the target back and records it.
    deps.log.warn('lease lost while switching; the newer holder records the result', {
      actuatorId: actuator.id,
    });
    return { actuatorId: actuator.id, result: 'fenced-out' };
  }
  if (outcome.state !== wanted) {
    deps.log.warn('target settled in another state than wanted; next tick retries', {
      actuatorId: actuator.id,
      wanted,
      state: outcome.state,
    });
  }
  return {
    actuatorId: actuator.id,
    result: outcome.changed ? 'switched' : 'converged',
    state: outcome.state,
    ms: now - started,
    usedBreakGlass: outcome.usedBreakGlass,
    ...(drift ? { drift: true } : {}),
  };
}

/**
 * Reconciles `work` concurrently (at most RECONCILE_CONCURRENCY targets at a time), in the given order
 * of urgency: each switch is bounded by its lease and the deadline, and an actuator that cannot start
 * before the deadline is left to the next tick (`deferred`). One actuator's error never stops another's.
 */
export async function reconcileMany(
  deps: ControllerDeps,
  work: readonly {
    readonly actuatorId: string;
    readonly verify?: boolean;
    readonly expect?: ActuatorState;
  }[],
  pages: StagedPages,
  deadline: number,
): Promise<ReconcileResult[]> {
  const results: ReconcileResult[] = new Array(work.length);
  // Actuators writing one target (two fields of one row) go one after the other, in one lane.
  const lanes = new Map<string, number[]>();
  work.forEach((item, i) => {
    const actuator = deps.actuators.find((a) => a.id === item.actuatorId);
    const key = actuator ? leverKey(actuator) : `unknown:${item.actuatorId}`;
    lanes.set(key, [...(lanes.get(key) ?? []), i]);
  });
  const queue = [...lanes.values()];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let l = next++; l < queue.length; l = next++) {
      for (const i of queue[l] as number[]) {
        const item = work[i] as (typeof work)[number];
        try {
          results[i] = await reconcileActuator(deps, item.actuatorId, pages, {
            deadline,
            ...(item.verify ? { verify: true } : {}),
            ...(item.expect ? { expect: item.expect } : {}),
          });
        } catch (e) {
          const error = errorMessage(e);
          deps.log.error('reconciling an actuator failed; the next tick converges', {
            actuatorId: item.actuatorId,
            error,
          });
          results[i] = { actuatorId: item.actuatorId, result: 'error', error };
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(RECONCILE_CONCURRENCY, queue.length) }, worker));
  return results;
}
