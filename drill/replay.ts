import { actuatorsForDrill, desiredState, planActuators, withDemand } from '../lambdas/core/actuator-plan';
import { type Actuator, type SurgeConfig, tierKey, tierNumber } from '../lambdas/core/config';
import { type AcceptedDecision, decide } from '../lambdas/core/decide';
import {
  actuatorEpisodePage,
  flappingPage,
  recommendationPage,
  staleObservationsPage,
} from '../lambdas/core/pages';
import { actuatorEpisodeKey } from '../lambdas/core/persistence';
import { Reason } from '../lambdas/core/reasons';
import type { QueueState } from '../lambdas/core/state';
import { isoToMs } from '../lambdas/core/time';
import { type RunReport, toReportPage, toReportTransition } from './report';
import type { ScenarioLine } from './scenario';

// `cx-surge replay`: the scenario through the pure core, on simulated time (each line's `observedAt` is
// "now"). Every queue in the scenario is evaluated, listed in the config or not. Actuations come from
// the actuator plan with result `planned`; pages are built by the live pipeline's own page builders
// (actuator episodes, recommendations, stale data, flapping), so they carry the same dedup keys.

export interface ReplayResult extends RunReport {
  /** Every queue seen, in order of first appearance. */
  readonly queues: string[];
  /** Number of observations processed (accepted + ignored). */
  readonly observations: number;
}

/**
 * The replay as a stream: push scenario lines in file order, read the report at the end. It keeps one
 * state per queue and the report's lists (transitions, actuations, ignored lines, pages), which grow
 * with what happened, not with the number of lines — so a streamed file replays in flat memory.
 */
export class ScenarioReplay {
  private readonly actuators: readonly Actuator[];
  private readonly states = new Map<string, QueueState>();
  private readonly demandedBy: Map<string, string[]>;
  private readonly episodes = new Map<string, number>(); // dedup-key counters, per actuator / recommendation
  private readonly staleMs: number;
  readonly report: Mutable<ReplayResult> = {
    transitions: [],
    actuations: [],
    ignored: [],
    pages: [],
    queues: [],
    observations: 0,
  };

  constructor(private readonly config: SurgeConfig) {
    this.actuators = actuatorsForDrill(config);
    this.demandedBy = new Map<string, string[]>(this.actuators.map((a) => [a.id, []]));
    this.staleMs = config.staleAfterSeconds * 1000;
  }

  push({ line, observation }: ScenarioLine): void {
    const { config, report } = this;
    const { queueId, observedAt } = observation;
    const state = this.states.get(queueId);
    if (!state) report.queues.push(queueId);
    const now = isoToMs(observedAt);
    const decision = decide(state, observation, config, now);
    report.observations++;

    if (decision.outcome === 'ignored') {
      report.ignored.push({ line, queueId, reason: decision.ignoredReason ?? Reason.DUPLICATE });
      return;
    }
    this.states.set(queueId, decision.next);

    if (state && now - isoToMs(state.lastObservedAt) >= this.staleMs) {
      // The live poller notices the silence on its first tick past staleAfterSeconds; replay has no
      // ticks, so the trigger is stamped at the moment the queue became stale.
      const staleAt = isoToMs(state.lastObservedAt) + this.staleMs;
      report.pages.push(
        toReportPage(staleObservationsPage(queueId, state.lastObservedAt, 'trigger', staleAt)),
      );
      report.pages.push(toReportPage(staleObservationsPage(queueId, state.lastObservedAt, 'resolve', now)));
    }
    for (const t of decision.transitions) {
      report.transitions.push(toReportTransition(t));
      if (t.mode === 'recommend') {
        const before = state?.tiers[tierKey(t.tier)];
        const activatedAt = t.action === 'restore' && before?.status === 'active' ? before.activatedAt : t.at;
        report.pages.push(toReportPage(recommendationPage(t, activatedAt)));
      }
    }
    for (const key of decision.flapping) {
      report.pages.push(toReportPage(flappingPage(queueId, tierNumber(key), observedAt)));
    }
    if (decision.effectiveChanged.length > 0) {
      planned(report, decision, this.actuators, this.demandedBy, this.episodes, observedAt);
    }
  }
}

export function replay(lines: Iterable<ScenarioLine>, config: SurgeConfig): ReplayResult {
  const run = new ScenarioReplay(config);
  for (const line of lines) run.push(line);
  return run.report;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function planned(
  report: RunReport,
  decision: AcceptedDecision,
  actuators: readonly Actuator[],
  demandedBy: Map<string, string[]>,
  episodes: Map<string, number>,
  at: string,
): void {
  const queueId = decision.next.queueId;
  const now = Date.parse(at);
  for (const demand of planActuators(actuators, queueId, decision.effective)) {
    const before = demandedBy.get(demand.actuatorId) ?? [];
    const after = withDemand(before, queueId, demand.demanding);
    demandedBy.set(demand.actuatorId, after);
    const wanted = desiredState(after);
    if (desiredState(before) === wanted) continue;
    const actuator = actuators.find((a) => a.id === demand.actuatorId) as Actuator;
    report.actuations.push({
      at,
      actuatorId: actuator.id,
      action: wanted === 'active' ? 'activate' : 'restore',
      result: 'planned',
    });
    // Episode numbering as the live actuator record does it: a new episode opens at each switch-on.
    const n = (episodes.get(actuator.id) ?? 0) + (wanted === 'active' ? 1 : 0);
    episodes.set(actuator.id, n);
    report.pages.push(
      toReportPage(actuatorEpisodePage(actuator, wanted, actuatorEpisodeKey(actuator.id, n), after, now)),
    );
  }
}
