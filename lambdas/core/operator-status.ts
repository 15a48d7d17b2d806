import {
  type Actuator,
  type SurgeConfig,
  TIER_KEYS,
  type TierMode,
  tierConfigsFor,
  tierNumber,
} from './config';
import { effectiveTiers, isStale } from './decide';
import { governingOverride, type Override, overrideInForce } from './override';
import type { ActuatorRecord, OutboxEntry } from './persistence';
import type { Page } from './ports';
import { INITIAL_TIER_STATE, type QueueState } from './state';
import { isoInstant } from './time';

// What `cx-surge status` and `cx-surge console` show, built purely from what the table holds (queue
// states, overrides, actuator items, the page outbox) and the clock. Nothing here calls Genesys: the
// values are the last ones the controller stored, with their age, so a reader sees how old they are.

/** A stored queue state as read: hydrated, or the reason it could not be. */
export interface StoredQueueView {
  readonly queueId: string;
  readonly state?: QueueState;
  readonly unreadable?: string;
}

/** A shared circuit breaker as stored (docs/architecture.md, resilience), if the deployment has them. */
export interface BreakerView {
  readonly name: string;
  readonly state: string;
  readonly since?: string;
  readonly detail?: string;
}

export interface StatusInput {
  readonly config: SurgeConfig;
  readonly actuators: readonly Actuator[];
  readonly queues: readonly StoredQueueView[];
  readonly overrides: readonly Override[];
  readonly actuatorRecords: readonly ActuatorRecord[];
  readonly pages: readonly OutboxEntry[];
  readonly breakers?: readonly BreakerView[];
  readonly now: number;
}

export interface TierStatus {
  readonly tier: 1 | 2 | 3;
  readonly mode: TierMode;
  /** The controller's own decision (before mode and overrides). */
  readonly auto: 'active' | 'inactive';
  /** What the levers follow now: the override in force, else auto (in `auto` mode). */
  readonly effective: boolean;
  /** When the tier last changed by the controller's rules (activation or restore), if known. */
  readonly since?: string;
  readonly reason: string;
  readonly override?: Override;
}

export interface QueueStatus {
  readonly queueId: string;
  readonly name?: string;
  readonly lastObservedAt?: string;
  readonly ageSeconds?: number;
  /** "last updated 7 minutes ago", or "never observed". */
  readonly updated: string;
  readonly waiting?: number;
  readonly agentsAvailable?: number | null;
  /** No accepted observation for `staleAfterSeconds`: tiers are held, nothing restores on missing data. */
  readonly degraded: boolean;
  readonly unreadable?: string;
  readonly tiers: readonly TierStatus[];
}

export interface ActuatorStatus {
  readonly actuatorId: string;
  readonly tier?: number;
  readonly type?: string;
  readonly desired: 'active' | 'inactive';
  readonly applied: 'active' | 'inactive' | 'unknown' | 'never switched';
  /** in sync | pending (desired ≠ applied: being switched, retried every tick) | unknown (last switch failed). */
  readonly sync: 'in sync' | 'pending' | 'unknown';
  readonly demandedBy: readonly string[];
  readonly verifiedAt?: string;
  /** The last time a read-back found the lever changed by hand and put it back (from the drift pages). */
  readonly lastDrift?: { readonly at: string; readonly summary: string };
  readonly lease?: { readonly owner: string; readonly expiresAt: string; readonly held: boolean };
  readonly consecutiveFailures: number;
  readonly lastError?: { readonly message: string; readonly at: string };
  /** False for an item in the table whose actuator the config no longer names. */
  readonly configured: boolean;
}

export interface PageStatus {
  readonly kind: string;
  readonly action: Page['action'];
  readonly dedupKey: string;
  readonly summary: string;
  readonly at: string;
  /** `dead`: delivery gave up (dead-lettered, alarmed); listed with the undelivered pages. */
  readonly status: 'pending' | 'sent' | 'dead';
  readonly attempts: number;
  readonly lastError?: string;
}

export interface OverrideStatus extends Override {
  readonly inForce: boolean;
  /** Seconds until it expires (absent: until cleared). */
  readonly expiresInSeconds?: number;
}

