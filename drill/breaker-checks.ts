import { DEFAULT_BREAKER_POLICY } from '../lambdas/core/circuit-breaker';
import type { DrillCheck } from './checks';
import type { RunReport } from './report';
import type { ScenarioLine } from './scenario';
import type { StandIns } from './stand-ins';

// The drill's verdict on the shared circuit breakers (docs/resilience.md#drill-faults), recomputed from
// what the stand-ins saw (emulator request log, PagerDuty stand-in incidents, the outbox), not from the
// breaker's own state.

export interface DrillBreakerChange {
  readonly at: string;
  readonly breaker: string;
  readonly from: string;
  readonly to: string;
}

export interface BreakerCheckInput {
  readonly standIns: StandIns;
  readonly report: RunReport;
  readonly unread: readonly ScenarioLine[];
  readonly breakers: readonly DrillBreakerChange[];
  readonly intervalMs: number;
}

const hhmm = (ms: number): string => new Date(ms).toISOString().slice(11, 16);
const PROBE_PATH = '/api/v2/organizations/me';

export async function breakerChecks(input: BreakerCheckInput): Promise<DrillCheck[]> {
  const { standIns, report, unread, intervalMs } = input;
  const genesysFaults = standIns.faults.schedule.forTarget('genesys');
  const log = standIns.breakerLog.filter((b) => b.breaker === 'genesys');
  const checks: DrillCheck[] = [];
  if (genesysFaults.length === 0 && log.length === 0) {
    // Nothing went wrong: a breaker that changed state here would itself be the finding.
    return [];
  }
  const requests = standIns.emulator.requests();
  const opens = log.filter((b) => b.transition.from === 'closed' && b.transition.to === 'open');
  const first = opens[0];

  // 1. Opens on the 5th failed call in a row, pages once per episode.
  if (!first) {
    checks.push({
      name: 'breaker genesys opens',
      status: genesysFaults.length > 0 ? 'fail' : 'not-exercised',
      detail: 'the genesys breaker never opened',
    });
  } else {
    const failedReads = unread.filter(
      (l) => Date.parse(l.observation.observedAt) <= first.transition.at,
    ).length;
    const triggers = report.pages.filter(
      (p) =>
        p.kind === 'circuit-open' && p.action === 'trigger' && p.dedupKey.startsWith('circuit-open:genesys:'),
    );
    const need = DEFAULT_BREAKER_POLICY.consecutiveFailures ?? 0;
    const ok = failedReads === need && triggers.length === opens.length;
    checks.push({
      name: 'breaker genesys opens after the 5th failure and pages once',
      status: ok ? 'pass' : 'fail',
      detail: `opened at ${hhmm(first.transition.at)} on failed call ${failedReads} in a row (rule: ${need}); ${triggers.length} circuit-open page(s) for ${opens.length} episode(s)`,
    });
  }

  // 2. While OPEN nothing reaches Genesys; while HALF_OPEN only elected probes.
  let duringOpen = 0;
  let probes = 0;
  let others = 0;
  for (let i = 0; i < log.length; i++) {
    const entry = log[i];
    if (!entry) continue;
    const end = log[i + 1]?.requestsSeen ?? requests.length;
    const seen = requests.slice(entry.requestsSeen, end).filter((r) => r.path !== '/oauth/token');
    if (entry.transition.to === 'open') duringOpen += seen.length;
    if (entry.transition.to === 'half-open') {
      probes += seen.filter((r) => r.path === PROBE_PATH).length;
      others += seen.filter((r) => r.path !== PROBE_PATH).length;
    }
  }
  if (first) {
    checks.push({
      name: 'while open only probes reach Genesys',
      status: duringOpen === 0 ? 'pass' : 'fail',
      detail:
        duringOpen === 0
          ? `no call while open; ${probes} health probe(s) and ${others} elected call(s) while half-open`
          : `${duringOpen} request(s) reached Genesys while the breaker was open`,
    });
  }

  // 3. Closes within two ticks of recovery, and what was decided afterwards switched at once.
  for (const fault of genesysFaults) {
    const closed = log.find((b) => b.transition.to === 'closed' && b.transition.at >= fault.untilMs);
    if (!first) break;
    const within = closed !== undefined && closed.transition.at <= fault.untilMs + 2 * intervalMs;
    checks.push({
      name: 'breaker genesys closes within two ticks of recovery',
      status: within ? 'pass' : 'fail',
      detail: closed
        ? `Genesys healthy again at ${hhmm(fault.untilMs)}; closed at ${hhmm(closed.transition.at)}`
        : `Genesys healthy again at ${hhmm(fault.untilMs)}; the breaker never closed`,
    });
    if (closed) {
      const after = report.transitions.find(
        (t) => t.mode === 'auto' && Date.parse(t.at) >= closed.transition.at,
      );
      const failedAfter = report.actuations.filter(
        (a) => a.result === 'failed' && Date.parse(a.at) >= closed.transition.at,
      );
      const switchedAt = after
        ? report.actuations.find((a) => a.result === 'applied' && a.at === after.at)
        : undefined;
      const ok = failedAfter.length === 0 && (!after || switchedAt !== undefined);
      checks.push({
        name: 'levers switch on the first tick after the breaker closes',
        status: ok ? 'pass' : 'fail',
        detail: after
          ? `tier ${after.tier} ${after.action} decided at ${hhmm(Date.parse(after.at))} switched ${switchedAt ? 'in the same tick' : 'NOT in the same tick'}; ${failedAfter.length} failed switch(es) after the close`
          : `no transition after the close; ${failedAfter.length} failed switch(es) after it`,
      });
    }
  }

  // 4. Nothing lost: every page delivered, every circuit-open incident resolved at PagerDuty.
  const backlog = await standIns.pageBacklog();
  const open = [...standIns.pagerDuty.incidents.values()].filter(
    (i) => i.dedupKey.startsWith('circuit-open:') && i.status !== 'resolved',
  );
  const ok = backlog.pending === 0 && backlog.dead === 0 && open.length === 0;
  checks.push({
    name: 'nothing lost',
    status: ok ? 'pass' : 'fail',
    detail: ok
      ? `every page delivered to PagerDuty (${standIns.pagerDuty.incidents.size} incident(s)), every circuit-open incident resolved; ${unread.length} observation(s) could not be read during the fault (replay compared without them)`
      : `${backlog.pending} page(s) pending, ${backlog.dead} dead, ${open.length} circuit-open incident(s) unresolved`,
  });
  return checks;
}
