// `cx-surge crm drill`: N agents looking customers up over simulated time through the real crm-lookup
// handler, on the two CRM stand-ins and dynalite, with faults from a drill faults file (by default a
// primary outage). Reports per minute what the agents saw and checks the screen pop's promises.
//
// Lookups run one at a time in order of their start on the simulated clock (each sets the clock to its
// start and advances it by what it waits for). Overlapping lookups therefore see each other's effects
// as if the earlier-started one had finished first — the cascade guard and the cache are shared anyway.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RecordingTelemetry } from '../../lambdas/app/telemetry';
import type { LookupPath, Source } from '../../lambdas/core/crm/lookup';
import { isoInstant } from '../../lambdas/core/time';
import { createCrmLookupHandler } from '../../lambdas/handlers/crm-lookup-handler';
import { SimulatedClock } from '../simulated-clock';
import { seedCustomerId } from './customers';
import { type CrmDrillFault, parseCrmFaults } from './faults';
import { startCrmStandIns } from './stand-ins';

export const BUILT_IN_CRM_FAULTS = join(
  dirname(fileURLToPath(import.meta.url)),
  'primary-outage.faults.json',
);
export const CRM_DRILL_START = Date.parse('2026-11-27T09:00:00Z');

export interface CrmDrillOptions {
  /** Agents looking customers up. @default 10 */
  readonly agents?: number;
  /** Faults on the stand-ins (simulated time). @default the built-in primary outage */
  readonly faults?: readonly CrmDrillFault[];
  /** Simulated minutes. @default 12 */
  readonly minutes?: number;
  /** Mean seconds between one agent's lookups. @default 20 */
  readonly thinkSeconds?: number;
  /** Seed of the agents' choices (customers, timing). @default 2026 */
  readonly seed?: number;
}

