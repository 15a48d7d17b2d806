import type { Actuator } from './config';
import type { Transition } from './decide';
import type { ActuatorState, Page } from './ports';
import { Reason } from './reasons';

// Pure page builders: what to tell ops, with which dedup key. The dedup key is the contract with
// PagerDuty (and with our outbox): trigger and resolve of one episode share it, and building it from
// stored facts (episode numbers, timestamps) means any retrier, after any crash, builds the same key.

const at = (now: number): string => new Date(now).toISOString();

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

/** An actuator switched on (trigger) or back off (resolve); the key is the actuator's episode. */
export function actuatorEpisodePage(
  actuator: Actuator,
  state: ActuatorState,
  dedupKey: string,
  demandedBy: readonly string[],
  now: number,
): Page {
  const on = state === 'active';
  return {
    kind: 'actuator-episode',
    dedupKey,
    action: on ? 'trigger' : 'resolve',
    severity: actuator.tier >= 3 ? 'critical' : 'error',
    summary: on
      ? `Surge tier ${actuator.tier} ON: ${actuator.id} (${actuator.type}) switched on for ${demandedBy.join(', ') || 'override'}`
      : `Surge tier ${actuator.tier} restored: ${actuator.id} (${actuator.type}) switched back off`,
    reason: on ? Reason.ACTUATOR_DEMANDED : Reason.ACTUATOR_RELEASED,
    at: at(now),
    details: { actuatorId: actuator.id, type: actuator.type, tier: actuator.tier, state, demandedBy },
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
): Page {
  return {
    kind: 'switch-failing',
    dedupKey: boundedDedupKey(`switch-failing:${actuator.id}:${episodeNumber}:${wanted}`),
    action,
    severity: 'critical',
    summary:
      action === 'trigger'
        ? `Cannot switch ${actuator.id} (${actuator.type}) ${wanted === 'active' ? 'on' : 'off'}: retried every tick`
        : `${actuator.id} (${actuator.type}) switched ${wanted === 'active' ? 'on' : 'off'} after earlier failures`,
    reason: Reason.SWITCH_FAILING,
    at: at(now),
    details: { actuatorId: actuator.id, type: actuator.type, wanted, ...(error ? { error } : {}) },
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
