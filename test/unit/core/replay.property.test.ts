import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ActuatorPlanner,
  newReplayReport,
  type ReplayResult,
  replay,
  ScenarioReplay,
} from '../../../drill/replay';
import { toReportPage, toReportTransition } from '../../../drill/report';
import { type ObservationSink, type ScenarioLine, streamObservations } from '../../../drill/scenario';
import { actuatorsForDrill } from '../../../lambdas/core/actuator-plan';
import { parseConfig, type SurgeConfig, tierKey, tierNumber } from '../../../lambdas/core/config';
import { decide } from '../../../lambdas/core/decide';
import { flappingPage, recommendationPage, staleObservationsPage } from '../../../lambdas/core/pages';
import { Reason } from '../../../lambdas/core/reasons';
import type { QueueState } from '../../../lambdas/core/state';
import { isoToMs } from '../../../lambdas/core/time';
import { T0 } from './helpers';

// The replay decides in place (decideInPlace, one working state per queue carried along). This
// reference replays with `decide` and immutable states, as the replay did before: whatever the scenario
// and config, the reports must be equal — transitions, actuations, ignored lines and every page. Both
// plan actuations with the same ActuatorPlanner; what differs is how they decide and read the states.

function referenceReplay(lines: readonly ScenarioLine[], config: SurgeConfig): ReplayResult {
  const states = new Map<string, QueueState>();
  const planner = new ActuatorPlanner(actuatorsForDrill(config));
  const staleMs = config.staleAfterSeconds * 1000;
  const report = newReplayReport();
  for (const { line, observation } of lines) {
    const { queueId, observedAt } = observation;
    const state = states.get(queueId);
    if (!state) report.queues.push(queueId);
    const now = isoToMs(observedAt);
    const decision = decide(state, observation, config, now);
    report.observations++;
    if (decision.outcome === 'ignored') {
      report.ignored.push({ line, queueId, reason: decision.ignoredReason ?? Reason.DUPLICATE });
      continue;
    }
    states.set(queueId, decision.next);
    if (state && now - isoToMs(state.lastObservedAt) >= staleMs) {
      const staleAt = isoToMs(state.lastObservedAt) + staleMs;
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
      planner.plan(report, queueId, decision.effective, observedAt);
    }
  }
  return report;
}

const QUEUES = ['a', 'b', 'c'];

const tierArb = fc.record({
  mode: fc.constantFrom('auto', 'auto', 'recommend', 'off'),
  activate: fc.record({
    waitingAbove: fc.integer({ min: 20, max: 40 }),
    forObservations: fc.integer({ min: 1, max: 3 }),
  }),
  restore: fc.record({
    waitingBelow: fc.integer({ min: 0, max: 20 }),
    forObservations: fc.integer({ min: 1, max: 3 }),
  }),
  minActiveSeconds: fc.constantFrom(0, 60, 180),
});

const configArb: fc.Arbitrary<SurgeConfig> = fc
  .record({
    tiers: fc.record({ tier1: tierArb, tier2: tierArb, tier3: tierArb }),
    staleAfterSeconds: fc.constantFrom(120, 180, 600),
    flapping: fc.record({
      transitions: fc.integer({ min: 2, max: 4 }),
      windowSeconds: fc.constantFrom(300, 3600),
    }),
    actuators: fc.constantFrom('drill defaults', 'per queue'),
  })
  .map(({ actuators, ...input }) =>
    parseConfig({
      ...input,
      ...(actuators === 'per queue'
        ? {
            actuators: [
              { id: 'a-only', tier: 1, type: 'notify-only', queues: ['a'] },
              { id: 'a-and-b', tier: 2, type: 'emergency-group', groupId: 'g', queues: ['a', 'b'] },
              { id: 'all-t3', tier: 3, type: 'notify-only', queues: ['*'] },
            ],
          }
        : {}),
    }),
  );

/** A scenario: lines for random queues, each queue's clock moving by minutes, with repeats, late lines and gaps. */
const scenarioArb = fc
  .array(
    fc.record({
      queue: fc.constantFrom(...QUEUES),
      step: fc.constantFrom(60, 60, 60, 60, 0, -60, 180, 900),
      waiting: fc.oneof(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 35, max: 60 }), fc.nat(60)),
      agentsAvailable: fc.option(fc.nat(6), { nil: null }),
    }),
    { maxLength: 150 },
  )
  .map((rows) => {
    const clock = new Map<string, number>();
    return rows.map(({ queue, step, waiting, agentsAvailable }, i): ScenarioLine => {
      const t = (clock.get(queue) ?? 0) + step;
      clock.set(queue, Math.max(t, clock.get(queue) ?? 0));
      const observedAt = new Date(T0 + t * 1000).toISOString().replace('.000Z', 'Z');
      return { line: i + 2, observation: { queueId: queue, observedAt, waiting, agentsAvailable } };
    });
  });

async function* bytesOf(text: string): AsyncGenerator<Uint8Array> {
  yield Buffer.from(text, 'utf8');
}

describe('replay (properties)', () => {
  it('reports exactly what a replay with decide and immutable states reports', () => {
    fc.assert(
      fc.property(configArb, scenarioArb, (config, lines) => {
        expect(replay(lines, config)).toEqual(referenceReplay(lines, config));
      }),
      { numRuns: 300 },
    );
  });

  it('reports the same fed by the streaming parser (queue numbers) as fed line objects', async () => {
    await fc.assert(
      fc.asyncProperty(configArb, scenarioArb, async (config, lines) => {
        const csv = [
          'observedAt,queueId,waiting,agentsAvailable',
          ...lines.map(
            ({ observation: o }) => `${o.observedAt},${o.queueId},${o.waiting},${o.agentsAvailable ?? ''}`,
          ),
        ].join('\n');
        const run = new ScenarioReplay(config);
        const sink: ObservationSink = run;
        if (lines.length > 0) {
          await streamObservations(bytesOf(`${csv}\n`), 's.csv', sink);
          expect(run.report).toEqual(referenceReplay(lines, config));
        }
      }),
      { numRuns: 100 },
    );
  });
});
