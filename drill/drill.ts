import type { ReconcileResult } from '../lambdas/app/reconcile';
import { RecordingTelemetry } from '../lambdas/app/telemetry';
import { actuatorsForDrill } from '../lambdas/core/actuator-plan';
import type { Actuator, SurgeConfig } from '../lambdas/core/config';
import type { ActuatorRecord } from '../lambdas/core/persistence';
import { isoInstant } from '../lambdas/core/time';
import type { EvaluateResponse } from '../lambdas/handlers/evaluate-handler';
import { createEvaluateHandler } from '../lambdas/handlers/evaluate-handler';
import { createPollHandler } from '../lambdas/handlers/poll-handler';
import { breakerChecks, type DrillBreakerChange } from './breaker-checks';
import { type DrillCheck, drillChecks } from './checks';
import { type Tier4Transition, tier4Check } from './edge/edge-checks';
import { type DrillScreenshot, VisitorChecks } from './edge/visitor-checks';
import type { FaultChange, FaultSchedule } from './faults';
import { type MutationRecord, SURGE_CONTROL_TABLE } from './genesys-emulator';
import { replay } from './replay';
import { type ReportActuation, type RunReport, toReportPage, toReportTransition } from './report';
import type { ScenarioLine } from './scenario';
import { SimulatedClock } from './simulated-clock';
import { type StandIns, startStandIns } from './stand-ins';

// `cx-surge drill`: the real handlers (poll-observations → EventBridge-shaped events → evaluate) on the
// local stand-ins, tick by tick on simulated time. Each scenario line becomes the emulator's current
// observation for its queue and one poll tick delivers it, so a repeated or older line reaches
// evaluate the way an EventBridge redelivery or a late event would. Over silent stretches the poller
// still ticks every intervalSeconds (stale pages, reconciliation, page retries), as it would in AWS.

/** EventBridge retries a failed evaluate invocation (the CDK rule allows 2 retries) before the DLQ. */
const EVALUATE_ATTEMPTS = 3;

export interface DrillOptions {
  readonly lines: readonly ScenarioLine[];
  readonly config: SurgeConfig;
  /** Append delivered pages here as JSON lines. */
  readonly outboxFile?: string;
  /** Called before each line is delivered: fault drills and tests inject faults or crashes here. */
  readonly beforeLine?: (line: ScenarioLine, standIns: StandIns) => void | Promise<void>;
  /** Real ms per Genesys call before it counts as a timeout. @default 3000 */
  readonly callTimeoutMs?: number;
  /** Faults applied on simulated time at every tick (`cx-surge drill --faults`). @default none */
  readonly faults?: FaultSchedule;
  /**
   * `cx-surge drill --serve`: called with the result while the stand-ins still run; they stop when it
   * returns. `liveTick` runs one poller tick (and its evaluations) at real time, as a deployed poller would.
   */
  readonly serve?: (
    result: DrillResult,
    live: { standIns: StandIns; liveTick: () => Promise<void> },
  ) => Promise<void>;
  /** Run the visitor checks in Chromium too, when one is found (drill/browser.ts). @default true */
  readonly browser?: boolean;
  /** Called after each scenario line with how many were drilled and the simulated instant (a progress line). */
  readonly onProgress?: (done: number, total: number, simulatedAt: number) => void;
}

/** What the drill saw of the edge tiers (present when the drill exercises the edge). */
export interface DrillEdgeReport {
  /** Tier 4 as evaluate recorded it from the origin alarm's state changes. */
  readonly tier4: Tier4Transition[];
  /** The origin alarm's state changes, as delivered to evaluate. */
  readonly alarm: {
    readonly at: string;
    readonly state: 'ALARM' | 'OK';
    readonly datapoints: readonly number[];
  }[];
  /** Calls the KeyValueStore stand-in received from the cloudfront-kvs adapter. */
  readonly kvsCalls: string[];
  readonly screenshots: DrillScreenshot[];
}

export interface SeriesPoint {
  readonly at: string;
  readonly waiting: number;
  readonly agentsAvailable: number | null;
}

