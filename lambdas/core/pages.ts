import type { Actuator } from './config';
import type { Transition } from './decide';
import type { QueueObservation } from './observation';
import type { ActuatorState, Page } from './ports';
import { Reason } from './reasons';
import type { QueueState } from './state';

// Pure page builders: what to tell ops, with which dedup key. The dedup key is the contract with
// PagerDuty (and with our outbox): trigger and resolve of one episode share it, and building it from
// stored facts (episode numbers, timestamps) means any retrier, after any crash, builds the same key.

const at = (now: number): string => new Date(now).toISOString();

/** A page dead-lettered for retries-exhausted is due again after this long (docs/resilience.md). */
export const DEAD_REDRIVE_MS = 5 * 60_000;

/** PagerDuty's limit on `dedup_key` (docs/architecture.md, "Pages"). */
export const MAX_DEDUP_KEY_LENGTH = 255;

/** FNV-1a, 64 bits, as 16 hex digits: a stable digest of a key (not a security hash). */
function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

/**
 * A dedup key within PagerDuty's 255 characters whatever the ids in it: a key that fits is kept as it
 * is; a longer one keeps its readable start and ends in `~` and a digest of the whole key, so two long
 * keys that share their start still differ.
 */
export function boundedDedupKey(key: string): string {
  if (key.length <= MAX_DEDUP_KEY_LENGTH) return key;
  const digest = fnv1a64(key);
  return `${key.slice(0, MAX_DEDUP_KEY_LENGTH - digest.length - 1)}~${digest}`;
}

// ── The numbers a page states ───────────────────────────────────────────────────────────────

/**
 * What one queue looked like when a page was decided: the observation that caused the decision, or the
 * last stored values for pages decided by convergence or an override (docs/resilience.md, "What a page says").
 */
export interface QueueFacts {
  readonly queueId: string;
  /** Contacts waiting; null when no reading is known. */
  readonly waiting: number | null;
  /** On-queue idle agents; null when unknown. */
  readonly agentsAvailable: number | null;
  /** When it was observed (ISO-8601 UTC). */
  readonly observedAt?: string;
}

export const factsOfObservation = (o: QueueObservation): QueueFacts => ({
  queueId: o.queueId,
  waiting: o.waiting,
  agentsAvailable: o.agentsAvailable,
  observedAt: o.observedAt,
});

export const factsOfState = (s: QueueState): QueueFacts => ({
  queueId: s.queueId,
  waiting: s.lastWaiting ?? null,
  agentsAvailable: s.lastAgentsAvailable ?? null,
  observedAt: s.lastObservedAt,
});

/** Most waiting first (unknown last), then by id: the order pages list queues in. */
export function worstFirst(facts: readonly QueueFacts[]): QueueFacts[] {
  return [...facts].sort(
    (a, b) =>
      (b.waiting ?? -1) - (a.waiting ?? -1) || (a.queueId < b.queueId ? -1 : a.queueId > b.queueId ? 1 : 0),
  );
}

/** "sales: 412 waiting, 3 agents available" (a queue with no reading says so). */
export function describeQueue(f: QueueFacts): string {
  if (f.waiting === null) return `${f.queueId}: no reading`;
  const agents =
    f.agentsAvailable === null
      ? 'agents available unknown'
      : `${f.agentsAvailable} agent${f.agentsAvailable === 1 ? '' : 's'} available`;
  return `${f.queueId}: ${f.waiting} waiting, ${agents}`;
}

/** Queues listed in a summary, worst first; the rest are counted ("+N more"). */
export const SUMMARY_QUEUES = 3;

/** The queues of a page in one clause, worst first: one queue as is, several as "N queues, worst: …". */
export function describeQueues(
  facts: readonly QueueFacts[],
  max = SUMMARY_QUEUES,
  total = facts.length,
): string {
  const sorted = worstFirst(facts);
  const count = Math.max(total, sorted.length);
  if (count === 1 && sorted.length === 1) return describeQueue(sorted[0] as QueueFacts);
  const shown = sorted.slice(0, max).map(describeQueue).join('; ');
  const more = count > Math.min(max, sorted.length) ? `; +${count - Math.min(max, sorted.length)} more` : '';
  return `${count.toLocaleString('en-US')} queues, worst ${shown}${more}`;
}

