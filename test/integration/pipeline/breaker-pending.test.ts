import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ReconcileResult } from '../../../lambdas/app/reconcile';
import { observation, observationEvent, type Pipeline, pipelinePerTest, startPipeline, T0 } from './harness';
import { invariantViolations } from './invariants';

// Issue 10: a switch refused by an open `genesys` breaker leaves the lever pending quietly (no failure
// counted, no `switch-failing` page); the tick whose prober closes the breaker switches it. On dynalite
// + the Genesys emulator, with Genesys down (5xx on every path) for a window that the surge starts and
// ends before, inside or around.

const MINUTE = 60_000;
const open = pipelinePerTest();

interface Schedule {
  /** Minutes from T0: waiting 120 (tier 1 wanted on) in [surgeFrom, surgeUntil), else 5. */
  readonly surgeFrom: number;
  readonly surgeUntil: number;
  /** Genesys answers 503 to everything in [downFrom, downUntil); other containers' failures open the breaker at downFrom. */
  readonly downFrom: number;
  readonly downUntil: number;
}

interface Run {
  readonly refused: number;
  readonly closedAtTick: number | undefined;
  /** The lever (tier 1 row) right after the tick that closed the breaker, and what the states wanted then. */
  readonly afterClose?: { readonly on: boolean; readonly wanted: boolean };
}

const tier1On = (p: Pipeline) => p.emulator.readRow('surge-control', 'tier1').SurgeActive === true;

async function runSchedule(p: Pipeline, s: Schedule, minutes: number): Promise<Run> {
  const breakers = p.deps.resilience?.breakers;
  if (!breakers) throw new Error('the pipeline runs without breakers');
  let refused = 0;
  let closedAtTick: number | undefined;
  let afterClose: Run['afterClose'];
  let wanted = false;
  const count = (results: readonly ReconcileResult[]) => {
    refused += results.filter((r) => r.result === 'circuit-open').length;
  };
  for (let m = 0; m <= minutes; m++) {
    p.clock.set(T0 + m * MINUTE);
    if (m === s.downFrom) {
      p.emulator.faults.until({ path: '*' }, { kind: 'status', status: 503 }, T0 + s.downUntil * MINUTE);
      // Other containers' calls failed five times in a row: the shared breaker opens.
      for (let i = 0; i < 5; i++) await breakers.record('genesys', { ok: false, error: 'HTTP 503' });
    }
    const before = (await breakers.state('genesys')).status;
    const tick = await p.poll(undefined, { queueIds: [] });
    count(tick.reconciled);
    const after = (await breakers.state('genesys')).status;
    if (before !== 'closed' && after === 'closed' && closedAtTick === undefined) {
      closedAtTick = m;
      afterClose = { on: tier1On(p), wanted };
    }
    wanted = m >= s.surgeFrom && m < s.surgeUntil;
    const evaluated = await p.evaluate(observationEvent(observation(p.clock.now(), wanted ? 120 : 5)));
    if (evaluated.kind === 'observation') count(evaluated.result.actuations);
  }
  return { refused, closedAtTick, ...(afterClose ? { afterClose } : {}) };
}

async function expectQuietAndConverged(p: Pipeline): Promise<void> {
  expect(p.pagesSent().filter((x) => x.startsWith('switch-failing'))).toEqual([]);
  expect((await p.deps.actuatorStore.get('tier1-datatable'))?.consecutiveFailures ?? 0).toBe(0);
  expect(p.telemetry.metrics.filter((m) => m.name === 'SwitchFailures')).toEqual([]);
  expect(await invariantViolations(p)).toEqual({ levers: [], pages: [] });
}

describe('a switch refused by an open breaker', () => {
  it('stays pending quietly and is switched off by the tick that closes the breaker (surge ends while open)', async () => {
    const p = await open();
    const run = await runSchedule(p, { surgeFrom: 1, surgeUntil: 5, downFrom: 3, downUntil: 8 }, 20);

    expect(run.refused).toBeGreaterThan(0);
    expect(run.closedAtTick).toBeGreaterThanOrEqual(8);
    expect(run.afterClose).toEqual({ on: false, wanted: false });
    const episode = p.pagesSent().filter((x) => x.startsWith('actuator-episode'));
    expect(episode).toEqual([
      'actuator-episode trigger actuator:tier1-datatable:1',
      'actuator-episode resolve actuator:tier1-datatable:1',
    ]);
    await expectQuietAndConverged(p);
  });

  it('switches on at the first tick after the breaker closes when the surge started while open', async () => {
    const p = await open();
    const run = await runSchedule(p, { surgeFrom: 4, surgeUntil: 30, downFrom: 2, downUntil: 9 }, 22);

    expect(run.refused).toBeGreaterThan(0);
    expect(run.afterClose).toEqual({ on: true, wanted: true });
    await expectQuietAndConverged(p);
  });

  it('never moves the lever nor pages an episode for a surge that starts and ends while open', async () => {
    const p = await open();
    const run = await runSchedule(p, { surgeFrom: 3, surgeUntil: 5, downFrom: 2, downUntil: 9 }, 20);

    expect(run.refused).toBeGreaterThan(0);
    expect(p.switchCalls()).toEqual([]);
    expect(p.pagesSent().filter((x) => x.startsWith('actuator-episode'))).toEqual([]);
    await expectQuietAndConverged(p);
  });

  it('holds for any order of surge and outage (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 1, max: 6 }),
        async (surgeFrom, surgeLength, downFrom, downLength) => {
          const p = await startPipeline();
          try {
            const schedule = {
              surgeFrom,
              surgeUntil: surgeFrom + surgeLength,
              downFrom,
              downUntil: downFrom + downLength,
            };
            const run = await runSchedule(p, schedule, 28);
            if (run.afterClose) expect(run.afterClose.on).toBe(run.afterClose.wanted);
            await expectQuietAndConverged(p);
          } finally {
            await p.stop();
          }
        },
      ),
      { numRuns: 6, seed: 1031 },
    );
  });
});
