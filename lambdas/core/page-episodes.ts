import { DEFAULT_FLAPPING, type SurgeConfig, TIER_KEYS, tierConfigFor, tierNumber } from './config';
import { isStale } from './decide';
import {
  boundedDedupKey,
  describeQueue,
  minutesText,
  type QueueFacts,
  queueDetails,
  SUMMARY_QUEUES,
  worstFirst,
} from './pages';
import type { Page } from './ports';
import { Reason } from './reasons';
import type { QueueState } from './state';

// One page per episode and tier, however many queues (docs/resilience.md, "One page per episode").
// A surge in recommend mode, or a Genesys outage, hits every queue at once; paging per queue would send
// one incident per queue. Instead each (kind, tier) has one episode item in the table: queues join and
// leave it, the first join opens it (trigger), the poll tick restates it when its queues changed (a
// trigger under the same dedup key: PagerDuty appends it to the open incident), the last leave closes it
// (resolve). Writes are conditional on the item's version, so separate evaluate invocations (one per
// chunk of queues) and concurrent ticks share one episode.
//
// Pages are staged AFTER the write that makes them due, and marked staged after that (monotonic marks
// that no episode write touches). A crash in between leaves the mark behind, and the next tick stages
// the same page again under the same key (the outbox keeps it once):
//
//   write {open, number N}  ─▶ stage trigger N ─▶ mark pagedTrigger = N
//   write {members, rev r}  ─▶ stage update r  ─▶ mark announced = r      (tick only, ≤ 1 per tick)
//   write {closed, N}       ─▶ stage trigger N (if unmarked), resolve N ─▶ mark pagedResolve = N

/** Page kinds paged per episode (and tier) rather than per queue. */
export type AggregateKind = 'recommendation' | 'stale-observations' | 'flapping' | 'future-observation';

export const AGGREGATE_KINDS: readonly AggregateKind[] = [
  'recommendation',
  'stale-observations',
  'flapping',
  'future-observation',
];

/** Kinds with one episode per tier (the others have one episode in all). */
const PER_TIER: readonly AggregateKind[] = ['recommendation', 'flapping'];

export const isAggregateKind = (kind: Page['kind']): kind is AggregateKind =>
  (AGGREGATE_KINDS as readonly string[]).includes(kind);

/** The episode item of one (kind, tier): `recommendation#tier3`, `stale-observations`. */
export const episodeId = (kind: AggregateKind, tier?: number): string =>
  tier === undefined ? kind : `${kind}#tier${tier}`;

/**
 * A queue that joined this recently is kept even if the tick's listing does not back it: its evaluation
 * saved the state (before joining) after the listing. Covers the listing-to-sync gap and clock skew
 * between containers; an older join the listing does not back is gone (a restored tier, a lost race).
 */
export const JOIN_GRACE_MS = 15_000;
/** An open episode is restated at most this often (one update per poll tick). */
export const UPDATE_EVERY_MS = 60_000;

export interface PageEpisode {
  readonly id: string;
  readonly kind: AggregateKind;
  readonly tier?: number;
  /** Episode number: 0 before the first; the dedup key of episode N is built from N. */
  readonly number: number;
  readonly open: boolean;
  /** Epoch ms the current (or last) episode opened / closed. */
  readonly openedAt?: number;
  readonly closedAt?: number;
  /** Member queue id → epoch ms it joined (a closed episode keeps its last members for its resolve). */
  readonly members: Readonly<Record<string, number>>;
  /** Bumped by every membership change, never reset: the revision an update page restates. */
  readonly revision: number;
  /** Episode number whose trigger / resolve is staged (marks; episode writes never touch them). */
  readonly pagedTrigger: number;
  readonly pagedResolve: number;
  /** Revision last paged (trigger or update) and when. */
  readonly announced: number;
  readonly announcedAt?: number;
}

export const emptyEpisode = (kind: AggregateKind, tier?: number): PageEpisode => ({
  id: episodeId(kind, tier),
  kind,
  ...(tier !== undefined ? { tier } : {}),
  number: 0,
  open: false,
  members: {},
  revision: 0,
  pagedTrigger: 0,
  pagedResolve: 0,
  announced: 0,
});

const KEY_PREFIX: Readonly<Record<AggregateKind, string>> = {
  recommendation: 'recommend',
  'stale-observations': 'stale',
  flapping: 'flapping',
  'future-observation': 'future',
};