export interface DrillResult extends RunReport {
  readonly queues: string[];
  readonly observations: number;
  readonly actuators: readonly Actuator[];
  readonly checks: DrillCheck[];
  readonly passed: boolean;
  /** Every mutating call the Genesys emulator received. */
  readonly switched: MutationRecord[];
  /** Actuator records at the end of the drill. */
  readonly finalActuators: ActuatorRecord[];
  /** Evaluate invocations that still failed after EventBridge's retries (they would sit in the DLQ). */
  readonly deadLetters: { readonly line: number; readonly error: string }[];
  /** Observations per queue, for the chart. */
  readonly series: Record<string, SeriesPoint[]>;
  readonly telemetry: RecordingTelemetry;
  /** Real wall-clock ms the drill took. */
  readonly wallMs: number;
  /** Every fault start and end the drill applied, in order. */
  readonly faults: FaultChange[];
  /** State changes of the shared circuit breakers (`--json` `breakers`). */
  readonly breakers: DrillBreakerChange[];
  /** Scenario lines the poller could not read (Genesys failing or its breaker open). */
  readonly unread: number[];
  readonly edge?: DrillEdgeReport;
}

export async function runDrill(options: DrillOptions): Promise<DrillResult> {
  const started = Date.now();
  const { lines, config } = options;
  if (lines.length === 0) throw new Error('drill: the scenario has no observations');
  const actuators = actuatorsForDrill(config, SURGE_CONTROL_TABLE);
  const clock = new SimulatedClock(Date.parse(lines[0]?.observation.observedAt ?? ''));
  const telemetry = new RecordingTelemetry();
  const standIns = await startStandIns({
    config,
    actuators,
    clock,
    telemetry,
    ...(options.outboxFile ? { outboxFile: options.outboxFile } : {}),
    ...(options.callTimeoutMs ? { callTimeoutMs: options.callTimeoutMs } : {}),
    ...(options.faults ? { faults: options.faults } : {}),
  });
  const poll = createPollHandler(() => standIns.deps, telemetry);
  const evaluate = createEvaluateHandler(() => standIns.deps, telemetry);

  const report: RunReport = { transitions: [], actuations: [], ignored: [], pages: [] };
  const queues: string[] = [];
  const series: Record<string, SeriesPoint[]> = {};
  const deadLetters: { line: number; error: string }[] = [];
  const accepted: ScenarioLine[] = [];

  const noteActuations = (results: readonly ReconcileResult[]): void => {
    const at = isoInstant(clock.now());
    for (const r of results) {
      const a = toReportActuation(r, at);
      if (a) report.actuations.push(a);
    }
  };
  const unread: ScenarioLine[] = [];
  const tick = async (queueIds: readonly string[]) => {
    await standIns.faults.tick(clock.now());
    const result = await poll(undefined, { queueIds });
    noteActuations(result.reconciled);
    await standIns.deliverPages(); // the page sender: the table's stream and its 1-minute sweep
    return result;
  };

  // The edge after each tick: the origin alarm's state change (if any) goes to evaluate as the deployed
  // rule delivers it, and visitors look at the site when the flag is on or the origin is down.
  const edge = standIns.edge;
  const site = edge.site;
  const visitors = site ? new VisitorChecks(site.url, options.browser ?? true) : undefined;
  const tier4: Tier4Transition[] = [];
  const flagOn = () =>
    actuators.some((a) => a.type === 'cloudfront-kvs' && edge.kvs.store.peek(a.key) === a.activeValue);
  const edgeTick = async (lineNo: number) => {
    for (const event of await edge.afterTick(clock.now())) {
      const response = await deliver(evaluate, event, lineNo, deadLetters);
      if (response?.kind !== 'edge-alarm' || response.tier4 === 'held') continue;
      tier4.push({
        at: isoInstant(clock.now()),
        tier: 4,
        action: response.tier4 === 'active' ? 'activate' : 'restore',
        mode: 'infra',
        alarmName: event.detail.alarmName,
        alarmState: event.detail.state.value,
      });
      noteActuations(response.actuations);
    }
    if (!visitors || !site) return;
    const at = isoInstant(clock.now());
    if (!visitors.checked('flag-on') && flagOn()) await visitors.check('flag-on', at);
    if (!visitors.checked('origin-down') && site.origin.fault !== undefined)
      await visitors.check('origin-down', at);
  };

  try {
    const intervalMs = config.intervalSeconds * 1000;
    let lastTick = Number.NEGATIVE_INFINITY;
    for (const [index, line] of lines.entries()) {
      options.onProgress?.(index, lines.length, clock.now());
      const o = line.observation;
      const at = Date.parse(o.observedAt);
      for (let t = lastTick + intervalMs; Number.isFinite(lastTick) && t < at; t += intervalMs) {
        clock.set(t);
        await tick([]);
        await edgeTick(line.line);
      }
      if (!queues.includes(o.queueId)) {
        queues.push(o.queueId);
        series[o.queueId] = [];
      }
      series[o.queueId]?.push({ at: o.observedAt, waiting: o.waiting, agentsAvailable: o.agentsAvailable });

      clock.set(at);
      await options.beforeLine?.(line, standIns);
      standIns.emulator.setObservation(o.queueId, { waiting: o.waiting, agentsAvailable: o.agentsAvailable });
      const polled = await tick([o.queueId]);
      const events = standIns.bus.drain();
      // Genesys could not be read (a fault, or its breaker open): this observation never reached evaluate.
      if (events.length === 0 && polled.readError) unread.push(line);
      for (const event of events) {
        const response = await deliver(evaluate, event, line.line, deadLetters);
        if (response?.kind === 'observations') noteActuations(response.actuations);
        const results =
          response?.kind === 'observation'
            ? [response.result]
            : response?.kind === 'observations'
              ? response.results
              : [];
        for (const { decision, actuations } of results) {
          if (decision.outcome === 'ignored') {
            report.ignored.push({
              line: line.line,
              queueId: o.queueId,
              reason: decision.ignoredReason ?? 'duplicate',
            });
            continue;
          }
          accepted.push(line);
          // The poller stamps the read's instant; report it in the scenario's own spelling (same instant).
          report.transitions.push(
            ...decision.transitions.map((t) => ({ ...toReportTransition(t), at: o.observedAt })),
          );
          if (response?.kind === 'observation') noteActuations(actuations);
        }
      }
      if (events.length > 0) await standIns.deliverPages();
      await edgeTick(line.line);
      lastTick = Math.max(lastTick, at);
    }
    // One more tick after the last line: the reconciliation and page retries a real poller would do.
    clock.set(lastTick + intervalMs);
    await tick([]);
    await edgeTick(lines.at(-1)?.line ?? 0);
    // Visitors look once more when the drill ends: both edge tiers should be back to normal.
    if (visitors && (visitors.checked('flag-on') || visitors.checked('origin-down'))) {
      await visitors.check('recovered', isoInstant(clock.now()), {
        flagOn: flagOn(),
        originDown: site?.origin.fault !== undefined,
      });
    }
    await visitors?.close();

    report.pages.push(...standIns.transport.delivered.map(toReportPage));
    const finalActuators = await standIns.deps.actuatorStore.list();
    const switched = standIns.emulator.mutations();
    // "replay agrees" compares the drill with the pure replay of the observations the controller actually
    // read: a line the poller could not read (Genesys failing, its breaker open) never existed for it, as
    // in production, so replay skips it too (docs/resilience.md#drill-faults).
    const replayed = replay(unread.length === 0 ? lines : lines.filter((l) => !unread.includes(l)), config);
    const checks = await drillChecks({
      config,
      actuators,
      accepted,
      report,
      replayed,
      finalActuators,
      standIns,
      deadLetters,
      tier4,
    });
    if (!standIns.faults.schedule.empty) checks.push(faultsCheck(standIns));
    const breakers = standIns.breakerLog.map((b) => ({
      at: isoInstant(b.transition.at),
      breaker: b.breaker,
      from: b.transition.from,
      to: b.transition.to,
    }));
    checks.push(
      ...(await breakerChecks({
        standIns,
        report,
        unread,
        breakers,
        intervalMs: config.intervalSeconds * 1000,
      })),
    );
    if (site && edge.alarm) {
      checks.push(
        tier4Check({
          faults: standIns.faults.log,
          alarmChanges: edge.alarmChanges,
          tier4,
          pages: report.pages,
          datapointsToAlarm: edge.alarm.datapointsToAlarm,
        }),
      );
      checks.push(...visitorSummary(visitors, actuators, standIns));
    }
    const result: DrillResult = {
      ...report,
      queues,
      observations: lines.length,
      actuators,
      checks,
      passed: checks.every((c) => c.status !== 'fail'),
      switched,
      finalActuators,
      deadLetters,
      series,
      telemetry,
      wallMs: Date.now() - started,
      faults: standIns.faults.log,
      breakers,
      unread: unread.map((l) => l.line),
      ...(site
        ? {
            edge: {
              tier4,
              alarm: edge.alarmChanges.map((c) => ({
                at: isoInstant(c.atMs),
                state: c.state,
                datapoints: c.datapoints,
              })),
              kvsCalls: edge.kvs.calls,
              screenshots: visitors?.screenshots ?? [],
            },
          }
        : {}),
    };
    if (options.serve) {
      // After the drill, time runs forward from the later of its end and the wall clock, in real time.
      const from = Math.max(clock.now(), Date.now());
      const realStart = Date.now();
      const liveTick = async () => {
        clock.set(from + (Date.now() - realStart));
        await tick(queues);
        for (const event of standIns.bus.drain()) await evaluate(event).catch(() => undefined);
      };
      await options.serve(result, { standIns, liveTick });
    }
    return result;
  } finally {
    await standIns.stop();
  }
}

