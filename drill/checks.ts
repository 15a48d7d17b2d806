import {
  type Actuator,
  type SurgeConfig,
  TIER_KEYS,
  type TierConfig,
  tierConfigFor,
  tierNumber,
} from '../lambdas/core/config';
import { activatePredicate, GAP_FACTOR, restorePredicate } from '../lambdas/core/decide';
import type { ActuatorRecord } from '../lambdas/core/persistence';
import type { ReplayResult } from './replay';
import {
  activationRule,
  type ReportActuation,
  type ReportTransition,
  type RunReport,
  restoreRule,
} from './report';
import type { ScenarioLine } from './scenario';
import type { StandIns } from './stand-ins';

// The drill's verdict: each check recomputes what should have happened from the raw scenario and the
// config (not from the controller's own state), then compares it with what the stand-ins saw.

export interface DrillCheck {
  readonly name: string;
  readonly status: 'pass' | 'fail' | 'not-exercised';
  readonly detail: string;
}

export interface CheckInput {
  readonly config: SurgeConfig;
  readonly actuators: readonly Actuator[];
  /** Accepted scenario lines, in processing order. */
  readonly accepted: readonly ScenarioLine[];
  readonly report: RunReport;
  readonly replayed: ReplayResult;
  readonly finalActuators: readonly ActuatorRecord[];
  readonly standIns: StandIns;
  readonly deadLetters: readonly { line: number; error: string }[];
  /** Tier 4 as evaluate recorded it from the origin alarm: the plan of tier 4 actuators (replay has no alarm). */
  readonly tier4?: readonly { readonly at: string; readonly action: 'activate' | 'restore' }[];
}

const ordinal = (n: number): string => {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  return `${n}${teen ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th')}`;
};
const hhmm = (iso: string): string => iso.slice(11, 16);

/** How many consecutive accepted observations of the queue, ending at `at`, satisfy `predicate` (no gaps). */
function streakEndingAt(
  accepted: readonly ScenarioLine[],
  queueId: string,
  at: string,
  predicate: (l: ScenarioLine) => boolean,
  intervalSeconds: number,
): number {
  const mine = accepted.filter((l) => l.observation.queueId === queueId);
  let i = mine.findIndex((l) => l.observation.observedAt === at);
  let n = 0;
  while (i >= 0) {
    const line = mine[i] as ScenarioLine;
    if (!predicate(line)) break;
    n++;
    const before = mine[i - 1];
    const gapMs = before
      ? Date.parse(line.observation.observedAt) - Date.parse(before.observation.observedAt)
      : 0;
    if (gapMs > GAP_FACTOR * intervalSeconds * 1000) break;
    i--;
  }
  return n;
}

function transitionCheck(input: CheckInput, t: ReportTransition, tier: TierConfig): DrillCheck {
  const activate = t.action === 'activate';
  const need = activate ? tier.activate.forObservations : tier.restore.forObservations;
  const predicate = (l: ScenarioLine) =>
    activate ? activatePredicate(tier, l.observation) : restorePredicate(tier, l.observation);
  const n = streakEndingAt(input.accepted, t.queueId, t.at, predicate, input.config.intervalSeconds);
  const rule = activate ? activationRule(tier) : restoreRule(tier);
  const verb =
    t.mode === 'recommend'
      ? activate
        ? 'recommended on'
        : 'recommended off'
      : activate
        ? 'activated'
        : 'restored';
  const ok = activate ? n === need : n >= need; // a restore may wait longer than its streak (minActiveSeconds)
  return {
    name: `tier ${t.tier} ${t.action} on ${t.queueId}`,
    status: ok ? 'pass' : 'fail',
    detail: ok
      ? `tier ${t.tier} ${verb} at ${hhmm(t.at)}, the ${ordinal(n)} consecutive observation matching ${rule}`
      : `tier ${t.tier} ${verb} at ${hhmm(t.at)} after ${n} consecutive matching observations; rule is ${rule}`,
  };
}

/** Successful on/off switches of one actuator, in order. */
const switchesOf = (actuations: readonly ReportActuation[], id: string) =>
  actuations.filter((a) => a.actuatorId === id && a.result !== 'failed' && a.result !== 'planned');

function actuatorCheck(input: CheckInput, actuator: Actuator): DrillCheck {
  const planned =
    actuator.tier === 4
      ? (input.tier4 ?? []).map((t) => ({ at: t.at, actuatorId: actuator.id, action: t.action }))
      : input.replayed.actuations.filter((a) => a.actuatorId === actuator.id);
  const done = switchesOf(input.report.actuations, actuator.id);
  const name = `actuator ${actuator.id} (tier ${actuator.tier}, ${actuator.type})`;
  if (planned.length === 0 && done.length === 0) {
    return { name, status: 'not-exercised', detail: 'never wanted on in this scenario' };
  }
  const plannedSeq = planned.map((a) => a.action).join(',');
  const doneSeq = done.map((a) => a.action).join(',');
  const late = done.filter((a, i) => planned[i] && Date.parse(a.at) > Date.parse(planned[i]?.at ?? ''));
  const story = done.map((a) => `${a.action === 'activate' ? 'on' : 'off'} at ${hhmm(a.at)}`).join(', ');
  if (plannedSeq !== doneSeq) {
    return { name, status: 'fail', detail: `switched [${doneSeq}] but the plan was [${plannedSeq}]` };
  }
  const lateNote =
    late.length > 0 ? ` (${late.length} later than planned: retried after failures)` : ' as planned';
  return { name, status: 'pass', detail: `${story}${lateNote}` };
}

