import { BatchGetCommand, DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { settleBounded } from '../../core/bounded';
import { StateConflictError, StoredItemError } from '../../core/errors';
import { lazySchema } from '../../core/lazy-schema';
import type {
  BatchEvaluationSnapshot,
  EvaluationSnapshot,
  QueueCopyRef,
  QueuePlace,
  QueueStateStore,
  QueueStatesListing,
  QueueWrite,
  ShardRef,
  ShardWriteResult,
  StaleMarks,
  StoredQueueState,
} from '../../core/persistence';
import { planChunks, preferredCopy } from '../../core/placement';
import {
  isConditionFailed,
  type Key,
  overridesKey,
  parseOverridesItem,
  parseQueueItem,
  parseWith,
  queryPartition,
  queueHomeKey,
  queueKey,
  queueShardKey,
  type StateTable,
  staleMarksKey,
} from './items';
import { decodeQueueEntry, encodeQueueEntry, entryVersion } from './queue-state-codec';
import { Partition } from './table-definition';

/** BatchGetItem may hand back keys under throttling; these re-requests are the only extra calls. */
const MAX_UNPROCESSED_RETRIES = 5;
/** BatchGetItem reads at most 100 keys per call. */
const MAX_KEYS_PER_BATCH_GET = 100;
/** Full-jitter backoff before re-requesting unprocessed keys: base and cap, ms (AWS SDK guidance). */
const UNPROCESSED_BACKOFF_BASE_MS = 25;
const UNPROCESSED_BACKOFF_CAP_MS = 1_000;
/**
 * Conditional writes of one shard retried after other queues of it were written meanwhile (their
 * writers are other chunks' evaluations and single-queue events: a handful at most).
 */
const MAX_SHARD_WRITE_ATTEMPTS = 8;
/** Placement pointers written at once after a shard write that placed queues (a chunk's new queues). */
const POINTER_WRITE_CONCURRENCY = 16;

export interface QueueStateStoreOptions {
  /** Waits before re-requesting unprocessed keys (a simulated clock's sleep in drills). @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Uniform [0, 1) for the jitter. @default Math.random */
  readonly random?: () => number;
}

const StaleMarksSchema = lazySchema(() => z.record(z.string(), z.array(z.string().min(1))));

function requireId(queueId: string): void {
  if (typeof queueId !== 'string' || queueId.length === 0) {
    throw new TypeError('queueId: must be a non-empty string');
  }
}

/** One shard item as read: its version and its queues' entries, still encoded. */
interface ShardRead {
  readonly shardId: string;
  readonly version: number | undefined;
  readonly updatedAt: number;
  readonly entries: Readonly<Record<string, unknown>>;
}

const ShardItemSchema = lazySchema(() =>
  z.object({
    sk: z.string().min(1),
    version: z.number().int().positive(),
    updatedAt: z.number().int().nonnegative(),
    states: z.record(z.string(), z.unknown()),
  }),
);

function parseShardItem(item: Record<string, unknown>): ShardRead {
  const parsed = parseWith(
    ShardItemSchema(),
    item,
    (field, detail) => new StoredItemError(`${item.pk}/${item.sk}`, field, detail),
  );
  return { shardId: parsed.sk, version: parsed.version, updatedAt: parsed.updatedAt, entries: parsed.states };
}

const emptyShard = (shardId: string): ShardRead => ({
  shardId,
  version: undefined,
  updatedAt: 0,
  entries: {},
});
const whereOf = (shardId: string) => `${Partition.QueueShard}/${shardId}`;

/** A decoded copy of a queue (or the error that stopped it), for the preferred-copy rule. */
interface Copy {
  readonly queueId: string;
  readonly shardId: string;
  readonly version: number;
  readonly lastObservedAt?: string;
  readonly stored?: StoredQueueState;
  readonly error?: StoredItemError;
}

function copyOf(shard: ShardRead, queueId: string): Copy {
  const where = whereOf(shard.shardId);
  try {
    const { version, state } = decodeQueueEntry(where, queueId, shard.entries[queueId]);
    const lastObservedAt = (state as { lastObservedAt?: unknown } | null)?.lastObservedAt;
    return {
      queueId,
      shardId: shard.shardId,
      version,
      ...(typeof lastObservedAt === 'string' ? { lastObservedAt } : {}),
      stored: { queueId, state, version, updatedAt: shard.updatedAt },
    };
  } catch (e) {
    if (!(e instanceof StoredItemError)) throw e;
    let version = 0;
    try {
      version = entryVersion(where, queueId, shard.entries[queueId]);
    } catch {
      // no version either: it can only be named, never removed by version
    }
    return { queueId, shardId: shard.shardId, version, error: e };
  }
}

/**
 * The preferred copy of each queue over all shards, and the others (docs/architecture.md). `only`: decode
 * just these queues' entries (a lookup of a few queues need not decode every shard's).
 */
function locate(
  shards: readonly ShardRead[],
  only?: ReadonlySet<string>,
): { preferred: Map<string, Copy>; extra: Copy[] } {
  const copies = new Map<string, Copy[]>();
  for (const shard of shards) {
    for (const queueId of Object.keys(shard.entries)) {
      if (only && !only.has(queueId)) continue;
      const list = copies.get(queueId) ?? [];
      list.push(copyOf(shard, queueId));
      copies.set(queueId, list);
    }
  }
  const preferred = new Map<string, Copy>();
  const extra: Copy[] = [];
  for (const [queueId, list] of copies) {
    const best = preferredCopy(list) as Copy;
    preferred.set(queueId, best);
    for (const c of list) if (c !== best) extra.push(c);
  }
  return { preferred, extra };
}

/** What a read learnt about a shard, kept for the write that follows it (keyed by the ref handed out). */
interface RefState {
  readonly read: ShardRead;
  /** Queues read from their item of before shards, by that item's version (migrated on write). */
  readonly legacy: Map<string, number>;
  /** Queues found without their placement pointer (missing, or naming another shard): written on save. */
  readonly pointers: Set<string>;
}

interface Snapshot {
  readonly queues: Map<string, StoredQueueState>;
  readonly homes: Map<string, ShardRef>;
  readonly errors: Map<string, Error>;
  readonly overrides: BatchEvaluationSnapshot['overrides'];
}

/**
 * Queue decision states, one item per shard of ≤ 100 queues (docs/architecture.md, "Queue states per
 * chunk"), each queue's entry compactly encoded (./queue-state-codec.ts) with its own version; the
 * shard is written optimistically on its own `version`. Items of the layout before shards
 * (`QUEUE`/<id>) are still read, and a queue found only there moves into a shard when it is saved.
 */
export class DynamoQueueStateStore implements QueueStateStore {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly refs = new WeakMap<ShardRef, RefState>();

  constructor(
    private readonly table: StateTable,
    options: QueueStateStoreOptions = {},
  ) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  async load(queueId: string): Promise<StoredQueueState | undefined> {
    requireId(queueId);
    const snapshot = await this.snapshot([queueId], undefined);
    const error = snapshot.errors.get(queueId);
    if (error) throw error;
    return snapshot.queues.get(queueId);
  }

  async loadForEvaluation(queueId: string): Promise<EvaluationSnapshot> {
    requireId(queueId);
    const snapshot = await this.snapshot([queueId], undefined);
    const error = snapshot.errors.get(queueId);
    if (error) throw error;
    const home = snapshot.homes.get(queueId);
    return { queue: snapshot.queues.get(queueId), overrides: snapshot.overrides, ...(home ? { home } : {}) };
  }

  /**
   * With the poller's `shardId`: one BatchGetItem of that shard and the overrides, strongly consistent
   * (keys left unprocessed are re-requested with full-jitter backoff, then read alone). Without one (a
   * partner-bus event): one BatchGetItem of the overrides and the queues' placement pointers, then one of
   * the shards they name. Queues not found that way (new ones, a pointer missing or stale) cost one Query
   * of every shard and a read of their items from before shards; a queue found nowhere is placed in the
   * named shard, or, without one, where planChunks puts it. An entry that cannot be read comes back in
   * `unread`.
   */
  async loadManyForEvaluation(
    queueIds: readonly string[],
    options: { readonly shardId?: string } = {},
  ): Promise<BatchEvaluationSnapshot> {
    queueIds.forEach(requireId);
    const snapshot = await this.snapshot([...new Set(queueIds)], options.shardId);
    return {
      queues: snapshot.queues,
      overrides: snapshot.overrides,
      unread: [...snapshot.errors.keys()],
      homes: snapshot.homes,
    };
  }

  async saveMany(home: ShardRef, writes: readonly QueueWrite[]): Promise<ShardWriteResult> {
    const entries = new Map<string, { expected: number | undefined; entry: string }>();
    for (const w of writes) {
      requireId(w.queueId);
      checkExpected(w.expectedVersion);
      const version = (w.expectedVersion ?? 0) + 1;
      entries.set(w.queueId, {
        expected: w.expectedVersion,
        entry: encodeQueueEntry(w.queueId, { version, state: w.state }),
      });
    }
    const known = this.refs.get(home);
    const legacy = known?.legacy ?? new Map<string, number>();
    const repoint = known?.pointers ?? new Set<string>();
    let read =
      known?.read ??
      (home.version === undefined ? emptyShard(home.shardId) : await this.getShard(home.shardId));
    const conflicts: string[] = [];
    const claimed = new Set<string>();
    for (let attempt = 1; attempt <= MAX_SHARD_WRITE_ATTEMPTS; attempt++) {
      for (const [queueId, { expected }] of entries) {
        const current = read.entries[queueId];
        const found =
          current === undefined ? legacy.get(queueId) : entryVersionOrZero(read.shardId, queueId, current);
        if (found !== expected) {
          conflicts.push(queueId);
          entries.delete(queueId);
        }
      }
      if (entries.size === 0) return { written: new Map(), conflicts };
      // A queue this write places (not in the shard as read) is placed only where its pointer lets it:
      // a placement raced by another shard's is a conflict here, re-read and decided where that one put it.
      const placing = [...entries.keys()].filter((q) => read.entries[q] === undefined && !claimed.has(q));
      if (placing.length > 0) {
        const lost = new Set(await this.claimPointers(home.shardId, placing));
        for (const q of placing) {
          if (!lost.has(q)) claimed.add(q);
          else {
            conflicts.push(q);
            entries.delete(q);
          }
        }
        if (entries.size === 0) return { written: new Map(), conflicts };
      }
      const states: Record<string, unknown> = { ...read.entries };
      for (const [queueId, { entry }] of entries) states[queueId] = entry;
      try {
        await this.putShard(read, states);
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
        read = await this.getShard(home.shardId); // someone wrote this shard: re-read, re-check our queues
        continue;
      }
      const written = new Map([...entries].map(([q, { expected }]) => [q, (expected ?? 0) + 1]));
      await Promise.all([
        this.retireLegacy([...written.keys()].filter((q) => legacy.has(q))),
        // Found here by the lookup of every shard (no pointer yet, or a stale one): point at this shard.
        this.writePointers(
          home.shardId,
          [...written.keys()].filter((q) => repoint.has(q) && !claimed.has(q)),
        ),
      ]);
      return { written, conflicts };
    }
    throw new StateConflictError(
      `shard ${home.shardId}: written by others ${MAX_SHARD_WRITE_ATTEMPTS} times in a row; re-read and re-decide`,
    );
  }

  async loadStaleMarks(): Promise<StaleMarks> {
    const { Item } = await this.table.doc.send(
      new GetCommand({ TableName: this.table.tableName, Key: staleMarksKey(), ConsistentRead: true }),
    );
    if (!Item) return { since: {}, version: undefined };
    const where = `${Partition.StaleMarks}/${Item.sk}`;
    const version = Item.version;
    if (typeof version !== 'number' || !Number.isInteger(version) || version < 1)
      throw new StoredItemError(where, 'version', 'must be a positive integer');
    let json: unknown;
    try {
      json = JSON.parse(String(Item.since));
    } catch (cause) {
      throw new StoredItemError(where, 'since', 'is not valid JSON', { cause });
    }
    const since = parseWith(
      StaleMarksSchema(),
      json,
      (field, detail) => new StoredItemError(where, `since.${field}`, detail),
    );
    return { since, version };
  }

  async saveStaleMarks(
    since: Readonly<Record<string, readonly string[]>>,
    expectedVersion: number | undefined,
  ): Promise<void> {
    try {
      await this.table.doc.send(
        new PutCommand({
          TableName: this.table.tableName,
          // One JSON string: a few hundred kilobytes at most even with 5,000 queues stale at once.
          Item: {
            ...staleMarksKey(),
            since: JSON.stringify(since),
            version: (expectedVersion ?? 0) + 1,
            updatedAt: this.table.clock.now(),
          },
          ConditionExpression:
            expectedVersion === undefined ? 'attribute_not_exists(pk)' : '#version = :expected',
          ...(expectedVersion === undefined
            ? {}
            : {
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':expected': expectedVersion },
              }),
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      throw new StateConflictError('stale marks: written by someone else since they were read', {
        cause: error,
      });
    }
  }

  async save(queueId: string, state: unknown, expectedVersion: number | undefined): Promise<number> {
    requireId(queueId);
    checkExpected(expectedVersion);
    if (JSON.stringify(state) === undefined) throw new TypeError('state: must be JSON-serialisable');
    const snapshot = await this.snapshot([queueId], undefined);
    const error = snapshot.errors.get(queueId);
    if (error) throw error;
    const home = snapshot.homes.get(queueId) as ShardRef;
    const { written } = await this.saveMany(home, [{ queueId, state, expectedVersion }]);
    const version = written.get(queueId);
    if (version === undefined) {
      throw new StateConflictError(
        `queue ${queueId}: expected ${expectedVersion === undefined ? 'no state' : `version ${expectedVersion}`}` +
          `, found ${snapshot.queues.get(queueId) ? `version ${snapshot.queues.get(queueId)?.version}` : 'a newer write'}; re-read and re-decide`,
      );
    }
    return version;
  }

  async list(): Promise<StoredQueueState[]> {
    return [...(await this.listPlacement()).states];
  }

  /** Every shard (one Query per MB of the `QUEUES` partition) and the items from before shards (one Query). */
  async listPlacement(): Promise<QueueStatesListing> {
    const [shards, legacyItems] = await Promise.all([
      this.readShards(),
      queryPartition(this.table, Partition.Queue, (item) => item),
    ]);
    const { preferred, extra } = locate(shards);
    const states: StoredQueueState[] = [];
    const unreadable: { queueId: string; error: string }[] = [];
    const homes = new Map<string, string>();
    for (const [queueId, copy] of preferred) {
      homes.set(queueId, copy.shardId);
      if (copy.stored) states.push(copy.stored);
      else unreadable.push({ queueId, error: copy.error?.message ?? 'unreadable' });
    }
    for (const item of legacyItems) {
      const queueId = String(item.sk);
      if (preferred.has(queueId)) continue; // moved into a shard; the old item is only left over
      try {
        states.push(parseQueueItem(item));
      } catch (e) {
        unreadable.push({ queueId, error: e instanceof Error ? e.message : String(e) });
      }
    }
    const byId = (a: { queueId: string }, b: { queueId: string }) =>
      a.queueId < b.queueId ? -1 : a.queueId > b.queueId ? 1 : 0;
    return {
      states: states.sort(byId),
      shards: shards.map((s) => ({ shardId: s.shardId, queueIds: Object.keys(s.entries) })),
      homes,
      unreadable: unreadable.sort(byId),
      extraCopies: extra
        .filter((c) => c.version > 0)
        .map((c) => ({ queueId: c.queueId, shardId: c.shardId, version: c.version })),
    };
  }

  /** REMOVE of each copy, on condition that it is still at the version listed; bumps the shard's version. */
  async removeCopies(copies: readonly QueueCopyRef[]): Promise<number> {
    let removed = 0;
    for (const c of copies) {
      try {
        await this.table.doc.send(
          new UpdateCommand({
            TableName: this.table.tableName,
            Key: queueShardKey(c.shardId),
            UpdateExpression: 'REMOVE #states.#queue SET #version = #version + :one, #updatedAt = :now',
            ConditionExpression: 'begins_with(#states.#queue, :entryOfVersion)',
            ExpressionAttributeNames: {
              '#states': 'states',
              '#queue': c.queueId,
              '#version': 'version',
              '#updatedAt': 'updatedAt',
            },
            ExpressionAttributeValues: {
              ':one': 1,
              ':now': this.table.clock.now(),
              ':entryOfVersion': `${c.version.toString(36)}|`,
            },
          }),
        );
        removed++;
      } catch (error) {
        if (!isConditionFailed(error)) throw error; // the copy moved on: the next listing decides again
        continue;
      }
      await this.dropPointer(c.queueId, c.shardId);
    }
    return removed;
  }

  /**
   * Per shard: one read, then a REMOVE of each queue whose entry still decodes to the version and state
   * listed, conditional on that exact entry (a queue saved since, or released and placed again since, is
   * left for a later tick to decide again); bumps the shard's version; drops the queue's pointer if it
   * names that shard.
   */
  async releasePlaces(places: readonly QueuePlace[]): Promise<string[]> {
    const released: string[] = [];
    const byShard = new Map<string, QueuePlace[]>();
    for (const p of places) byShard.set(p.shardId, [...(byShard.get(p.shardId) ?? []), p]);
    for (const [shardId, list] of byShard) {
      const shard = await this.getShard(shardId);
      for (const p of list) {
        const entry = shard.entries[p.queueId];
        let stored: { version: number; state: unknown };
        try {
          stored = decodeQueueEntry(whereOf(shardId), p.queueId, entry);
        } catch {
          continue; // gone, or not readable: nothing to give back
        }
        if (stored.version !== p.version || JSON.stringify(stored.state) !== JSON.stringify(p.state))
          continue;
        try {
          await this.table.doc.send(
            new UpdateCommand({
              TableName: this.table.tableName,
              Key: queueShardKey(shardId),
              UpdateExpression: 'REMOVE #states.#queue SET #version = #version + :one, #updatedAt = :now',
              ConditionExpression: '#states.#queue = :entry',
              ExpressionAttributeNames: {
                '#states': 'states',
                '#queue': p.queueId,
                '#version': 'version',
                '#updatedAt': 'updatedAt',
              },
              ExpressionAttributeValues: { ':one': 1, ':now': this.table.clock.now(), ':entry': entry },
            }),
          );
        } catch (error) {
          if (!isConditionFailed(error)) throw error;
          continue; // saved since the read above: kept
        }
        released.push(p.queueId);
        await this.dropPointer(p.queueId, shardId);
      }
    }
    return released;
  }

  /** The states of `queueIds` (see loadManyForEvaluation), their homes, and the errors of unreadable ones. */
  private async snapshot(queueIds: readonly string[], shardId: string | undefined): Promise<Snapshot> {
    const queues = new Map<string, StoredQueueState>();
    const homes = new Map<string, ShardRef>();
    const errors = new Map<string, Error>();
    const refOf = new Map<string, ShardRef>();
    const ref = (read: ShardRead): ShardRef => {
      let r = refOf.get(read.shardId);
      if (!r) {
        r = { shardId: read.shardId, version: read.version };
        this.refs.set(r, { read, legacy: new Map(), pointers: new Set() });
        refOf.set(read.shardId, r);
      }
      return r;
    };
    const take = (shard: ShardRead, q: string): void => {
      const copy = copyOf(shard, q);
      if (copy.error) errors.set(q, copy.error);
      else if (copy.stored) {
        queues.set(q, copy.stored);
        homes.set(q, ref(shard));
      }
    };
    let overrides: BatchEvaluationSnapshot['overrides'] = [];
    const missing: string[] = [];
    let named: ShardRead | undefined;
    let pointerOf: ReadonlyMap<string, string> | undefined; // read already (events naming no shard)
    if (shardId !== undefined) {
      const { found, unprocessed } = await this.batchGet([overridesKey(), queueShardKey(shardId)], {
        throwIfUnprocessed: false,
      });
      const overridesItem = found.find((i) => i.pk === Partition.Overrides);
      overrides = parseOverridesItem(
        unprocessed.some((k) => k.pk === Partition.Overrides)
          ? await this.getItem(overridesKey())
          : overridesItem,
      );
      const shardItem = unprocessed.some((k) => k.pk === Partition.QueueShard)
        ? await this.getItem(queueShardKey(shardId))
        : found.find((i) => i.pk === Partition.QueueShard);
      try {
        named = shardItem ? parseShardItem(shardItem) : emptyShard(shardId);
      } catch (e) {
        if (!(e instanceof StoredItemError)) throw e;
        for (const q of queueIds) errors.set(q, e); // an unreadable shard item fails its queues only
        return { queues, homes, errors, overrides };
      }
      for (const q of queueIds) {
        if (named.entries[q] === undefined) missing.push(q);
        else take(named, q);
      }
    } else {
      // No shard named: each queue's placement pointer names its shard. A pointer is a hint: one that is
      // missing, or names a shard that does not hold the queue, sends the queue to the lookup below.
      const byPointer = await this.readByPointers(queueIds);
      overrides = byPointer.overrides;
      pointerOf = byPointer.pointers;
      for (const q of queueIds) {
        const shard = byPointer.shardOf.get(q);
        if (shard instanceof Error) errors.set(q, shard);
        else if (shard === undefined || shard.entries[q] === undefined) missing.push(q);
        else take(shard, q);
      }
    }
    if (missing.length === 0) return { queues, homes, errors, overrides };

    // Queues not found where the event or their pointer said: in another shard (placed there first, or
    // before pointers), in an item from before shards, or nowhere yet (placed now). Their pointers are
    // written with their next save.
    const shards = await this.readShards();
    const { preferred } = locate(shards, new Set(missing));
    const readOf = new Map(shards.map((s) => [s.shardId, s]));
    const nowhere: string[] = [];
    for (const q of missing) {
      const copy = preferred.get(q);
      if (!copy) {
        nowhere.push(q);
        continue;
      }
      if (copy.error) errors.set(q, copy.error);
      else if (copy.stored) {
        queues.set(q, copy.stored);
        const home = ref(readOf.get(copy.shardId) as ShardRead);
        homes.set(q, home);
        this.refs.get(home)?.pointers.add(q);
      }
    }
    if (nowhere.length === 0) return { queues, homes, errors, overrides };
    // A queue in no shard goes where its pointer says (another placement claimed it, and may not have
    // written yet), else to the shard named, else where planChunks puts it.
    const [legacy, claims] = await Promise.all([
      this.readLegacy(nowhere),
      pointerOf ?? this.readPointers(nowhere),
    ]);
    const unclaimed = nowhere.filter((q) => !claims.has(q));
    const target =
      shardId !== undefined
        ? new Map(unclaimed.map((q) => [q, shardId]))
        : new Map(
            planChunks(
              shards.map((s) => ({ shardId: s.shardId, queueIds: Object.keys(s.entries) })),
              unclaimed,
            ).flatMap((c) => c.queueIds.map((q) => [q, c.shardId] as const)),
          );
    for (const q of nowhere) {
      const id = claims.get(q) ?? (target.get(q) as string);
      const home = ref(readOf.get(id) ?? (named?.shardId === id ? named : emptyShard(id)));
      homes.set(q, home);
      const old = legacy.get(q);
      if (old instanceof Error) {
        errors.set(q, old);
        homes.delete(q);
      } else if (old) {
        queues.set(q, old);
        this.refs.get(home)?.legacy.set(q, old.version);
      }
    }
    return { queues, homes, errors, overrides };
  }

  /**
   * The overrides and, for each queue whose placement pointer could be read, the shard it names (or that
   * shard's parse error): one BatchGetItem of the overrides and ≤ 99 pointers, then one of the shards
   * named. A pointer or shard left unprocessed counts as not found (the caller looks everywhere).
   */
  private async readByPointers(queueIds: readonly string[]): Promise<{
    overrides: BatchEvaluationSnapshot['overrides'];
    pointers: Map<string, string>;
    shardOf: Map<string, ShardRead | StoredItemError>;
  }> {
    const pointers = new Map<string, string>();
    let overridesItem: Record<string, unknown> | undefined;
    const read = await this.batchGetAll([overridesKey(), ...queueIds.map(queueHomeKey)], {
      throwIfUnprocessed: false,
    });
    for (const item of read.found) {
      if (item.pk === Partition.Overrides) overridesItem = item;
      else if (typeof item.shardId === 'string' && item.shardId.length > 0)
        pointers.set(String(item.sk), item.shardId);
    }
    if (read.unprocessed.some((k) => k.pk === Partition.Overrides))
      overridesItem = await this.getItem(overridesKey());
    const shards = new Map<string, ShardRead | StoredItemError>();
    const named = [...new Set(pointers.values())].map(queueShardKey);
    const { found } = await this.batchGetAll(named, { throwIfUnprocessed: false });
    for (const item of found) {
      try {
        const shard = parseShardItem(item);
        shards.set(shard.shardId, shard);
      } catch (e) {
        if (!(e instanceof StoredItemError)) throw e;
        shards.set(String(item.sk), e); // an unreadable shard item fails its queues only
      }
    }
    const shardOf = new Map<string, ShardRead | StoredItemError>();
    for (const [q, id] of pointers) {
      const shard = shards.get(id);
      if (shard) shardOf.set(q, shard);
    }
    return { overrides: parseOverridesItem(overridesItem), pointers, shardOf };
  }

  /** The shard each queue's placement pointer names (BatchGetItem, 100 keys a call; unread ones left out). */
  private async readPointers(queueIds: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const { found } = await this.batchGetAll(queueIds.map(queueHomeKey), { throwIfUnprocessed: true });
    for (const item of found) {
      if (typeof item.shardId === 'string' && item.shardId.length > 0) out.set(String(item.sk), item.shardId);
    }
    return out;
  }

  /**
   * Claims each queue's placement for `shardId`: its pointer is written if it has none or names this
   * shard already. Returns the queues whose pointer names another shard (placed there first).
   */
  private async claimPointers(shardId: string, queueIds: readonly string[]): Promise<string[]> {
    const settled = await settleBounded(queueIds, POINTER_WRITE_CONCURRENCY, (q) =>
      this.table.doc.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: { ...queueHomeKey(q), shardId, updatedAt: this.table.clock.now() },
          ConditionExpression: 'attribute_not_exists(pk) OR #shardId = :shardId',
          ExpressionAttributeNames: { '#shardId': 'shardId' },
          ExpressionAttributeValues: { ':shardId': shardId },
        }),
      ),
    );
    const lost: string[] = [];
    settled.forEach((r, i) => {
      if (r.status === 'fulfilled') return;
      if (!isConditionFailed(r.reason)) throw r.reason;
      lost.push(queueIds[i] as string);
    });
    return lost;
  }

  /** Points each queue at `shardId` (after a write that placed it there); a lost write only costs a lookup. */
  private async writePointers(shardId: string, queueIds: readonly string[]): Promise<void> {
    await settleBounded(queueIds, POINTER_WRITE_CONCURRENCY, (q) =>
      this.table.doc.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: { ...queueHomeKey(q), shardId, updatedAt: this.table.clock.now() },
        }),
      ),
    );
  }

  /** Deletes the queue's placement pointer if it still names `shardId` (its copy there was removed). */
  private async dropPointer(queueId: string, shardId: string): Promise<void> {
    try {
      await this.table.doc.send(
        new DeleteCommand({
          TableName: this.table.tableName,
          Key: queueHomeKey(queueId),
          ConditionExpression: '#shardId = :shardId',
          ExpressionAttributeNames: { '#shardId': 'shardId' },
          ExpressionAttributeValues: { ':shardId': shardId },
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error; // it names another shard (or none): leave it
    }
  }

  /** Every shard item, strongly consistent. */
  private async readShards(): Promise<ShardRead[]> {
    return queryPartition(this.table, Partition.QueueShard, parseShardItem);
  }

  private async getShard(shardId: string): Promise<ShardRead> {
    const item = await this.getItem(queueShardKey(shardId));
    return item ? parseShardItem(item) : emptyShard(shardId);
  }

  private async getItem(key: Key): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.table.doc.send(
      new GetCommand({ TableName: this.table.tableName, Key: key, ConsistentRead: true }),
    );
    return Item;
  }

  /** The whole shard with `states`, if its version is still the one read (or it has no item yet). */
  private async putShard(read: ShardRead, states: Record<string, unknown>): Promise<void> {
    await this.table.doc.send(
      new PutCommand({
        TableName: this.table.tableName,
        Item: {
          ...queueShardKey(read.shardId),
          version: (read.version ?? 0) + 1,
          updatedAt: this.table.clock.now(),
          states,
        },
        ConditionExpression: read.version === undefined ? 'attribute_not_exists(pk)' : '#version = :expected',
        ...(read.version === undefined
          ? {}
          : {
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: { ':expected': read.version },
            }),
      }),
    );
  }

  /** Items from before shards of these queues (BatchGetItem, 100 keys a call): state, or the item's error. */
  private async readLegacy(queueIds: readonly string[]): Promise<Map<string, StoredQueueState | Error>> {
    const out = new Map<string, StoredQueueState | Error>();
    const { found } = await this.batchGetAll(queueIds.map(queueKey), { throwIfUnprocessed: true });
    for (const item of found) {
      try {
        const parsed = parseQueueItem(item);
        out.set(parsed.queueId, parsed);
      } catch (e) {
        out.set(String(item.sk), e instanceof Error ? e : new Error(String(e)));
      }
    }
    return out;
  }

  /** Deletes the items from before shards of queues now saved in a shard (a leftover is never read again). */
  private async retireLegacy(queueIds: readonly string[]): Promise<void> {
    for (const q of queueIds) {
      try {
        await this.table.doc.send(new DeleteCommand({ TableName: this.table.tableName, Key: queueKey(q) }));
      } catch {
        // Harmless if left: a queue in a shard is never read from its old item.
      }
    }
  }

  /** BatchGetItem of any number of keys, 100 a call (each with its re-requests, see batchGet). */
  private async batchGetAll(
    keys: readonly Key[],
    options: { throwIfUnprocessed: boolean },
  ): Promise<{ found: Record<string, unknown>[]; unprocessed: Key[] }> {
    const found: Record<string, unknown>[] = [];
    const unprocessed: Key[] = [];
    for (let i = 0; i < keys.length; i += MAX_KEYS_PER_BATCH_GET) {
      const r = await this.batchGet(keys.slice(i, i + MAX_KEYS_PER_BATCH_GET), options);
      found.push(...r.found);
      unprocessed.push(...r.unprocessed);
    }
    return { found, unprocessed };
  }

  /** One BatchGetItem (≤ 100 keys) and its re-requests of unprocessed keys, with full-jitter backoff. */
  private async batchGet(
    keys: Key[],
    options: { throwIfUnprocessed: boolean },
  ): Promise<{ found: Record<string, unknown>[]; unprocessed: Key[] }> {
    const found: Record<string, unknown>[] = [];
    let pending: Record<string, unknown>[] = keys;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > MAX_UNPROCESSED_RETRIES) {
        if (!options.throwIfUnprocessed) return { found, unprocessed: pending as Key[] };
        throw new Error(`BatchGetItem left ${pending.length} key(s) unprocessed after ${attempt} attempts`);
      }
      if (attempt > 0) {
        const cap = Math.min(UNPROCESSED_BACKOFF_CAP_MS, UNPROCESSED_BACKOFF_BASE_MS * 2 ** attempt);
        await this.sleep(Math.floor(this.random() * cap)); // whole ms: clocks stay integral
      }
      const { Responses, UnprocessedKeys } = await this.table.doc.send(
        new BatchGetCommand({
          RequestItems: { [this.table.tableName]: { Keys: pending, ConsistentRead: true } },
        }),
      );
      found.push(...(Responses?.[this.table.tableName] ?? []));
      pending = UnprocessedKeys?.[this.table.tableName]?.Keys ?? [];
    }
    return { found, unprocessed: [] };
  }
}

function checkExpected(expectedVersion: number | undefined): void {
  if (expectedVersion !== undefined && !(Number.isInteger(expectedVersion) && expectedVersion > 0)) {
    throw new TypeError(`expectedVersion: must be a positive integer or undefined, got ${expectedVersion}`);
  }
}

/** A stored entry's version, 0 if it has none (never equal to an expected version: a conflict). */
function entryVersionOrZero(shardId: string, queueId: string, entry: unknown): number {
  try {
    return entryVersion(whereOf(shardId), queueId, entry);
  } catch {
    return 0;
  }
}