/** The dedup key of episode `number` of (kind, tier): any retrier after any crash builds the same one. */
export function aggregateDedupKey(kind: AggregateKind, tier: number | undefined, number: number): string {
  const prefix = KEY_PREFIX[kind];
  return boundedDedupKey(tier === undefined ? `${prefix}:${number}` : `${prefix}:tier${tier}:${number}`);
}

/**
 * Queues joining (evaluate: the queues whose decision staged the kind's trigger). Undefined: no change.
 * `refreshAfterMs`: a member that joined at least this long ago joins again (its time moves to `now`),
 * for kinds no queue state backs, whose members are held only while they keep joining (holdMs).
 */
export function joinEpisode(
  current: PageEpisode,
  joiners: readonly string[],
  now: number,
  refreshAfterMs?: number,
): PageEpisode | undefined {
  if (current.open) {
    const fresh = joiners.filter((q) => {
      const joinedAt = current.members[q];
      return joinedAt === undefined || (refreshAfterMs !== undefined && now - joinedAt >= refreshAfterMs);
    });
    if (fresh.length === 0) return undefined;
    const members = { ...current.members };
    for (const q of fresh) members[q] = now;
    return { ...current, members, revision: current.revision + 1 };
  }
  if (joiners.length === 0) return undefined;
  return openWith(current, joiners, now);
}

/**
 * The episode as the truth says (the poll tick, from every listed queue state): members are exactly the
 * queues in `truth`, plus those that joined within `holdMs` (JOIN_GRACE_MS: an evaluation whose state
 * write the listing may predate; longer for kinds held by joining, see holdMsOf) and those whose state
 * could not be read (`unknown`: never dropped on missing data).
 */
export function syncEpisode(
  current: PageEpisode,
  truth: ReadonlySet<string>,
  unknown: ReadonlySet<string>,
  now: number,
  holdMs: number = JOIN_GRACE_MS,
): PageEpisode | undefined {
  if (!current.open) return truth.size > 0 ? openWith(current, [...truth], now) : undefined;
  const members: Record<string, number> = {};
  for (const [q, joinedAt] of Object.entries(current.members)) {
    if (truth.has(q) || unknown.has(q) || now - joinedAt < holdMs) members[q] = joinedAt;
  }
  for (const q of truth) members[q] ??= now;
  const before = Object.keys(current.members);
  const after = Object.keys(members);
  if (after.length === before.length && before.every((q) => members[q] !== undefined)) return undefined;
  if (after.length === 0) {
    // Closed, keeping the last members: the resolve states how they are now.
    return { ...current, open: false, closedAt: now, revision: current.revision + 1 };
  }
  return { ...current, members, revision: current.revision + 1 };
}

function openWith(current: PageEpisode, queues: readonly string[], now: number): PageEpisode {
  const { closedAt: _closed, ...rest } = current;
  return {
    ...rest,
    number: current.number + 1,
    open: true,
    openedAt: now,
    members: Object.fromEntries(queues.map((q) => [q, now])),
    revision: current.revision + 1,
  };
}

/** A page still to stage for an episode, and the mark to write once it is staged. */
export interface DuePage {
  readonly page: Page;
  readonly mark:
    | { readonly field: 'pagedTrigger'; readonly value: number; readonly revision: number }
    | { readonly field: 'announced'; readonly value: number }
    | { readonly field: 'pagedResolve'; readonly value: number };
}

/**
 * The pages an episode still owes: the resolve of every closed episode not yet marked (a crash after a
 * close write may be followed by a new episode before the next tick), the trigger of an open episode not
 * yet staged, and, with `updates` (the tick only), one restatement when its queues changed since last
 * paged, at most every UPDATE_EVERY_MS. A resolve needs no trigger first: if the trigger was staged it
 * is in the outbox and the sender sends it first; if it never was, there is no incident to resolve.
 */
