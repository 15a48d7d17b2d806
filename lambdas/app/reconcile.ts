import type { Actuator } from '../core/config';
import { LeaseHeldError, StaleFencingTokenError } from '../core/errors';
import { actuatorEpisodePage, breakGlassPage, switchFailingPage } from '../core/pages';
import { type ActuatorRecord, closeEpisode, type Lease, openEpisode } from '../core/persistence';
import type { ActuatorState, SwitchOutcome } from '../core/ports';
import { Reason } from '../core/reasons';
import { ACTUATOR_LEASE_MS, type ControllerDeps, errorMessage, LEASE_SAFETY_MS } from './deps';

// Level-triggered actuation: move one actuator's `applied` toward its `desired`.
//
//   evaluate / poller tick        DynamoDB (actuator item)                 target (Genesys, KVS…)
//   ──────────────────────        ────────────────────────                 ──────────────────────
//   acquireLease ───────────────▶ lease free or expired? token+1 ──▶ Lease{token}
//   desired == applied? ─ yes ──▶ release, done ("already-applied")
//   apply(desired) ─────────────────────────────────────────────────────▶ read; write if needed; read back
//   stage page (outbox) ────────▶ PAGE item pending (conditional: once per episode key and action)
//   recordApplied(token) ───────▶ token unchanged and lease unexpired? applied=state, release
//   send staged page ───────────▶ trigger on activate / resolve on restore, same episode key
//
// A crash after the switch but before recordApplied leaves applied≠desired: the next tick takes the
// lease again, finds the target already switched (no mutating call), records it, and pages once —
// the page key comes from the stored episode number, so the retry stages the same page and the
// outbox keeps one.

export type ReconcileResult =
  | {
      readonly actuatorId: string;
      readonly result: 'switched' | 'converged';
      readonly state: ActuatorState;
      readonly ms: number;
      readonly usedBreakGlass: boolean;
    }
  | {
      readonly actuatorId: string;
      readonly result: 'already-applied' | 'lock-held' | 'fenced-out' | 'not-configured';
    }
  | {
      readonly actuatorId: string;
      readonly result: 'failed';
      readonly wanted: ActuatorState;
      readonly error: string;
    };

export async function reconcileActuator(deps: ControllerDeps, actuatorId: string): Promise<ReconcileResult> {
  const actuator = deps.actuators.find((a) => a.id === actuatorId);
  if (!actuator) {
    deps.log.warn('actuator in state but not in config: left as it is', { actuatorId });
    return { actuatorId, result: 'not-configured' };
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
  if (record.desired === record.applied) {
    await deps.actuatorStore.releaseLease(lease);
    return { actuatorId, result: Reason.ALREADY_APPLIED };
  }
  return switchUnderLease(deps, actuator, record, lease);
}

async function switchUnderLease(
  deps: ControllerDeps,
  actuator: Actuator,
  record: ActuatorRecord,
  lease: Lease,
): Promise<ReconcileResult> {
  const { actuatorStore, clock } = deps;
  const wanted = record.desired;
  const episodeNumber = record.episode?.number ?? 0;
  const started = clock.now();
  let outcome: SwitchOutcome;
  try {
    outcome = await deps.switches.apply(actuator, wanted, { deadline: lease.expiresAt - LEASE_SAFETY_MS });
  } catch (e) {
    // Only a failed switch is a switch failure. Errors after a successful switch (recording, paging)
    // propagate: the invocation fails, and the next tick converges without switching again.
    const error = errorMessage(e);
    const now = clock.now();
    try {
      await actuatorStore.recordFailure(actuator.id, { message: error, at: now }, lease, { release: true });
    } catch (recordError) {
      if (!(recordError instanceof StaleFencingTokenError)) throw recordError;
    }
    deps.log.error('switch failed; retried on the next tick', { actuatorId: actuator.id, wanted, error });
    await deps.pager.send(switchFailingPage(actuator, wanted, episodeNumber, 'trigger', error, now));
    return { actuatorId: actuator.id, result: 'failed', wanted, error };
  }

  const now = clock.now();
  const episode = outcome.state === 'active' ? openEpisode(record, now) : closeEpisode(record, now);
  // The episode page is staged (durably, deduplicated by its key) before `applied` is recorded and sent
  // after: a crash in between leaves it pending for the outbox retry instead of losing it. Switching off
  // with no open episode (e.g. the first write of 'inactive') is not news: no page.
  const page =
    episode && actuatorEpisodePage(actuator, outcome.state, episode.dedupKey, record.demandedBy, now);
  const staged = page ? await deps.pager.stage(page) : false;
  try {
    await actuatorStore.recordApplied(actuator.id, outcome.state, lease, now, episode ? { episode } : {});
  } catch (e) {
    if (!(e instanceof StaleFencingTokenError)) throw e;
    // We lost the lease while switching: a newer holder reads the target back and records it.
    deps.log.warn('lease lost while switching; the newer holder records the result', {
      actuatorId: actuator.id,
    });
    return { actuatorId: actuator.id, result: 'fenced-out' };
  }
  if (page && staged) await deps.pager.sendStaged(page);
  if (record.consecutiveFailures > 0) {
    await deps.pager.send(switchFailingPage(actuator, wanted, episodeNumber, 'resolve', undefined, now));
  }
  if (outcome.usedBreakGlass) await deps.pager.send(breakGlassPage(`switching ${actuator.id}`, now));
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
  };
}

/** Reconciles every actuator whose applied state differs from its desired one (the poller's sweep). */
export async function reconcileAll(
  deps: ControllerDeps,
  records?: readonly ActuatorRecord[],
): Promise<ReconcileResult[]> {
  const all = records ?? (await deps.actuatorStore.list());
  const results: ReconcileResult[] = [];
  for (const r of all) {
    if (r.desired !== r.applied) results.push(await reconcileActuator(deps, r.actuatorId));
  }
  return results;
}