/** Queues as custom_details carry them: worst first, at most `max` (the count says how many there are). */
export function queueDetails(facts: readonly QueueFacts[], max = 20): Record<string, unknown>[] {
  return worstFirst(facts)
    .slice(0, max)
    .map((f) => ({
      queueId: f.queueId,
      waiting: f.waiting,
      agentsAvailable: f.agentsAvailable,
      ...(f.observedAt ? { observedAt: f.observedAt } : {}),
    }));
}

/** "23 min" (whole minutes, at least 1 once anything has passed; "0 min" for none). */
export function minutesText(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  return `${ms > 0 && minutes === 0 ? 1 : minutes} min`;
}

/** PagerDuty's limit on `payload.summary` (docs/resilience.md): builders keep their summaries within it. */
export const MAX_SUMMARY_LENGTH = 1024;

const withinSummary = (text: string): string =>
  text.length <= MAX_SUMMARY_LENGTH ? text : `${text.slice(0, MAX_SUMMARY_LENGTH - 1)}…`;

/**
 * Delivery order of pending pages (lower first): what needs a human now before what informs. A new
 * trigger never waits behind a backlog of stale or recommendation pages; within one rank, oldest first.
 */
export function pagePriority(page: Pick<Page, 'kind' | 'severity' | 'action'>): number {
  const severity = { critical: 0, error: 1, warning: 2, info: 3 }[page.severity];
  const informational =
    page.kind === 'stale-observations' ||
    page.kind === 'recommendation' ||
    page.kind === 'flapping' ||
    page.kind === 'future-observation';
  return (informational ? 10 : 0) + severity * 2 + (page.action === 'trigger' ? 0 : 1);
}

/** What an actuator episode page can say beyond the switch itself. */
export interface EpisodeContext {
  /**
   * The queues behind it: on a trigger, the demanding queues; on a resolve, the queues whose readings
   * released it. From the observation that caused the decision, else the last stored values.
   */
  readonly facts?: readonly QueueFacts[];
  /** Epoch ms the episode opened (a resolve says how long the tier was on). */
  readonly openedAt?: number;
}

/**
 * An actuator switched on (trigger) or back off (resolve); the key is the actuator's episode. With
 * facts, the summary states them: "sales: 412 waiting, 3 agents available; tier 2 on (tier2-row)" /
 * "sales: 12 waiting, 9 agents available; tier 2 off after 23 min (tier2-row)".
 */
export function actuatorEpisodePage(
  actuator: Actuator,
  state: ActuatorState,
  dedupKey: string,
  demandedBy: readonly string[],
  now: number,
  context: EpisodeContext = {},
): Page {
  const on = state === 'active';
  const facts = context.facts;
  const lasted = context.openedAt !== undefined ? minutesText(now - context.openedAt) : undefined;
  const total = on ? Math.max(demandedBy.length, facts?.length ?? 0) : (facts?.length ?? 0);
  const who =
    facts && facts.length > 0
      ? describeQueues(facts, SUMMARY_QUEUES, total)
      : on && demandedBy.length === 0
        ? 'override'
        : undefined;
  const summary = who
    ? `${who}; tier ${actuator.tier} ${on ? 'on' : `off${lasted ? ` after ${lasted}` : ''}`} (${actuator.id})`
    : on
      ? `Surge tier ${actuator.tier} ON: ${actuator.id} (${actuator.type}) switched on for ${demandedBy.join(', ') || 'override'}`
      : `Surge tier ${actuator.tier} restored: ${actuator.id} (${actuator.type}) switched back off`;
  return {
    kind: 'actuator-episode',
    dedupKey,
    action: on ? 'trigger' : 'resolve',
    severity: actuator.tier >= 3 ? 'critical' : 'error',
    summary: withinSummary(summary),
    reason: on ? Reason.ACTUATOR_DEMANDED : Reason.ACTUATOR_RELEASED,
    at: at(now),
    details: {
      actuatorId: actuator.id,
      type: actuator.type,
      tier: actuator.tier,
      state,
      demandedBy,
      ...(facts && facts.length > 0 ? { queueCount: total, queues: queueDetails(facts) } : {}),
      ...(context.openedAt !== undefined ? { openedAt: at(context.openedAt) } : {}),
      ...(!on && context.openedAt !== undefined
        ? { minutesOn: Math.round((now - context.openedAt) / 60_000) }
        : {}),
    },
  };
}

