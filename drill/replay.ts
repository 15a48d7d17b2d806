import { actuatorsForDrill, desiredState, planActuators, withDemand } from '../lambdas/core/actuator-plan';
import { DEFAULT_FLAPPING, type SurgeConfig, type TierKey } from '../lambdas/core/config';
import { type Decision, decide, type Transition } from '../lambdas/core/decide';
import { Reason } from '../lambdas/core/reasons';
import type { QueueState } from '../lambdas/core/state';
import type { ReportActuation, ReportPage, RunReport } from './report';
import { toReportTransition } from './report';
import type { ScenarioLine } from './scenario';

// `surge replay`: the scenario through the pure core, on simulated time (each line's `observedAt` is
// "now"). Every queue in the scenario is evaluated, listed in the config or not. Actuations come from
// the actuator plan with result `planned`; pages are those the live controller would send for the
// same history (actuator episodes, recommendations, stale data, flapping), at the same dedup keys.

export interface ReplayResult extends RunReport {
  /** Every queue seen, in order of first appearance. */
  readonly queues: string[];
  /** Number of observations processed (accepted + ignored). */
  readonly observations: number;
}

const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

export function replay(lines: readonly ScenarioLine[], config: SurgeConfig): ReplayResult {
  const actuators = actuatorsForDrill(config);
  const states = new Map<string, QueueState>();
  const demandedBy = new Map<string, string[]>(actuators.map((a) => [a.id, []]));
  const episodes = new Map<string, number>(); // dedup-key counters, per actuator / recommendation
  const report: Mutable<ReplayResult> = {
    transitions: [],
    actuations: [],
    ignored: [],
    pages: [],
    queues: [],
    observations: 0,
  };
  const staleMs = config.staleAfterSeconds * 1000;

  for (const { line, observation } of lines) {
    const { queueId, observedAt } = observation;
    const state = states.get(queueId);
    if (!state) report.queues.push(queueId);
    const now = Date.parse(observedAt);
    const decision = decide(state, observation, config, now);
    report.observations++;

    if (decision.outcome === 'ignored') {
      report.ignored.push({ line, queueId, reason: decision.ignoredReason ?? Reason.DUPLICATE });
      continue;
    }
    states.set(queueId, decision.next);

    if (state && decision.gap && now - Date.parse(state.lastObservedAt) >= staleMs) {
      pageStale(
        report.pages,
        queueId,
        state.lastObservedAt,
        Date.parse(state.lastObservedAt) + staleMs,
        observedAt,
      );
    }
    for (const t of decision.transitions) {
      report.transitions.push(toReportTransition(t));
      if (t.mode === 'recommend') pageRecommendation(report.pages, episodes, t);
    }
    for (const key of decision.flapping) pageFlapping(report.pages, queueId, key, observedAt, config);
    if (decision.effectiveChanged.length > 0) {
      planned(report, decision, actuators, demandedBy, episodes, observedAt);
    }
  }
  return report;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function planned(
  report: RunReport,
  decision: Decision,
  actuators: ReturnType<typeof actuatorsForDrill>,
  demandedBy: Map<string, string[]>,
  episodes: Map<string, number>,
  at: string,
): void {
  const queueId = decision.next.queueId;
  for (const demand of planActuators(actuators, queueId, decision.effective)) {
    const before = demandedBy.get(demand.actuatorId) ?? [];
    const after = withDemand(before, queueId, demand.demanding);
    demandedBy.set(demand.actuatorId, after);
    const was = desiredState(before);
    const wanted = desiredState(after);
    if (was === wanted) continue;
    const action: ReportActuation['action'] = wanted === 'active' ? 'activate' : 'restore';
    report.actuations.push({ at, actuatorId: demand.actuatorId, action, result: 'planned' });
    // Same episode key scheme as the live pipeline: trigger on switch-on, resolve (same key) on switch-off.
    const counterKey = `actuator:${demand.actuatorId}`;
    const n = (episodes.get(counterKey) ?? 0) + (action === 'activate' ? 1 : 0);
    episodes.set(counterKey, n);
    report.pages.push({
      at,
      kind: 'actuator-episode',
      action: action === 'activate' ? 'trigger' : 'resolve',
      dedupKey: `actuator:${demand.actuatorId}:${n}`,
      reason: action === 'activate' ? Reason.ACTUATOR_DEMANDED : Reason.ACTUATOR_RELEASED,
      summary: `tier ${demand.tier} actuator ${demand.actuatorId} ${action === 'activate' ? 'switched on' : 'switched off'} (queue ${queueId})`,
    });
  }
}

function pageRecommendation(pages: ReportPage[], episodes: Map<string, number>, t: Transition): void {
  const counterKey = `recommendation:${t.queueId}:tier${t.tier}`;
  const n = (episodes.get(counterKey) ?? 0) + (t.action === 'activate' ? 1 : 0);
  episodes.set(counterKey, n);
  pages.push({
    at: t.at,
    kind: 'recommendation',
    action: t.action === 'activate' ? 'trigger' : 'resolve',
    dedupKey: `${counterKey}:${n}`,
    reason: Reason.RECOMMENDATION,
    summary: `recommend ${t.action === 'activate' ? 'activating' : 'restoring'} tier ${t.tier} for queue ${t.queueId}`,
  });
}

function pageStale(
  pages: ReportPage[],
  queueId: string,
  lastAt: string,
  staleAt: number,
  resumedAt: string,
): void {
  const dedupKey = `stale:${queueId}:${lastAt}`;
  const base = { kind: 'stale-observations' as const, dedupKey, reason: Reason.STALE_OBSERVATIONS };
  pages.push({
    ...base,
    at: iso(staleAt),
    action: 'trigger',
    summary: `no observations for queue ${queueId} since ${lastAt}: tiers held`,
  });
  pages.push({
    ...base,
    at: resumedAt,
    action: 'resolve',
    summary: `observations for queue ${queueId} resumed`,
  });
}

function pageFlapping(
  pages: ReportPage[],
  queueId: string,
  key: TierKey,
  at: string,
  config: SurgeConfig,
): void {
  const f = config.flapping ?? DEFAULT_FLAPPING;
  pages.push({
    at,
    kind: 'flapping',
    action: 'trigger',
    dedupKey: `flapping:${queueId}:${key}:${at}`,
    reason: Reason.FLAPPING,
    summary: `${key} of queue ${queueId} is flapping (${f.transitions} transitions within ${f.windowSeconds} s): widen its band`,
  });
}
