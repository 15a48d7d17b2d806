// What evaluate writes to its logs on a mostly quiet contact center, read the way the dashboard reads it:
// the real poll and evaluate handlers with Powertools telemetry on dynalite + the Genesys emulator, their
// stdout captured, and the dashboard's own Logs Insights queries (lib/surge-monitoring.ts) run over it.
import { afterEach, describe, expect, it } from 'vitest';
import { SURGE_CONTROL_TABLE } from '../../../drill/genesys-emulator';
import { SimulatedClock } from '../../../drill/simulated-clock';
import { type StandIns, startStandIns } from '../../../drill/stand-ins';
import { PowertoolsTelemetry } from '../../../lambdas/adapters/powertools-telemetry';
import { EvaluationLogMessage } from '../../../lambdas/app/evaluation-log';
import { actuatorsForDrill } from '../../../lambdas/core/actuator-plan';
import { parseConfig } from '../../../lambdas/core/config';
import { createEvaluateHandler } from '../../../lambdas/handlers/evaluate-handler';
import { createPollHandler } from '../../../lambdas/handlers/poll-handler';
import {
  CHUNKS_PER_MINUTE_QUERY,
  QUEUES_NOT_QUIET_QUERY,
  TIERS_PER_MINUTE_QUERY,
} from '../../../lib/surge-monitoring';
import { captureStdout, type LogEvent, runQuery } from '../../support/logs-insights';
import { T0 } from './harness';

// Tier 1 on after 2 observations above 50, off after 2 below 25; tier 2 off; tier 3 recommends above 400.
const CONFIG = {
  queues: ['quiet-a', 'quiet-b', 'quiet-c', 'surging', 'calming'].map((id) => ({ id })),
  tiers: {
    tier1: {
      activate: { waitingAbove: 50, forObservations: 2 },
      restore: { waitingBelow: 25, forObservations: 2 },
    },
    tier2: { mode: 'off' },
  },
};
/** `waiting` of each queue, one column per minute (agents available: 6). */
const SCRIPT: Record<string, number[]> = {
  'quiet-a': [3, 3, 3, 3, 3],
  'quiet-b': [0, 0, 0, 0, 0],
  'quiet-c': [9, 9, 9, 9, 9],
  surging: [3, 60, 70, 80, 90],
  calming: [30, 30, 10, 10, 10],
};
const MINUTES = 5;

let standIns: StandIns | undefined;
let restore: (() => void) | undefined;
afterEach(async () => {
  restore?.();
  await standIns?.stop();
  standIns = undefined;
});

async function runScript(): Promise<{
  byMinute: LogEvent[][];
  all: LogEvent[];
  bytes: number[];
  stderr: string[][];
}> {
  const config = parseConfig(CONFIG);
  const clock = new SimulatedClock(T0);
  const telemetry = new PowertoolsTelemetry();
  standIns = await startStandIns({
    config,
    actuators: actuatorsForDrill(config, SURGE_CONTROL_TABLE),
    clock,
    telemetry,
  });
  const s = standIns;
  const poll = createPollHandler(() => s.deps, telemetry);
  const evaluate = createEvaluateHandler(() => s.deps, telemetry);
  const byMinute: LogEvent[][] = [];
  const bytes: number[] = [];
  const stderr: string[][] = [];
  for (let minute = 0; minute < MINUTES; minute++) {
    for (const [queueId, waiting] of Object.entries(SCRIPT)) {
      s.emulator.setObservation(queueId, { waiting: waiting[minute] as number, agentsAvailable: 6 });
    }
    await poll({});
    const events = s.bus.drain();
    // Only evaluate's output: the dashboard queries evaluate's log group.
    const out = captureStdout(() => clock.now());
    restore = out.restore;
    try {
      for (const event of events) await evaluate(event);
    } finally {
      out.restore();
      restore = undefined;
    }
    byMinute.push(out.events);
    stderr.push(out.stderr);
    bytes.push(out.lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0));
    clock.advance(60_000);
  }
  return { byMinute, all: byMinute.flat(), bytes, stderr };
}

const queueLines = (events: readonly LogEvent[]) =>
  events.filter((e) => e.message === EvaluationLogMessage.Queue).map((e) => `${e.queueId} ${e.waiting}`);