/** A recommend-mode tier would have switched. Activate triggers, restore resolves the same episode. */
export function recommendationPage(t: Transition, activatedAt: string): Page {
  const activate = t.action === 'activate';
  return {
    kind: 'recommendation',
    dedupKey: boundedDedupKey(`recommend:${t.queueId}:tier${t.tier}:${activatedAt}`),
    action: activate ? 'trigger' : 'resolve',
    severity: 'warning',
    summary: activate
      ? `Recommendation: activate tier ${t.tier} for queue ${t.queueId} (mode recommend: nothing switched; override to act)`
      : `Recommendation withdrawn: tier ${t.tier} for queue ${t.queueId} may be restored`,
    reason: Reason.RECOMMENDATION,
    at: t.at,
    details: { queueId: t.queueId, tier: t.tier, action: t.action, activatedAt },
  };
}

/** A tier of a queue keeps switching inside the flapping window: the band needs widening. */
export function flappingPage(queueId: string, tier: number, observedAt: string): Page {
  return {
    kind: 'flapping',
    dedupKey: boundedDedupKey(`flapping:${queueId}:tier${tier}:${observedAt}`),
    action: 'trigger',
    severity: 'warning',
    summary: `Tier ${tier} of queue ${queueId} is flapping: widen its hysteresis band or raise forObservations`,
    reason: Reason.FLAPPING,
    at: observedAt,
    details: { queueId, tier },
  };
}

/** No accepted observation since `lastObservedAt`: tiers are held. Resolved by the next accepted one. */
export function staleObservationsPage(
  queueId: string,
  lastObservedAt: string,
  action: Page['action'],
  now: number,
): Page {
  return {
    kind: 'stale-observations',
    dedupKey: boundedDedupKey(`stale:${queueId}:${lastObservedAt}`),
    action,
    severity: 'error',
    summary:
      action === 'trigger'
        ? `No observations for queue ${queueId} since ${lastObservedAt}: tiers held, nothing restores on missing data`
        : `Observations for queue ${queueId} flowing again`,
    reason: Reason.STALE_OBSERVATIONS,
    at: at(now),
    details: { queueId, lastObservedAt },
  };
}

/**
 * Switching one actuator toward one state keeps failing. Keyed by the actuator's episode number and the
 * wanted state, so the success that ends the failure resolves the same incident.
 */
export function switchFailingPage(
  actuator: Actuator,
  wanted: ActuatorState,
  episodeNumber: number,
  action: Page['action'],
  error: string | undefined,
  now: number,
  facts: readonly QueueFacts[] = [],
): Page {
  const queues = facts.length > 0 ? `${describeQueues(facts)}; ` : '';
  return {
    kind: 'switch-failing',
    // One incident per lever and episode whichever way it failed: the switch that finally succeeds (maybe
    // the other way, if the demand changed meanwhile) resolves it.
    dedupKey: boundedDedupKey(`switch-failing:${actuator.id}:${episodeNumber}`),
    action,
    severity: 'critical',
    summary:
      action === 'trigger'
        ? withinSummary(
            `${queues}cannot switch tier ${actuator.tier} ${wanted === 'active' ? 'on' : 'off'} (${actuator.id}, ${actuator.type}): retried every tick${error ? `; ${error}` : ''}`,
          )
        : withinSummary(
            `${queues}tier ${actuator.tier} switched ${wanted === 'active' ? 'on' : 'off'} after earlier failures (${actuator.id})`,
          ),
    reason: Reason.SWITCH_FAILING,
    at: at(now),
    details: {
      actuatorId: actuator.id,
      type: actuator.type,
      wanted,
      ...(error ? { error } : {}),
      ...(facts.length > 0 ? { queueCount: facts.length, queues: queueDetails(facts) } : {}),
    },
  };
}