export function duePages(
  e: PageEpisode,
  factsOf: (queueId: string) => QueueFacts,
  now: number,
  options: { readonly updates: boolean },
): DuePage[] {
  if (e.number === 0) return [];
  const members = Object.keys(e.members).map(factsOf);
  const due: DuePage[] = [];
  const lastClosed = e.open ? e.number - 1 : e.number;
  for (let n = Math.max(e.pagedResolve + 1, 1); n <= lastClosed; n++) {
    // Only the current episode still knows its queues; an older one is resolved by its key alone.
    const episode = n === e.number ? e : { ...e, number: n, members: {}, open: false };
    due.push({
      page: aggregatePage(episode, 'resolve', n === e.number ? members : [], now),
      mark: { field: 'pagedResolve', value: n },
    });
  }
  if (!e.open) return due;
  if (e.pagedTrigger < e.number) {
    due.push({
      page: aggregatePage(e, 'trigger', members, now),
      mark: { field: 'pagedTrigger', value: e.number, revision: e.revision },
    });
  } else if (
    options.updates &&
    e.revision > e.announced &&
    (e.announcedAt === undefined || now - e.announcedAt >= UPDATE_EVERY_MS)
  ) {
    due.push({
      page: { ...aggregatePage(e, 'trigger', members, now), revision: e.revision },
      mark: { field: 'announced', value: e.revision },
    });
  }
  return due;
}

/**
 * The page of an episode. `facts`: on a trigger, the members (worst first in the summary, all ids in
 * custom_details); on a resolve, the queues as they are now (the last to leave).
 */
export function aggregatePage(
  e: PageEpisode,
  action: Page['action'],
  facts: readonly QueueFacts[],
  now: number,
): Page {
  const count = Object.keys(e.members).length;
  const worst = worstFirst(facts);
  const shown = worst.slice(0, SUMMARY_QUEUES).map(describeQueue).join('; ');
  const lasted = e.openedAt !== undefined ? minutesText((e.closedAt ?? now) - e.openedAt) : undefined;
  const queues = (n: number) => `${n.toLocaleString('en-US')} queue${n === 1 ? '' : 's'}`;
  const worstText = shown ? `; worst ${shown}` : '';
  const all = count > 1 ? `all ${queues(count)}` : 'the queue';
  let summary: string;
  if (e.kind === 'recommendation') {
    summary =
      action === 'trigger'
        ? `tier ${e.tier} recommended for ${queues(count)}${worstText} (mode recommend: nothing switched; override to act)`
        : `tier ${e.tier} recommendation withdrawn${lasted ? ` after ${lasted}` : ''}: ${all} back under threshold${shown ? `; now ${shown}` : ''}`;
  } else if (e.kind === 'flapping') {
    summary =
      action === 'trigger'
        ? `tier ${e.tier} flapping at ${queues(count)}${worstText}: widen the hysteresis band or raise forObservations`
        : `tier ${e.tier} settled at ${all}${lasted ? ` after ${lasted}` : ''}: no longer flapping${shown ? `; now ${shown}` : ''}`;
  } else if (e.kind === 'future-observation') {
    summary =
      action === 'trigger'
        ? `observations of ${queues(count)} rejected: dated too far after the controller's clock, so their tiers are held; check the source's clock${worstText}`
        : `observations of ${all} accepted again${lasted ? ` after ${lasted}` : ''}${shown ? `; now ${shown}` : ''}`;
  } else {
    const since = facts
      .map((f) => f.observedAt)
      .filter((x): x is string => x !== undefined)
      .sort()[0];
    summary =
      action === 'trigger'
        ? `no observations from ${queues(count)}${since ? ` since ${since}` : ''}: tiers held, nothing restores on missing data${shown ? `; last read ${shown}` : ''}`
        : `observations flowing again from ${count > 1 ? `all ${queues(count)}` : 'the queue'}${lasted ? ` after ${lasted}` : ''}${shown ? `; now ${shown}` : ''}`;
  }
  const ids = Object.keys(e.members).sort();
  return {
    kind: e.kind,
    dedupKey: aggregateDedupKey(e.kind, e.tier, e.number),
    action,
    severity: e.kind === 'stale-observations' ? 'error' : 'warning',
    summary: summary.length <= 1024 ? summary : `${summary.slice(0, 1023)}…`,
    reason: REASON_OF[e.kind],
    at: new Date(now).toISOString(),
    details: {
      ...(e.tier !== undefined ? { tier: e.tier } : {}),
      episode: e.number,
      queueCount: count,
      worst: queueDetails(facts, 10),
      // Every member id up to a bound that keeps the event far under PagerDuty's 512 KB.
      queueIds: ids.slice(0, MAX_LISTED_QUEUES),
      ...(ids.length > MAX_LISTED_QUEUES ? { queueIdsOmitted: ids.length - MAX_LISTED_QUEUES } : {}),
      ...(e.openedAt !== undefined ? { openedAt: new Date(e.openedAt).toISOString() } : {}),
    },
  };
}

