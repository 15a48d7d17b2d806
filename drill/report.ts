import { type SurgeConfig, type TierConfig, tierConfigFor, tierKey } from '../lambdas/core/config';
import type { Transition } from '../lambdas/core/decide';
import type { Page, PageKind } from '../lambdas/core/ports';
import type { Reason } from '../lambdas/core/reasons';

// The run report of `cx-surge replay` and `cx-surge drill` (README "File formats" `--json`), and its readable
// timeline. `replay` (pure core) and `drill` (real handlers on stand-ins) must produce identical
// `transitions` for the same scenario and config; the other lists carry what each one did.

export interface ReportTransition {
  readonly at: string;
  readonly queueId: string;
  readonly tier: 1 | 2 | 3;
  readonly action: 'activate' | 'restore';
  readonly mode: 'auto' | 'recommend';
  /** `activate-threshold` or `restore-threshold`. */
  readonly reason: Reason;
}

/** `planned`: replay (nothing is switched); the others: what the drill's switch reported. */
export type ActuationResult = 'planned' | 'applied' | 'already-applied' | 'failed';

export interface ReportActuation {
  readonly at: string;
  readonly actuatorId: string;
  /** activate: wanted on (some covered queue's tier is effectively active); restore: wanted off again. */
  readonly action: 'activate' | 'restore';
  readonly result: ActuationResult;
}

export interface ReportIgnored {
  /** Scenario line number. */
  readonly line: number;
  readonly queueId: string;
  readonly reason: 'duplicate' | 'out-of-order' | 'future-dated';
}

export interface ReportPage {
  readonly at: string;
  readonly kind: PageKind;
  readonly action: 'trigger' | 'resolve';
  readonly dedupKey: string;
  readonly reason: string;
  readonly summary: string;
}

export interface RunReport {
  /** In processing order. */
  readonly transitions: ReportTransition[];
  readonly actuations: ReportActuation[];
  readonly ignored: ReportIgnored[];
  readonly pages: ReportPage[];
}

export const toReportTransition = (t: Transition): ReportTransition => ({
  at: t.at,
  queueId: t.queueId,
  tier: t.tier,
  action: t.action,
  mode: t.mode,
  reason: t.reason,
});

export const toReportPage = (p: Page): ReportPage => ({
  at: p.at,
  kind: p.kind,
  action: p.action,
  dedupKey: p.dedupKey,
  reason: p.reason,
  summary: p.summary,
});

// ── Timeline ────────────────────────────────────────────────────────────────────────────────

/** Why a tier activated, in the config's own terms (e.g. "waiting > 200 and agentsAvailable < 5 for 3 observations"). */
export function activationRule(tier: TierConfig): string {
  const agents =
    tier.activate.agentsAvailableBelow != null
      ? ` and agentsAvailable < ${tier.activate.agentsAvailableBelow}`
      : '';
  return `waiting > ${tier.activate.waitingAbove}${agents} for ${plural(tier.activate.forObservations, 'observation')}`;
}

/** Why a tier restored, in the config's own terms. */
export function restoreRule(tier: TierConfig): string {
  const hold = tier.minActiveSeconds > 0 ? `, after ≥ ${tier.minActiveSeconds} s active` : '';
  return `waiting < ${tier.restore.waitingBelow} for ${plural(tier.restore.forObservations, 'observation')}${hold}`;
}

// Page builders stamp `toISOString()` (…:00.000Z), observations usually not: show both the same way.
const shortIso = (at: string): string => (at.endsWith('.000Z') ? `${at.slice(0, -5)}Z` : at);

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

const VERB = {
  auto: { activate: 'activated', restore: 'restored' },
  recommend: { activate: 'recommend on', restore: 'recommend off' },
} as const;

export interface TimelineOptions {
  /** First line, e.g. "replay of drill/scenarios/flash-sale.csv". */
  readonly title?: string;
  /** Every queue seen, so quiet queues are listed too (default: queues with transitions). */
  readonly queues?: readonly string[];
  /** Number of observations processed, for the summary line. */
  readonly observations?: number;
}

