import { MetricDimension, MetricName } from '../adapters/telemetry-names';
import { invocationDeadline, type PollerDeps } from '../app/deps';
import { type PollResult, pollTick } from '../app/poll-tick';
import type { Telemetry } from '../app/telemetry';
import { recordActuations } from './evaluate-handler';

/**
 * poll-observations: a schedule (or a Genesys partner event) → one tick. The event carries nothing we
 * need, so it is not parsed; the tick always polls every configured queue.
 */
export function createPollHandler(getDeps: () => PollerDeps, telemetry: Telemetry) {
  return async (
    _event?: unknown,
    options: { queueIds?: readonly string[]; remainingMs?: number } = {},
  ): Promise<PollResult> => {
    try {
      const deps = getDeps();
      const result = await pollTick(deps, {
        ...(options.queueIds ? { queueIds: options.queueIds } : {}),
        deadline: invocationDeadline(deps.clock, options.remainingMs),
      });
      // Emitted every tick, 0 when healthy, so the stale alarm has data to evaluate.
      telemetry.metric(MetricName.StaleQueues, 'Count', result.staleQueues.length);
      // The others only when not healthy: their alarms read no data as OK (docs/cost.md#metrics).
      if (result.pagesRetried.deferred > 0) {
        telemetry.metric(MetricName.PageFailures, 'Count', result.pagesRetried.deferred);
      }
      for (const b of result.breakers) {
        if (b.circuitState === 0) continue;
        telemetry.metric(MetricName.CircuitState, 'Count', b.circuitState, {
          [MetricDimension.Breaker]: b.breaker,
        });
      }
      recordActuations(telemetry, deps, result.reconciled);
      telemetry.info('poll tick', {
        observations: result.observations.length,
        staleQueues: result.staleQueues,
        reconciled: result.reconciled.length,
        demandRepaired: result.converged.repaired.length,
        unreadQueues: result.unreadQueues.length,
        pagesRetried: result.pagesRetried,
        ...(result.readError ? { readError: result.readError } : {}),
      });
      return result;
    } finally {
      telemetry.flush();
    }
  };
}