export interface CrmDrillMinute {
  readonly minute: string;
  readonly lookups: number;
  readonly sources: Readonly<Record<Source, number>>;
  /** Lookups that tried the primary and needed the fallback, in percent of those that tried it (null: none tried it). */
  readonly fallbackRatePercent: number | null;
  /** crm-primary (the cascade guard) at the end of the minute. */
  readonly breaker: string;
  /** Search calls that reached the secondary in this minute. */
  readonly secondaryCalls: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface CrmDrillCheck {
  readonly name: string;
  readonly passed: boolean;
  readonly detail: string;
}

export interface CrmDrillResult {
  readonly agents: number;
  readonly lookups: number;
  readonly budgetMs: number;
  readonly faults: readonly { target: string; from: string; until: string; fault: string }[];
  readonly minutes: readonly CrmDrillMinute[];
  readonly breakers: readonly { at: string; breaker: string; from: string; to: string }[];
  readonly checks: readonly CrmDrillCheck[];
  readonly passed: boolean;
  readonly wallMs: number;
}

export function builtInCrmFaults(): CrmDrillFault[] {
  return parseCrmFaults(readFileSync(BUILT_IN_CRM_FAULTS, 'utf8'), 'drill/crm/primary-outage.faults.json');
}

/** mulberry32: small, seedable, good enough for choosing customers. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0
    ? 0
    : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0);

interface Done {
  readonly at: number;
  readonly source: Source;
  readonly path: LookupPath;
  readonly ms: number;
}

export async function runCrmDrill(options: CrmDrillOptions = {}): Promise<CrmDrillResult> {
  const wallStart = Date.now();
  const agents = options.agents ?? 10;
  const minutes = options.minutes ?? 12;
  const think = (options.thinkSeconds ?? 20) * 1000;
  const faults = options.faults ?? builtInCrmFaults();
  const random = prng(options.seed ?? 2026);
  const end = CRM_DRILL_START + minutes * 60_000;
  const clock = new SimulatedClock(CRM_DRILL_START);
  const crm = await startCrmStandIns({ clock });
  try {
    for (const f of faults)
      crm[f.target === 'crm-primary' ? 'primary' : 'secondary'].faults.window(f.fault, f.from, f.until);
    const config = crm.config();
    const runtime = crm.runtime({ config, random });
    const telemetry = new RecordingTelemetry();
    const handler = createCrmLookupHandler(() => runtime, telemetry);

    // Every agent's lookups (start times and customers), and the prober once a minute, in time order.
    type Event = { at: number; kind: 'lookup'; customerId: string } | { at: number; kind: 'probe' };
    const events: Event[] = [];
    for (let agent = 0; agent < agents; agent++) {
      for (let at = CRM_DRILL_START + random() * think; at < end; at += think * (0.5 + random())) {
        // Mostly a working set of 60 customers (so the cache has some), a few unknown ids (404s).
        const pick = random();
        const customerId =
          pick < 0.05 ? `X${Math.floor(random() * 1e6)}` : seedCustomerId(1 + Math.floor(random() * 60));
        events.push({ at: Math.floor(at), kind: 'lookup', customerId });
      }
    }
    for (let at = CRM_DRILL_START + 60_000; at < end; at += 60_000) events.push({ at, kind: 'probe' });
    events.sort((a, b) => a.at - b.at || (a.kind === 'probe' ? -1 : 1));

    const done: Done[] = [];
    const breakerAtMinute = new Map<number, string>();
    let minuteSeen = 0;
    for (const event of events) {
      const minute = Math.floor((event.at - CRM_DRILL_START) / 60_000);
      while (minuteSeen < minute) {
        breakerAtMinute.set(minuteSeen, (await runtime.breakers.state('crm-primary')).status);
        minuteSeen++;
      }
      clock.set(event.at);
      if (event.kind === 'probe') {
        await handler({ crmProbe: true });
        continue;
      }
      const output = await handler({ customerId: event.customerId, interactionId: `drill-${done.length}` });
      const logged = telemetry.logs.at(-1)?.extra as { path?: LookupPath } | undefined;
      done.push({
        at: event.at,
        source: output.source,
        path: logged?.path ?? 'primary',
        ms: clock.now() - event.at,
      });
    }
    while (minuteSeen < minutes) {
      breakerAtMinute.set(minuteSeen, (await runtime.breakers.state('crm-primary')).status);
      minuteSeen++;
    }

    const secondarySearches = crm.secondary.requests().filter((r) => r.path === '/v1/customers/search');
    const report: CrmDrillMinute[] = [];
    for (let m = 0; m < minutes; m++) {
      const from = CRM_DRILL_START + m * 60_000;
      const inMinute = done.filter((d) => d.at >= from && d.at < from + 60_000);
      const sources: Record<Source, number> = { primary: 0, secondary: 0, cache: 0, none: 0 };
      for (const d of inMinute) sources[d.source]++;
      const tried = inMinute.filter((d) => d.path === 'primary' || d.path === 'fallback');
      const times = inMinute.map((d) => d.ms).sort((a, b) => a - b);
      report.push({
        minute: isoInstant(from).slice(11, 16),
        lookups: inMinute.length,
        sources,
        fallbackRatePercent:
          tried.length === 0
            ? null
            : Math.round((100 * tried.filter((d) => d.path === 'fallback').length) / tried.length),
        breaker: breakerAtMinute.get(m) ?? 'closed',
        secondaryCalls: secondarySearches.filter((r) => r.at >= from && r.at < from + 60_000).length,
        p50Ms: percentile(times, 50),
        p99Ms: percentile(times, 99),
      });
    }

    const breakers = runtime.transitions.map(({ breaker, transition }) => ({
      at: isoInstant(transition.at),
      breaker,
      from: transition.from,
      to: transition.to,
    }));
    const checks = crmDrillChecks({
      done,
      budgetMs: config.budgetMs,
      opened: runtime.transitions.find((t) => t.breaker === 'crm-primary' && t.transition.to === 'open')
        ?.transition.at,
      closed: runtime.transitions.find((t) => t.breaker === 'crm-primary' && t.transition.to === 'closed')
        ?.transition.at,
      secondarySearchTimes: secondarySearches.map((r) => r.at),
      staleTokens: crm.primary.staleTokenRequests() + crm.secondary.staleTokenRequests(),
      primaryOutage: faults.some((f) => f.target === 'crm-primary'),
    });
    return {
      agents,
      lookups: done.length,
      budgetMs: config.budgetMs,
      faults: faults.map((f) => ({
        target: f.target,
        from: isoInstant(f.from),
        until: isoInstant(f.until),
        fault: f.fault.kind,
      })),
      minutes: report,
      breakers,
      checks,
      passed: checks.every((c) => c.passed),
      wallMs: Date.now() - wallStart,
    };
  } finally {
    await crm.close();
  }
}

export function crmDrillChecks(input: {
  done: readonly Done[];
  budgetMs: number;
  opened?: number;
  closed?: number;
  secondarySearchTimes: readonly number[];
  staleTokens: number;
  primaryOutage: boolean;
}): CrmDrillCheck[] {
  const checks: CrmDrillCheck[] = [];
  const slowest = Math.max(0, ...input.done.map((d) => d.ms));
  checks.push({
    name: 'no answer later than the budget',
    passed: slowest <= input.budgetMs,
    detail: `${input.done.length} lookups, slowest answered in ${slowest} ms (budget ${input.budgetMs} ms)`,
  });
  checks.push({
    name: 'no stale token sent',
    passed: input.staleTokens === 0,
    detail: `${input.staleTokens} request(s) reached a CRM stand-in with an expired or revoked token`,
  });
  if (input.primaryOutage) {
    if (input.opened === undefined) {
      checks.push({
        name: 'secondary load falls once the guard opens',
        passed: false,
        detail: 'the cascade guard never opened during the primary outage',
      });
    } else {
      const openedAt = input.opened;
      const until = input.closed ?? Number.POSITIVE_INFINITY;
      const before = input.secondarySearchTimes.filter((t) => t >= openedAt - 60_000 && t < openedAt).length;
      const during = input.secondarySearchTimes.filter((t) => t >= openedAt && t < until).length;
      checks.push({
        name: 'secondary load falls once the guard opens',
        passed: during === 0 && before > 0,
        detail: `${before} secondary call(s) in the minute before the guard opened at ${isoInstant(openedAt).slice(11, 19)}, ${during} while it was open`,
      });
    }
  }
  return checks;
}