async function targetState(standIns: StandIns, a: Actuator): Promise<'active' | 'inactive' | 'n/a'> {
  const { emulator, kvs } = standIns;
  switch (a.type) {
    case 'datatable-row':
      return emulator.readRow(a.datatableId, a.rowId)[a.field] === a.activeValue ? 'active' : 'inactive';
    case 'emergency-group':
      return emulator.readEmergencyGroup(a.groupId).enabled ? 'active' : 'inactive';
    case 'flow-publish':
      return emulator.readFlow(a.flowId).publishedVersion?.id === a.surgeVersion ? 'active' : 'inactive';
    case 'cloudfront-kvs':
      return (await kvs.keyValueStore.get(a.key)) === a.activeValue ? 'active' : 'inactive';
    case 'notify-only':
      return 'n/a';
  }
}

export async function drillChecks(input: CheckInput): Promise<DrillCheck[]> {
  const checks: DrillCheck[] = [];
  const { config, report, replayed } = input;

  const same = JSON.stringify(replayed.transitions) === JSON.stringify(report.transitions);
  checks.push({
    name: 'replay agrees',
    status: same ? 'pass' : 'fail',
    detail: same
      ? `the pure replay and the drill report the same ${report.transitions.length} transitions`
      : `replay has ${replayed.transitions.length} transitions, the drill ${report.transitions.length}; they differ`,
  });

  for (const key of TIER_KEYS) {
    const n = tierNumber(key);
    const transitions = report.transitions.filter((t) => t.tier === n);
    if (transitions.length === 0) {
      const mode = config.tiers[key].mode;
      checks.push({
        name: `tier ${n}`,
        status: 'not-exercised',
        detail: mode === 'off' ? 'mode off' : `never reached: ${activationRule(config.tiers[key])}`,
      });
      continue;
    }
    for (const t of transitions)
      checks.push(transitionCheck(input, t, tierConfigFor(config, t.queueId, key)));
    for (const t of transitions.filter((x) => x.mode === 'recommend' && x.action === 'activate')) {
      // Recommendations page once per tier episode across queues (docs/resilience.md).
      const paged = report.pages.some(
        (p) =>
          p.kind === 'recommendation' &&
          p.action === 'trigger' &&
          p.dedupKey.startsWith(`recommend:tier${n}:`),
      );
      checks.push({
        name: `tier ${n} recommendation paged for ${t.queueId}`,
        status: paged ? 'pass' : 'fail',
        detail: paged
          ? `recommendation page sent at ${hhmm(t.at)}; nothing switched (mode recommend)`
          : 'no recommendation page',
      });
    }
  }

  for (const a of input.actuators) checks.push(actuatorCheck(input, a));

  // Paging: one trigger per actuator episode, one resolve per closed one, and never a page twice.
  const episodePages = report.pages.filter((p) => p.kind === 'actuator-episode');
  const keys = report.pages.map((p) => `${p.dedupKey}#${p.action}${p.revision ? `#${p.revision}` : ''}`);
  const dupes = keys.filter((k, i) => keys.indexOf(k) !== i);
  const ons = report.actuations.filter((a) => a.action === 'activate' && a.result === 'applied').length;
  const triggers = episodePages.filter((p) => p.action === 'trigger').length;
  checks.push({
    name: 'paging',
    status: dupes.length === 0 && triggers === ons ? 'pass' : 'fail',
    detail:
      dupes.length > 0
        ? `pages sent twice: ${[...new Set(dupes)].join(', ')}`
        : `${triggers} trigger page(s) for ${ons} switch-on(s), ${episodePages.length - triggers} resolve(s), ${report.pages.length} page(s) in all, none twice`,
  });

  // The end state: every actuator settled (applied = desired) and the target really is in that state.
  const unsettled: string[] = [];
  for (const a of input.actuators) {
    const record = input.finalActuators.find((r) => r.actuatorId === a.id);
    const applied = record?.applied ?? 'inactive';
    const desired = record?.desired ?? 'inactive';
    const target = await targetState(input.standIns, a);
    if (applied !== desired || (target !== 'n/a' && target !== applied)) {
      unsettled.push(`${a.id}: desired ${desired}, recorded ${applied}, target ${target}`);
    }
  }
  checks.push({
    name: 'settled',
    status: unsettled.length === 0 ? 'pass' : 'fail',
    detail:
      unsettled.length === 0
        ? 'every actuator is in its desired state, verified at the target'
        : unsettled.join('; '),
  });

  checks.push({
    name: 'no dead letters',
    status: input.deadLetters.length === 0 ? 'pass' : 'fail',
    detail:
      input.deadLetters.length === 0
        ? 'every event was evaluated'
        : input.deadLetters.map((d) => `line ${d.line}: ${d.error}`).join('; '),
  });
  return checks;
}
