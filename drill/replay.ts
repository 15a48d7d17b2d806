import { actuatorsForDrill, desiredState, planActuators, withDemand } from '../lambdas/core/actuator-plan';
import { type Actuator, type SurgeConfig, type TierKey, tierNumber } from '../lambdas/core/config';
import {
  decideInPlace,
  newWorkingDecision,
  type TimedObservation,
  type WorkingQueueState,
  workingStateOf,
} from '../lambdas/core/decide-in-place';
import {
  actuatorEpisodePage,
  flappingPage,
  recommendationPage,
  staleObservationsPage,
} from '../lambdas/core/pages';
import { actuatorEpisodeKey } from '../lambdas/core/persistence';
import { Reason } from '../lambdas/core/reasons';
import { isoToMs } from '../lambdas/core/time';
import { type RunReport, toReportPage, toReportTransition } from './report';
import type { ObservationSink, ScenarioLine } from './scenario';

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
 * The replay as a stream: hand it the scenario's observations in file order (as a parser's sink, or
 * `push` line objects: one or the other for a whole run), read the report at the end. It keeps one
 * state per queue and the report's lists (transitions, actuations, ignored lines, pages), which grow
 * with what happened, not with the number of lines — so a streamed file replays in flat memory.
 *
 * Each queue's state is a working state decided in place (`decideInPlace`, the rules `decide` applies
 * to a copy): a quiet observation allocates nothing.
 */
export class ScenarioReplay implements ObservationSink {
  private readonly planner: ActuatorPlanner;
  /** Per queue number (order of first appearance). */
  private readonly states: WorkingQueueState[] = [];
  /** Queue numbers for `push`. */
  private readonly queueNumbers = new Map<string, number>();
  private readonly observation: Mutable<TimedObservation> = {
    queueId: '',
    observedAt: '',
    observedAtMs: 0,
    waiting: 0,
    agentsAvailable: null,
  };
  private readonly decision = newWorkingDecision();
  private readonly staleMs: number;
  readonly report = newReplayReport();

  constructor(private readonly config: SurgeConfig) {
    this.planner = new ActuatorPlanner(actuatorsForDrill(config));
    this.staleMs = config.staleAfterSeconds * 1000;
  }

  push({ line, observation }: ScenarioLine): void {
    const { queueId, observedAt } = observation;
    let queue = this.queueNumbers.get(queueId);
    if (queue === undefined) {
      queue = this.queueNumbers.size;
      this.queueNumbers.set(queueId, queue);
    }
    this.observe(
      line,
      queue,
      queueId,
      observedAt,
      isoToMs(observedAt),
      observation.waiting,
      observation.agentsAvailable,
    );
  }

  readonly observe: ObservationSink['observe'] = (
    line,
    queue,
    queueId,
    observedAt,
    observedAtMs,
    waiting,
    agentsAvailable,
  ) => {
    const { config, report, decision } = this;
    let state = this.states[queue];
    if (state === undefined) {
      state = workingStateOf(undefined, queueId);
      this.states[queue] = state;
    }
    const before = state.accepted;
    if (!before) report.queues.push(queueId);
    const lastObservedAt = state.lastObservedAt;
    const lastObservedAtMs = state.lastObservedAtMs;
    const o = this.observation;
    o.queueId = queueId;
    o.observedAt = observedAt;
    o.observedAtMs = observedAtMs;
    o.waiting = waiting;
    o.agentsAvailable = agentsAvailable;
    const now = observedAtMs;
    decideInPlace(state, o, config, now, undefined, decision);
    report.observations++;

    if (decision.outcome === 'ignored') {
      report.ignored.push({ line, queueId, reason: decision.ignoredReason ?? Reason.DUPLICATE });
      return;
    }

    if (before && now - lastObservedAtMs >= this.staleMs) {
      // The live poller notices the silence on its first tick past staleAfterSeconds; replay has no
      // ticks, so the trigger is stamped at the moment the queue became stale.
      const staleAt = lastObservedAtMs + this.staleMs;
      report.pages.push(toReportPage(staleObservationsPage(queueId, lastObservedAt, 'trigger', staleAt)));
      report.pages.push(toReportPage(staleObservationsPage(queueId, lastObservedAt, 'resolve', now)));
    }
    const { transitions } = decision;
    for (let i = 0; i < transitions.length; i++) {
      const t = transitions[i] as (typeof transitions)[number];
      report.transitions.push(toReportTransition(t));
      if (t.mode === 'recommend') {
        report.pages.push(toReportPage(recommendationPage(t, decision.episodeStarts[i] as string)));
      }
    }
    const { flapping } = decision;
    for (let i = 0; i < flapping.length; i++) {
      const key = flapping[i] as (typeof flapping)[number];
      report.pages.push(toReportPage(flappingPage(queueId, tierNumber(key), observedAt)));
    }
    if (decision.effectiveChanged.length > 0) {
      this.planner.plan(report, queueId, decision.effective, observedAt);
    }
  };
}

export function replay(lines: Iterable<ScenarioLine>, config: SurgeConfig): ReplayResult {
  const run = new ScenarioReplay(config);
  for (const line of lines) run.push(line);
  return run.report;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A replay report with nothing in it yet, to fill in as the observations come. */
export const newReplayReport = (): Mutable<ReplayResult> => ({
  transitions: [],
  actuations: [],
  ignored: [],
  pages: [],
  queues: [],
  observations: 0,
});

/**
 * The actuator side of a replay: which queues demand each actuator, and each actuator's episode count.
 * A queue's effective tiers changed: `plan` reports the switches that follow (result `planned`) and their
 * episode pages, numbered as the live actuator record numbers them.
 */
export class ActuatorPlanner {
  private readonly demandedBy: Map<string, string[]>;
  private readonly episodes = new Map<string, number>();

  constructor(private readonly actuators: readonly Actuator[]) {
    this.demandedBy = new Map<string, string[]>(actuators.map((a) => [a.id, []]));
  }

  plan(report: RunReport, queueId: string, effective: Readonly<Record<TierKey, boolean>>, at: string): void {
    const { actuators, demandedBy, episodes } = this;
    const now = Date.parse(at);
    for (const demand of planActuators(actuators, queueId, effective)) {
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
      // A new episode opens at each switch-on.
      const n = (episodes.get(actuator.id) ?? 0) + (wanted === 'active' ? 1 : 0);
      episodes.set(actuator.id, n);
      report.pages.push(
        toReportPage(actuatorEpisodePage(actuator, wanted, actuatorEpisodeKey(actuator.id, n), after, now)),
      );
    }
  }
}