/**
 * A per-queue timeline: when each tier activated or restored and why, then the actuations, the
 * ignored lines and the pages. Plain text, one event per line, stable for diffing.
 */
export function renderTimeline(
  report: RunReport,
  config: SurgeConfig,
  options: TimelineOptions = {},
): string {
  return `${[...timelineLines(report, config, options)].join('\n')}\n`;
}

/** renderTimeline's lines one by one (without line breaks), for writing a long report as it is built. */
export function* timelineLines(
  report: RunReport,
  config: SurgeConfig,
  options: TimelineOptions = {},
): Generator<string> {
  const byQueue = new Map<string, ReportTransition[]>();
  for (const q of options.queues ?? []) byQueue.set(q, []);
  for (const t of report.transitions) {
    const list = byQueue.get(t.queueId);
    if (list) list.push(t);
    else byQueue.set(t.queueId, [t]);
  }
  const summary = [
    options.observations !== undefined ? plural(options.observations, 'observation') : undefined,
    plural(byQueue.size, 'queue'),
    plural(report.transitions.length, 'transition'),
    plural(report.actuations.length, 'actuation'),
    `${report.ignored.length} ignored`,
    plural(report.pages.length, 'page'),
  ].filter(Boolean);
  yield options.title ? `${options.title}: ${summary.join(', ')}` : summary.join(', ');

  for (const [queueId, transitions] of byQueue) {
    yield '';
    yield `queue ${queueId}${transitions.length === 0 ? ': no transitions' : ''}`;
    for (const t of transitions) {
      const tier = tierConfigFor(config, queueId, tierKey(t.tier));
      const why = t.action === 'activate' ? activationRule(tier) : restoreRule(tier);
      const note = t.mode === 'recommend' ? ' (recommend mode: paged, not switched)' : '';
      yield `  ${shortIso(t.at)}  tier ${t.tier}  ${VERB[t.mode][t.action].padEnd(13)}  ${why}${note}`;
    }
  }

  if (report.actuations.length > 0) {
    yield '';
    yield 'actuators';
    let width = 0;
    for (const a of report.actuations) width = Math.max(width, a.actuatorId.length);
    for (const a of report.actuations) {
      const state = a.action === 'activate' ? 'on ' : 'off';
      yield `  ${shortIso(a.at)}  ${a.actuatorId.padEnd(width)}  ${state}  (${a.result})`;
    }
  }

  if (report.ignored.length > 0) {
    yield '';
    yield 'ignored lines';
    for (const i of report.ignored) yield `  line ${i.line}  ${i.queueId}  ${i.reason}`;
  }

  if (report.pages.length > 0) {
    yield '';
    yield 'pages';
    for (const p of report.pages)
      yield `  ${shortIso(p.at)}  ${p.action.padEnd(7)}  ${p.kind.padEnd(18)}  ${p.summary}`;
  }
}

/**
 * `JSON.stringify(report, null, 2)` of an object of lists, piece by piece: the same text, without
 * ever holding it as one string (a report of millions of ignored lines would pass V8's string limit).
 */
export function* prettyJsonChunks(report: Readonly<Record<string, unknown>>): Generator<string> {
  const entries = Object.entries(report).filter(([, v]) => v !== undefined);
  if (entries.length === 0) {
    yield '{}';
    return;
  }
  yield '{\n';
  for (const [i, [key, value]] of entries.entries()) {
    const comma = i < entries.length - 1 ? ',' : '';
    if (!Array.isArray(value) || value.length === 0) {
      yield `  ${JSON.stringify(key)}: ${indented(JSON.stringify(value, null, 2), '  ')}${comma}\n`;
      continue;
    }
    yield `  ${JSON.stringify(key)}: [\n`;
    for (const [j, item] of value.entries()) {
      const element = item === undefined ? 'null' : indented(JSON.stringify(item, null, 2), '    ');
      yield `    ${element}${j < value.length - 1 ? ',' : ''}\n`;
    }
    yield `  ]${comma}\n`;
  }
  yield '}';
}

const indented = (json: string, pad: string): string => json.replaceAll('\n', `\n${pad}`);