/** The primary OAuth client failed and the break-glass client was used (one page per UTC hour). */
export function breakGlassPage(context: string, now: number): Page {
  const hour = at(now).slice(0, 13);
  return {
    kind: 'break-glass-used',
    dedupKey: `break-glass:${hour}`,
    action: 'trigger',
    severity: 'critical',
    summary: `Genesys Cloud primary credentials rejected; break-glass client in use (${context}). Rotate the primary secret.`,
    reason: Reason.BREAK_GLASS_USED,
    at: at(now),
    details: { context },
  };
}

/** Tier 4: the edge origin alarm went to ALARM (trigger) or back to OK (resolve), keyed by the ALARM episode. */
export function edgeFallbackPage(
  alarmName: string,
  alarmSince: string,
  state: 'ALARM' | 'OK',
  now: number,
): Page {
  const alarm = state === 'ALARM';
  return {
    kind: 'edge-fallback',
    dedupKey: boundedDedupKey(`edge-fallback:${alarmName}:${alarmSince}`),
    action: alarm ? 'trigger' : 'resolve',
    severity: 'critical',
    summary: alarm
      ? `Tier 4: origin failing (${alarmName}); CloudFront serves the static self-service page`
      : `Tier 4 restored: origin healthy again (${alarmName})`,
    reason: alarm ? Reason.EDGE_FALLBACK_ALARM : Reason.EDGE_FALLBACK_OK,
    at: at(now),
    details: { alarmName, alarmSince, state },
  };
}

/**
 * A lever read back in another state than recorded — changed by hand, or a superseded lease holder's
 * write landing late — and put back. Trigger on detection; the resolve follows once it is verified back.
 */
export function driftPage(
  actuator: Actuator,
  found: ActuatorState,
  wanted: ActuatorState,
  episodeNumber: number,
  action: Page['action'],
  now: number,
): Page {
  return {
    kind: 'drift',
    dedupKey: driftDedupKey(actuator.id, episodeNumber, wanted),
    action,
    severity: 'error',
    summary:
      action === 'trigger'
        ? `${actuator.id} (${actuator.type}) was found ${found === 'active' ? 'on' : 'off'} but should be ${wanted === 'active' ? 'on' : 'off'} (changed by hand, or a late write): putting it back`
        : `${actuator.id} (${actuator.type}) is back ${wanted === 'active' ? 'on' : 'off'}`,
    reason: Reason.DRIFT,
    at: at(now),
    details: { actuatorId: actuator.id, type: actuator.type, found, wanted },
  };
}

/** The drift incident of one actuator toward one state within one paging episode. */
export const driftDedupKey = (actuatorId: string, episodeNumber: number, wanted: ActuatorState): string =>
  boundedDedupKey(`drift:${actuatorId}:${episodeNumber}:${wanted}`);

/** An observation dated after the evaluating clock by more than the tolerance: rejected (one page per queue and date). */
export function futureObservationPage(
  queueId: string,
  observedAt: string,
  toleranceSeconds: number,
  now: number,
): Page {
  return {
    kind: 'future-observation',
    dedupKey: boundedDedupKey(`future:${queueId}:${observedAt}`),
    action: 'trigger',
    severity: 'warning',
    summary: `Rejected an observation of queue ${queueId} dated ${observedAt}, more than ${toleranceSeconds} s after the controller's clock (${at(now)}): check the source's clock`,
    reason: Reason.FUTURE_DATED,
    at: at(now),
    details: { queueId, observedAt, toleranceSeconds },
  };
}
