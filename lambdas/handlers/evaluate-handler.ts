import { MetricDimension, MetricName, TIER_ACTIVE_METRIC } from '../adapters/telemetry-names';
import { type ControllerDeps, invocationDeadline } from '../app/deps';
import { handleEdgeAlarm } from '../app/edge-alarm';
import { type EvaluationResult, evaluateObservation } from '../app/evaluate-observation';
import type { ReconcileResult } from '../app/reconcile';
import type { Telemetry } from '../app/telemetry';
import { parseEvaluateEvent } from './events';

export type EvaluateResponse =
  | {
      readonly kind: 'observation';
      readonly outcome: 'accepted' | 'ignored';
      readonly result: EvaluationResult;
    }
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

function recordEvaluation(t: Telemetry, deps: ControllerDeps, r: EvaluationResult): void {
  const { observation: o, decision: d } = r;
  if (d.outcome === 'ignored') {
    t.metric(MetricName.ObservationsIgnored, 'Count', 1);
    t.property('queueId', o.queueId);
    t.info('observation ignored', { queueId: o.queueId, observedAt: o.observedAt, reason: d.ignoredReason });
    return;
  }
  t.metric(MetricName.Observations, 'Count', 1);
  // Per-queue values are EMF properties of this invocation's blob, not dimensions: the metric count
  // stays constant however many queues there are (docs/deploy.md: the dashboard's Logs Insights widgets).
  t.property('queueId', o.queueId);
  t.property('observedAt', o.observedAt);
  t.property('waiting', o.waiting);
  t.property('agentsAvailable', o.agentsAvailable);
  for (const [key, active] of Object.entries(d.effective)) {
    t.property(key, active);
    t.metric(TIER_ACTIVE_METRIC[key as keyof typeof TIER_ACTIVE_METRIC], 'Count', active ? 1 : 0);
  }
  for (const tr of d.transitions) {
    t.metric(MetricName.Transitions, 'Count', 1, { [MetricDimension.Tier]: String(tr.tier) });
    t.info('tier transition', { ...tr });
  }
  recordActuations(t, deps, r.actuations);
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
