// Which queue's state lives in which shard (docs/architecture.md, "Queue states per chunk"). Pure: the
// DynamoDB adapter stores one item per shard, the poller forms its Genesys queries and events from the
// shards, and these functions decide where a queue goes, which copy of a queue counts, and when a queue
// removed from the config gives its place back.

import { DEFAULT_FLAPPING, type SurgeConfig, TIER_KEYS } from './config';
import { effectiveTiersAt } from './convergence';
import type { QueueState } from './decide';
import type { Override } from './override';
import { isoToMs } from './time';

/** Queues per shard: one Genesys observations query and one event each (OBSERVATIONS_PER_EVENT). */
export const SHARD_CAPACITY = 100;

/** A shard as listed: its id and the queues whose state it holds. */
export interface ShardContents {
  readonly shardId: string;
  readonly queueIds: readonly string[];
}

/** Queues to read and evaluate together: one Genesys query and one event, decided against one shard. */
export interface QueueChunk {
  readonly shardId: string;
  readonly queueIds: readonly string[];
}

/** Shard ids sort as numbers and as strings alike, so "the next shard" is the same for every placer. */
export const shardIdOf = (n: number): string => String(n).padStart(4, '0');

/** The smallest shard number not in use (a fresh shard's id). */
function nextShardNumber(shardIds: Iterable<string>, from: number): number {
  const used = new Set<string>(shardIds);
  let n = from;
  while (used.has(shardIdOf(n))) n++;
  return n;
}

/**
 * The chunks for `wanted` (in its order within each chunk): a queue already in a shard stays there
 * (so a config change never moves a state: a moved queue would read as a first observation); a queue
 * in no shard goes to the first shard, by id, with room (fewer than `capacity` queues, counting the
 * queues it holds and those placed in this call), else to a fresh shard. Deterministic: two placers
 * with the same listing place alike. A queue listed in several shards (two placements raced) stays
 * in the copy `homes` names; without it, the first shard by id.
 */
export function planChunks(
  shards: readonly ShardContents[],
  wanted: readonly string[],
  options: { capacity?: number; homes?: ReadonlyMap<string, string> } = {},
): QueueChunk[] {
  const capacity = options.capacity ?? SHARD_CAPACITY;
  const sorted = [...shards].sort((a, b) => (a.shardId < b.shardId ? -1 : a.shardId > b.shardId ? 1 : 0));
  const home = new Map<string, string>();
  const size = new Map<string, number>();
  for (const s of sorted) {
    size.set(s.shardId, new Set(s.queueIds).size);
    for (const q of s.queueIds) if (!home.has(q)) home.set(q, s.shardId);
  }
  for (const [q, shardId] of options.homes ?? []) home.set(q, shardId);
  const order: string[] = sorted.map((s) => s.shardId);
  const chunks = new Map<string, string[]>();
  let fresh = 0;
  for (const q of new Set(wanted)) {
    let shardId = home.get(q);
    if (shardId === undefined) {
      shardId = order.find((id) => (size.get(id) ?? 0) < capacity);
      if (shardId === undefined) {
        fresh = nextShardNumber(order, fresh);
        shardId = shardIdOf(fresh);
        order.push(shardId);
      }
      size.set(shardId, (size.get(shardId) ?? 0) + 1);
      home.set(q, shardId);
    }
    const chunk = chunks.get(shardId);
    if (chunk) chunk.push(q);
    else chunks.set(shardId, [q]);
  }
  return [...chunks.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap(([shardId, queueIds]) => {
      // A shard over capacity (concurrent placements) is still one shard: its queries stay ≤ capacity.
      const out: QueueChunk[] = [];
      for (let i = 0; i < queueIds.length; i += capacity)
        out.push({ shardId, queueIds: queueIds.slice(i, i + capacity) });
      return out;
    });
}

/** One stored copy of a queue's state, as the rule below compares them. */
export interface QueueCopy {
  readonly shardId: string;
  /** The queue's own version (it moves only when this queue is saved). */
  readonly version: number;
  /** `lastObservedAt` of the state, when it could be read (undefined: unreadable copy). */
  readonly lastObservedAt?: string;
}

/**
 * Which copy of a queue counts when two placements raced and left it in two shards: the one with the
 * newest `lastObservedAt` (it has seen every observation the other saw, or later ones), then the higher
 * version, then the lower shard id. A readable copy beats an unreadable one. Every reader applies the
 * same rule, and the poller removes the other copies.
 */
export function preferredCopy<T extends QueueCopy>(copies: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const c of copies) if (best === undefined || beats(c, best)) best = c;
  return best;
}

function beats(a: QueueCopy, b: QueueCopy): boolean {
  const at = a.lastObservedAt === undefined ? Number.NaN : isoToMs(a.lastObservedAt);
  const bt = b.lastObservedAt === undefined ? Number.NaN : isoToMs(b.lastObservedAt);
  if (Number.isNaN(at) !== Number.isNaN(bt)) return !Number.isNaN(at);
  if (!Number.isNaN(at) && at !== bt) return at > bt;
  if (a.version !== b.version) return a.version > b.version;
  return a.shardId < b.shardId;
}

/**
 * How long a queue removed from the config stays silent before its place is given back: far longer than
 * any event naming it can still be delivered (EventBridge keeps an event ≤ 1 h, the Lambda's async queue
 * ≤ 1 h more), so no late observation of it arrives after its state is gone.
 */
export const RELEASE_AFTER_SILENT_MS = 24 * 60 * 60_000;

/**
 * The queues whose place in their shard can be given back (docs/architecture.md, "Removed queues"): not
 * in the config, silent for RELEASE_AFTER_SILENT_MS and for the flapping window, every tier inactive and
 * none effectively on through an override (`'*'` included). Removing such a state changes no lever (it
 * demands nothing, with or without it) and owes no page: it is in no recommendation or flapping episode,
 * and it leaves the stale one, which then resolves if it was the last queue in it. A queue in surge keeps
 * its state and its place: its tiers are held on missing data, as for any silent queue.
 */
export function releasableQueues(
  states: readonly QueueState[],
  config: SurgeConfig,
  overrides: readonly Override[],
  now: number,
): string[] {
  const configured = new Set(config.queues.map((q) => q.id));
  const silentFor = Math.max(
    RELEASE_AFTER_SILENT_MS,
    (config.flapping ?? DEFAULT_FLAPPING).windowSeconds * 1000,
  );
  return states
    .filter((s) => {
      if (configured.has(s.queueId)) return false;
      if (!(now - isoToMs(s.lastObservedAt) >= silentFor)) return false;
      if (TIER_KEYS.some((key) => s.tiers[key].status !== 'inactive')) return false;
      const effective = effectiveTiersAt(s, s.queueId, config, now, overrides);
      return TIER_KEYS.every((key) => !effective[key]);
    })
    .map((s) => s.queueId);
}