const REASON_OF: Readonly<Record<AggregateKind, Reason>> = {
  recommendation: Reason.RECOMMENDATION,
  'stale-observations': Reason.STALE_OBSERVATIONS,
  flapping: Reason.FLAPPING,
  'future-observation': Reason.FUTURE_DATED,
};

export const MAX_LISTED_QUEUES = 500;

/** Which aggregate a per-queue page belongs to (the builders' pages: recommendation, stale, flapping, future). */
export function aggregateOf(page: Page): { kind: AggregateKind; tier?: number; queueId: string } | undefined {
  if (!isAggregateKind(page.kind)) return undefined;
  const queueId = page.details.queueId;
  if (typeof queueId !== 'string') return undefined;
  const tier = page.details.tier;
  return PER_TIER.includes(page.kind) && typeof tier === 'number'
    ? { kind: page.kind, tier, queueId }
    : { kind: page.kind, queueId };
}

/**
 * The members every aggregate should have, from the queue states listed by the tick: queues with no
 * accepted observation for staleAfterSeconds; per tier, the queues whose tier is active in recommend
 * mode, and the queues whose tier still has the flapping threshold of transitions inside the flapping
 * window. (Future-dated rejections leave no trace in a state: that episode is held by joining.) Keys
 * are episode ids.
 */
export function aggregateTruth(
  states: readonly QueueState[],
  config: SurgeConfig,
  now: number,
): Map<string, Set<string>> {
  const truth = new Map<string, Set<string>>();
  const add = (id: string, q: string) => {
    const set = truth.get(id) ?? new Set<string>();
    set.add(q);
    truth.set(id, set);
  };
  const flapping = config.flapping ?? DEFAULT_FLAPPING;
  for (const state of states) {
    if (isStale(state, now, config)) add(episodeId('stale-observations'), state.queueId);
    for (const key of TIER_KEYS) {
      const recent = state.tiers[key].recentTransitions;
      if (recent.filter((t) => now - t < flapping.windowSeconds * 1000).length >= flapping.transitions)
        add(episodeId('flapping', tierNumber(key)), state.queueId);
      if (state.tiers[key].status !== 'active') continue;
      if (tierConfigFor(config, state.queueId, key).mode !== 'recommend') continue;
      add(episodeId('recommendation', tierNumber(key)), state.queueId);
    }
  }
  return truth;
}

/**
 * How long a member that no queue state backs stays after it last joined: JOIN_GRACE_MS, except for
 * future-dated observations, whose queues re-join at every rejection (refreshAfterMsOf) and leave two
 * intervals after the last.
 */
export function holdMsOf(kind: AggregateKind, config: Pick<SurgeConfig, 'intervalSeconds'>): number {
  return kind === 'future-observation' ? 2 * config.intervalSeconds * 1000 + JOIN_GRACE_MS : JOIN_GRACE_MS;
}

/**
 * Re-joins of a kind held by joining are written at most this often per queue (undefined: joining once
 * is enough). Under the shortest interval synth accepts (60 s), so every rejection refreshes its queue.
 */
export const refreshAfterMsOf = (kind: AggregateKind): number | undefined =>
  kind === 'future-observation' ? 30_000 : undefined;

/** An episode as stored, with its optimistic version (undefined: no item yet). */
export interface StoredPageEpisode {
  readonly episode: PageEpisode;
  readonly version: number | undefined;
}

/** Where episodes live (DynamoPageEpisodeStore: one item per episode id in the state table). */
export interface PageEpisodeStore {
  /** One episode, strongly consistent (an empty one when none is stored). */
  get(kind: AggregateKind, tier?: number): Promise<StoredPageEpisode>;
  /** Writes the episode's state (not its marks) if the stored version is still `expectedVersion`; throws StateConflictError otherwise. */
  save(episode: PageEpisode, expectedVersion: number | undefined): Promise<void>;
  /** Records that a due page was staged (monotonic: a lower or equal value than stored changes nothing). */
  mark(episode: PageEpisode, mark: DuePage['mark'], now: number): Promise<void>;
}