export interface StatusReport {
  readonly generatedAt: string;
  readonly staleAfterSeconds: number;
  readonly queues: readonly QueueStatus[];
  readonly actuators: readonly ActuatorStatus[];
  readonly overrides: readonly OverrideStatus[];
  /** Triggers not yet resolved (sent or not): open incidents, newest first. */
  readonly openPages: readonly PageStatus[];
  /** Pages recorded but not delivered yet (retried every tick), oldest first. */
  readonly undeliveredPages: readonly PageStatus[];
  readonly breakers?: readonly BreakerView[];
}

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

/** "just now", "45 seconds ago", "7 minutes ago", "2 hours ago", "3 days ago". */
export function ageText(ageMs: number): string {
  const s = Math.max(0, Math.floor(ageMs / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${plural(s, 'second')} ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${plural(m, 'minute')} ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${plural(h, 'hour')} ago`;
  return `${plural(Math.floor(h / 24), 'day')} ago`;
}

/** Queues worth showing: configured, stored, or named by an override. Config order first, then by id. */
export function knownQueueIds(
  config: SurgeConfig,
  stored: Iterable<string>,
  overrides: readonly Override[],
): string[] {
  const out = config.queues.map((q) => q.id);
  const extra = new Set<string>();
  for (const id of stored) extra.add(id);
  for (const o of overrides) if (o.queue !== '*') extra.add(o.queue);
  for (const id of [...extra].sort()) if (!out.includes(id)) out.push(id);
  return out;
}

function tierStatuses(state: QueueState | undefined, queueId: string, input: StatusInput): TierStatus[] {
  const tiers = tierConfigsFor(input.config, queueId);
  const effective = effectiveTiers(state, queueId, input.config, input.now, input.overrides);
  return TIER_KEYS.map((key) => {
    const tier = tierNumber(key);
    const cfg = tiers[key];
    const t = state?.tiers[key] ?? INITIAL_TIER_STATE;
    const override = governingOverride(input.overrides, queueId, tier, input.now);
    const last = t.recentTransitions[t.recentTransitions.length - 1];
    const since = t.status === 'active' ? t.activatedAt : last !== undefined ? isoInstant(last) : undefined;
    let reason: string;
    if (override) {
      reason = `override ${override.state} by ${override.by}${override.until ? ` until ${override.until}` : ' until cleared'}: ${override.reason}`;
    } else if (cfg.mode === 'off') {
      reason = 'mode off: not evaluated';
    } else if (t.status === 'active') {
      reason = `activated at ${t.activatedAt}: waiting > ${cfg.activate.waitingAbove} for ${cfg.activate.forObservations} observations${cfg.mode === 'recommend' ? ' (recommend mode: paged, not switched)' : ''}`;
    } else {
      reason = `inactive: ${t.activateStreak}/${cfg.activate.forObservations} observations above ${cfg.activate.waitingAbove}${since ? `; restored at ${since}` : ''}`;
    }
    return {
      tier,
      mode: cfg.mode,
      auto: t.status,
      effective: effective[key],
      ...(since ? { since } : {}),
      reason,
      ...(override ? { override } : {}),
    };
  });
}

function pageStatus(e: OutboxEntry): PageStatus {
  return {
    kind: e.page.kind,
    action: e.page.action,
    dedupKey: e.page.dedupKey,
    summary: e.page.summary,
    at: e.page.at,
    status: e.status,
    attempts: e.attempts,
    ...(e.lastError ? { lastError: e.lastError } : {}),
  };
}

export function buildStatus(input: StatusInput): StatusReport {
  const { config, now } = input;
  const stored = new Map(input.queues.map((q) => [q.queueId, q]));
  const queues: QueueStatus[] = knownQueueIds(config, stored.keys(), input.overrides).map((queueId) => {
    const view = stored.get(queueId);
    const state = view?.state;
    const name = config.queues.find((q) => q.id === queueId)?.name;
    const base = { queueId, ...(name ? { name } : {}) };
    if (view?.unreadable) {
      return { ...base, updated: 'unreadable state', degraded: true, unreadable: view.unreadable, tiers: [] };
    }
    if (!state) {
      return {
        ...base,
        updated: 'never observed',
        degraded: false,
        tiers: tierStatuses(undefined, queueId, input),
      };
    }
    const ageMs = now - Date.parse(state.lastObservedAt);
    return {
      ...base,
      lastObservedAt: state.lastObservedAt,
      ageSeconds: Math.floor(ageMs / 1000),
      updated: `last updated ${ageText(ageMs)}`,
      ...(state.lastWaiting !== undefined ? { waiting: state.lastWaiting } : {}),
      ...(state.lastAgentsAvailable !== undefined ? { agentsAvailable: state.lastAgentsAvailable } : {}),
      degraded: isStale(state, now, config),
      tiers: tierStatuses(state, queueId, input),
    };
  });

  const drifts = new Map<string, { at: string; summary: string }>();
  for (const e of input.pages) {
    const id = e.page.details.actuatorId;
    if ((e.page.kind as string) !== 'drift' || e.page.action !== 'trigger' || typeof id !== 'string')
      continue;
    const seen = drifts.get(id);
    if (!seen || seen.at < e.page.at) drifts.set(id, { at: e.page.at, summary: e.page.summary });
  }
  const records = new Map(input.actuatorRecords.map((r) => [r.actuatorId, r]));
  const ids = [...input.actuators.map((a) => a.id)];
  for (const r of input.actuatorRecords) if (!ids.includes(r.actuatorId)) ids.push(r.actuatorId);
  const actuators: ActuatorStatus[] = ids.map((actuatorId) => {
    const a = input.actuators.find((x) => x.id === actuatorId);
    const r = records.get(actuatorId) as (ActuatorRecord & { verifiedAt?: number }) | undefined;
    const desired = r?.desired ?? 'inactive';
    const applied = r ? r.applied : 'never switched';
    const sync =
      applied === 'unknown'
        ? 'unknown'
        : desired === applied || (applied === 'never switched' && desired === 'inactive')
          ? 'in sync'
          : 'pending';
    const drift = drifts.get(actuatorId);
    return {
      actuatorId,
      ...(a ? { tier: a.tier, type: a.type } : {}),
      desired,
      applied,
      sync,
      demandedBy: r?.demandedBy ?? [],
      ...(r?.verifiedAt !== undefined ? { verifiedAt: isoInstant(r.verifiedAt) } : {}),
      ...(drift ? { lastDrift: drift } : {}),
      ...(r?.lease
        ? {
            lease: {
              owner: r.lease.owner,
              expiresAt: isoInstant(r.lease.expiresAt),
              held: now < r.lease.expiresAt,
            },
          }
        : {}),
      consecutiveFailures: r?.consecutiveFailures ?? 0,
      ...(r?.lastError
        ? { lastError: { message: r.lastError.message, at: isoInstant(r.lastError.at) } }
        : {}),
      configured: a !== undefined,
    };
  });

  const resolved = new Set(
    input.pages.filter((e) => e.page.action === 'resolve').map((e) => e.page.dedupKey),
  );
  const openPages = input.pages
    .filter((e) => e.page.action === 'trigger' && !resolved.has(e.page.dedupKey))
    .sort((a, b) => b.createdAt - a.createdAt)
    .map(pageStatus);
  const undeliveredPages = input.pages
    .filter((e) => e.status !== 'sent')
    .sort((a, b) => a.createdAt - b.createdAt)
    .map(pageStatus);

  const overrides: OverrideStatus[] = input.overrides.map((o) => ({
    ...o,
    inForce: overrideInForce(o, now),
    ...(o.until ? { expiresInSeconds: Math.max(0, Math.floor((Date.parse(o.until) - now) / 1000)) } : {}),
  }));

  return {
    generatedAt: isoInstant(now),
    staleAfterSeconds: config.staleAfterSeconds,
    queues,
    actuators,
    overrides,
    openPages,
    undeliveredPages,
    ...(input.breakers ? { breakers: input.breakers } : {}),
  };
}