async function deliver(
  evaluate: (event: unknown) => Promise<EvaluateResponse>,
  event: unknown,
  line: number,
  deadLetters: { line: number; error: string }[],
): Promise<EvaluateResponse | undefined> {
  let lastError = '';
  for (let attempt = 1; attempt <= EVALUATE_ATTEMPTS; attempt++) {
    try {
      return await evaluate(event);
    } catch (e) {
      lastError = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    }
  }
  deadLetters.push({ line, error: lastError });
  return undefined;
}

function toReportActuation(r: ReconcileResult, at: string): ReportActuation | undefined {
  switch (r.result) {
    case 'switched':
    case 'converged':
      return {
        at,
        actuatorId: r.actuatorId,
        action: r.state === 'active' ? 'activate' : 'restore',
        result: r.result === 'switched' ? 'applied' : 'already-applied',
      };
    case 'failed':
      return {
        at,
        actuatorId: r.actuatorId,
        action: r.wanted === 'active' ? 'activate' : 'restore',
        result: 'failed',
      };
    default:
      return undefined; // lock held elsewhere, already applied, fenced out: nothing happened here
  }
}

/** A faults file naming a target no stand-in of this drill applies would pass while proving nothing. */
function faultsCheck(standIns: StandIns): DrillCheck {
  const { schedule, log } = standIns.faults;
  const unapplied = standIns.faults.unapplied();
  if (unapplied.length > 0) {
    return {
      name: 'faults',
      status: 'fail',
      detail: `no stand-in in this drill applies target(s) ${unapplied.join(', ')}`,
    };
  }
  const started = new Set(log.filter((c) => c.fault !== null).map((c) => c.entry));
  const missed = schedule.faults.filter((f) => !started.has(f.index));
  if (missed.length > 0) {
    return {
      name: 'faults',
      status: 'fail',
      detail: `never in force at a drill tick: ${missed.map((f) => `entry ${f.index} (${f.target} ${f.from} – ${f.until})`).join(', ')}`,
    };
  }
  return {
    name: 'faults',
    status: 'pass',
    detail: `all ${schedule.faults.length} fault(s) applied on simulated time (${schedule.targets.join(', ')})`,
  };
}

/** The visitor checks, plus a word for the moments the drill never reached. */
function visitorSummary(
  visitors: VisitorChecks | undefined,
  actuators: readonly Actuator[],
  standIns: StandIns,
): DrillCheck[] {
  if (!visitors) return [];
  const out = [...visitors.checks];
  if (!visitors.checked('flag-on') && actuators.some((a) => a.type === 'cloudfront-kvs')) {
    out.push({ name: 'visitor flag-on', status: 'not-exercised', detail: 'the tier 3 flag was never on' });
  }
  if (!visitors.checked('origin-down')) {
    const origin = standIns.faults.schedule.targets.includes('origin');
    out.push({
      name: 'visitor origin-down',
      status: 'not-exercised',
      detail: origin ? 'the origin fault never fell on a drill tick' : 'no origin fault in this drill',
    });
  }
  return out;
}
