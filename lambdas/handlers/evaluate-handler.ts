import { MetricDimension, MetricName } from '../adapters/telemetry-names';
import { type ControllerDeps, invocationDeadline } from '../app/deps';
import { handleEdgeAlarm } from '../app/edge-alarm';
import {
  type ChunkEvaluationResult,
  type EvaluationResult,
  evaluateObservation,
  evaluateObservations,
} from '../app/evaluate-observation';
import { chunkLogLine, EvaluationLogMessage, isQuiet, queueLogLine } from '../app/evaluation-log';
import type { ReconcileResult } from '../app/reconcile';
import type { Telemetry } from '../app/telemetry';
import { SurgeError } from '../core/errors';
import { Reason } from '../core/reasons';
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
        recordEvaluations(telemetry, deps, chunk.results);
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
      recordEvaluations(telemetry, deps, [result]);
      recordActuations(telemetry, deps, result.actuations);
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
 * One invocation's evaluations, as telemetry (docs/cost.md#logs). Logs: one line per queue that is not
 * quiet (app/evaluation-log.ts), one `observation ignored` line per out-of-order or future-dated
 * observation, one line per transition, and one summary line for the chunk (its queues, how many
 * quiet, tiers on, the deepest). Metrics only where something happened (ignored observations,
 * transitions per tier), one value each per invocation: a quiet chunk emits none, and the dashboard
 * charts tier state from the summary lines (docs/cost.md#metrics).
 */
function recordEvaluations(t: Telemetry, deps: ControllerDeps, results: readonly EvaluationResult[]): void {
  let accepted = 0;
  let quiet = 0;
  const transitions = new Map<number, number>();
  for (const r of results) {
    const { observation: o, decision: d } = r;
    if (d.outcome === 'ignored') {
      if (d.ignoredReason !== Reason.DUPLICATE) {
        t.info(EvaluationLogMessage.Ignored, {
          queueId: o.queueId,
          observedAt: o.observedAt,
          reason: d.ignoredReason,
        });
      }
      continue;
    }
    accepted++;
    if (isQuiet(r, deps.config)) quiet++;
    else t.info(EvaluationLogMessage.Queue, { ...queueLogLine(r, deps.config) });
    for (const tr of d.transitions) {
      transitions.set(tr.tier, (transitions.get(tr.tier) ?? 0) + 1);
      t.info('tier transition', { ...tr });
    }
  }
  const ignored = results.length - accepted;
  if (ignored > 0) t.metric(MetricName.ObservationsIgnored, 'Count', ignored);
  for (const [tier, n] of transitions) {
    t.metric(MetricName.Transitions, 'Count', n, { [MetricDimension.Tier]: String(tier) });
  }
  t.info(EvaluationLogMessage.Chunk, { ...chunkLogLine(results, quiet) });
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
      // And once without the type: the alarm reads this one metric (one alarm metric, not one per type).
      t.metric(MetricName.SwitchFailures, 'Count', 1);
    }
  }
}
