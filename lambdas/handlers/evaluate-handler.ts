import { MetricDimension, MetricName, TIER_ACTIVE_METRIC } from '../adapters/telemetry-names';
import { type ControllerDeps, invocationDeadline } from '../app/deps';
import { handleEdgeAlarm } from '../app/edge-alarm';
import {
  type ChunkEvaluationResult,
  type EvaluationResult,
  evaluateObservation,
  evaluateObservations,
} from '../app/evaluate-observation';
import type { ReconcileResult } from '../app/reconcile';
import type { Telemetry } from '../app/telemetry';
import { SurgeError } from '../core/errors';
import { parseEvaluateEvent } from './events';

/**
 * Part of a chunk could not be evaluated (a queue's write or item, an actuator's storage, an invalid
 * entry). Thrown after the rest of the chunk was decided and recorded, so EventBridge redelivers the
 * chunk: the queues already written come back as duplicates and change nothing.
 */
export class ChunkEvaluationError extends SurgeError {}

export type EvaluateResponse =
  | {
      readonly kind: 'observation';
      readonly outcome: 'accepted' | 'ignored';
      readonly result: EvaluationResult;
    }
  | ({ readonly kind: 'observations' } & ChunkEvaluationResult)
  | { readonly kind: 'edge-alarm'; readonly tier4: string; readonly actuations: ReconcileResult[] };

/** evaluate: EventBridge event → zod → core → actuators → pages. Deps come from AWS or the drill. */
export function createEvaluateHandler(getDeps: () => ControllerDeps, telemetry: Telemetry) {
  return async (event: unknown, options: { remainingMs?: number } = {}): Promise<EvaluateResponse> => {
    try {
      const input = parseEvaluateEvent(event);
      const deps = getDeps();
      const deadline = invocationDeadline(deps.clock, options.remainingMs);
      if (input.kind === 'edge-alarm') {
        const r = await handleEdgeAlarm(deps, input.alarm);
        recordActuations(telemetry, deps, r.actuations);
        telemetry.info('edge alarm handled', { alarm: input.alarm, tier4: r.tier4 });
        return { kind: 'edge-alarm', tier4: r.tier4, actuations: r.actuations };
      }
      if (input.kind === 'observations') {
        const chunk = await evaluateObservations(deps, input.observations, {
          deadline,
          ...(input.shardId ? { shardId: input.shardId } : {}),
        });
        for (const r of chunk.results) recordEvaluation(telemetry, deps, r, { chunk: true });
        recordActuations(telemetry, deps, chunk.actuations);
        const problems = [
          ...input.invalid,
          ...chunk.failures.map(
            (f) => `${f.queueId ? `queue ${f.queueId}` : `actuator ${f.actuatorId}`}: ${f.error}`,
          ),
        ];
        if (problems.length > 0) {
          throw new ChunkEvaluationError(
            `${problems.length} of the chunk's entries failed (the others were evaluated): ${problems.slice(0, 5).join('; ')}`,
          );
        }
        return { kind: 'observations', ...chunk };
      }
      const result = await evaluateObservation(deps, input.observation, { deadline });
      recordEvaluation(telemetry, deps, result);
      return { kind: 'observation', outcome: result.decision.outcome, result };
    } catch (error) {
      telemetry.error('evaluation failed', { error: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      telemetry.flush();
    }
  };
}

/**
 * One evaluation's telemetry. A single-queue invocation puts its queue's values on its EMF blob; in a
 * chunk they would overwrite each other there, so each queue gets one log line with the same fields
 * (the dashboard's Logs Insights query reads either: `fields queueId, waiting, …`).
 */
function recordEvaluation(
  t: Telemetry,
  deps: ControllerDeps,
  r: EvaluationResult,
  { chunk = false }: { chunk?: boolean } = {},
): void {
  const { observation: o, decision: d } = r;
  if (d.outcome === 'ignored') {
    t.metric(MetricName.ObservationsIgnored, 'Count', 1);
    if (!chunk) t.property('queueId', o.queueId);
    t.info('observation ignored', { queueId: o.queueId, observedAt: o.observedAt, reason: d.ignoredReason });
    return;
  }
  t.metric(MetricName.Observations, 'Count', 1);
  // Per-queue values are EMF properties of this invocation's blob (or log fields), not dimensions: the
  // metric count stays constant however many queues there are (docs/deploy.md: the dashboard's Logs
  // Insights widgets).
  const values = {
    queueId: o.queueId,
    observedAt: o.observedAt,
    waiting: o.waiting,
    agentsAvailable: o.agentsAvailable,
    ...d.effective,
  };
  if (chunk) t.info('queue evaluated', values);
  else for (const [key, value] of Object.entries(values)) t.property(key, value);
  for (const [key, active] of Object.entries(d.effective)) {
    t.metric(TIER_ACTIVE_METRIC[key as keyof typeof TIER_ACTIVE_METRIC], 'Count', active ? 1 : 0);
  }
  for (const tr of d.transitions) {
    t.metric(MetricName.Transitions, 'Count', 1, { [MetricDimension.Tier]: String(tr.tier) });
    t.info('tier transition', { ...tr });
  }
  if (!chunk) recordActuations(t, deps, r.actuations);
}

/** Switch latency, failures and break-glass use of the actuations one invocation made. */
export function recordActuations(
  t: Telemetry,
  deps: ControllerDeps,
  actuations: readonly ReconcileResult[],
): void {
  for (const a of actuations) {
    const type = deps.actuators.find((x) => x.id === a.actuatorId)?.type ?? 'unknown';
    if (a.result === 'switched' || a.result === 'converged') {
      t.metric(MetricName.SwitchLatency, 'Milliseconds', a.ms, { [MetricDimension.ActuatorType]: type });
      if (a.usedBreakGlass) t.metric(MetricName.BreakGlassUsed, 'Count', 1);
      t.info('actuator applied', { ...a });
    } else if (a.result === 'failed') {
      t.metric(MetricName.SwitchFailures, 'Count', 1, { [MetricDimension.ActuatorType]: type });
    }
  }
}