describe('evaluate logs', () => {
  it('writes a queue line only while something happens to the queue, and on its first quiet minute', async () => {
    const { byMinute } = await runScript();

    expect(byMinute.map(queueLines)).toEqual([
      // first observations: every queue once
      ['quiet-a 3', 'quiet-b 0', 'quiet-c 9', 'surging 3', 'calming 30'],
      // calming sits between the restore (25) and activate (50) levels; surging's streak starts
      ['surging 60', 'calming 30'],
      // surging's tier 1 goes on; calming's first minute below 25 is logged once
      ['surging 70', 'calming 10'],
      ['surging 80'],
      ['surging 90'],
    ]);
  });

  it('puts one summary line per chunk and no EMF blob when nothing happened, whatever the number of quiet queues', async () => {
    const { byMinute, bytes, stderr } = await runScript();
    const last = byMinute.at(-1) as LogEvent[];
    const chunk = last.filter((e) => e.message === EvaluationLogMessage.Chunk);
    expect(chunk).toHaveLength(1);
    expect(chunk[0]).toMatchObject({
      queues: 5,
      quiet: 4,
      duplicates: 0,
      ignored: 0,
      tier1: 1,
      deepest: 'surging',
      deepestWaiting: 90,
      worst: 'surging 90/6, calming 10/6, quiet-c 9/6',
    });
    // No EMF blob when nothing happened (no transition, nothing ignored): tier state is in the chunk line.
    expect(last.filter((e) => '_aws' in e)).toEqual([]);
    // The minute's whole output: the summary line and the busy queue's line (no warning on stderr
    // either, such as Powertools' "No application metrics to publish").
    expect(last).toHaveLength(2);
    expect(stderr.flat()).toEqual([]);
    expect(bytes.at(-1)).toBeLessThan(1000);
    // The minute tier 1 went on: one Transitions value for the tier (and the actuator's SwitchLatency).
    const blobs = (byMinute[2] as LogEvent[]).filter((e) => '_aws' in e);
    expect(blobs.filter((b) => 'Transitions' in b)).toEqual([
      expect.objectContaining({ Tier: '1', Transitions: 1 }),
    ]);
    expect(blobs.filter((b) => !('Transitions' in b) && !('SwitchLatency' in b))).toEqual([]);
  });

  it("feeds the dashboard's per-queue table: busy queues first, a calmed queue at its first quiet minute", async () => {
    const { all } = await runScript();

    const rows = runQuery(QUEUES_NOT_QUIET_QUERY, all);

    expect(rows.map((r) => [r.queueId, r.waiting, r.t1, r.activating])).toEqual([
      ['surging', 90, true, '-'],
      ['calming', 10, false, '-'],
      ['quiet-c', 9, false, '-'],
      ['quiet-a', 3, false, '-'],
      ['quiet-b', 0, false, '-'],
    ]);
    expect(rows[0]?.lastLogged).toBe(T0 + 4 * 60_000);
    expect(rows[1]?.lastLogged).toBe(T0 + 2 * 60_000);
    // The streak toward tier 1 shows while it runs.
    const minute1 = runQuery(
      QUEUES_NOT_QUIET_QUERY,
      all.filter((e) => e['@timestamp'] <= T0 + 60_000),
    );
    expect(minute1.find((r) => r.queueId === 'surging')).toMatchObject({ activating: 'tier1 1/2' });
  });

  it("feeds the dashboard's per-minute charts from the summary lines: every queue counted, tiers on", async () => {
    const { all } = await runScript();

    const rows = runQuery(CHUNKS_PER_MINUTE_QUERY, all);
    const tiers = runQuery(TIERS_PER_MINUTE_QUERY, all);

    expect(rows.map((r) => [r.evaluated, r.quiet, r.deepest])).toEqual([
      [5, 0, 30],
      [5, 3, 60],
      [5, 3, 70],
      [5, 4, 80],
      [5, 4, 90],
    ]);
    expect(tiers.map((r) => [r.tier1, r.tier2, r.tier3])).toEqual([
      [0, 0, 0],
      [0, 0, 0],
      [1, 0, 0],
      [1, 0, 0],
      [1, 0, 0],
    ]);
  });
});
