import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { queueIdOf } from '../../../bench/support/tick';
import { createDynamoPersistence, type DynamoPersistence } from '../../../lambdas/adapters/dynamodb';
import type { QueueState } from '../../../lambdas/core/decide';
import { StoredItemError } from '../../../lambdas/core/errors';
import { countDynamoCalls, type LocalDynamo, startLocalDynamo } from '../../support/local-dynamo';

// Queue states per shard (docs/architecture.md, "Queue states per chunk"): one item holds the states of
// a chunk of ≤ 100 queues, each with its own version; the item is written conditionally on its own.

const quiet = (queueId: string, at: string, waiting = 10): QueueState => ({
  schemaVersion: 1,
  queueId,
  lastObservedAt: at,
  lastWaiting: waiting,
  lastAgentsAvailable: 5,
  tiers: {
    tier1: { status: 'inactive', activateStreak: 0, restoreStreak: 10, recentTransitions: [] },
    tier2: { status: 'inactive', activateStreak: 0, restoreStreak: 5, recentTransitions: [] },
    tier3: { status: 'inactive', activateStreak: 0, restoreStreak: 10, recentTransitions: [] },
  },
  effective: { tier1: false, tier2: false, tier3: false },
});

describe('queue states kept per shard (dynalite)', () => {
  let dynamo: LocalDynamo;
  let store: DynamoPersistence;
  let tableName: string;
  let raw: DynamoDBDocumentClient;
  let calls: ReturnType<typeof countDynamoCalls>;
  const clock = { t: Date.parse('2026-11-30T22:00:00Z'), now: () => clock.t };
  const at = (minute: number) => new Date(clock.t + minute * 60_000).toISOString();
  const shardItem = async (shardId: string) =>
    (await raw.send(new GetCommand({ TableName: tableName, Key: { pk: 'QUEUES', sk: shardId } }))).Item;

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    calls = countDynamoCalls(dynamo.client);
    raw = DynamoDBDocumentClient.from(dynamo.client);
  });
  afterAll(async () => dynamo.stop());
  beforeEach(async () => {
    tableName = await dynamo.createTable();
    store = createDynamoPersistence({ client: dynamo.client, tableName, clock });
    calls.reset();
  });

  it('writes a quiet minute of 100 UUID queues as one item under 8 KB (≤ 8 write units), read for 2 read units', async () => {
    const ids = Array.from({ length: 100 }, (_, i) => queueIdOf(i));
    const first = await store.queues.loadManyForEvaluation(ids, { shardId: '0000' });
    await store.queues.saveMany(
      first.homes.get(ids[0] as string) as never,
      ids.map((q) => ({ queueId: q, state: quiet(q, at(0)), expectedVersion: undefined })),
    );
    const read = await store.queues.loadManyForEvaluation(ids, { shardId: '0000' });
    calls.reset();

    const { ConsumedCapacity } = await raw.send(
      new GetCommand({
        TableName: tableName,
        Key: { pk: 'QUEUES', sk: '0000' },
        ConsistentRead: true,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    const item = (await shardItem('0000')) as { states: Record<string, string> };
    const bytes =
      Object.entries(item.states).reduce(
        (n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v) + 1,
        3,
      ) +
      'pkQUEUESsk0000versionupdatedAtstates'.length +
      12;
    const { PutItemCommand } = await (async () => {
      const c = countDynamoCalls(dynamo.client);
      await store.queues.saveMany(
        read.homes.get(ids[0] as string) as never,
        ids.map((q) => ({ queueId: q, state: quiet(q, at(1), 11), expectedVersion: 1 })),
      );
      return c.snapshot();
    })();
    console.log(
      `shard of 100 UUID queues: ~${bytes} bytes, ${ConsumedCapacity?.CapacityUnits} read units (strongly consistent)`,
    );
    expect(bytes).toBeLessThan(8 * 1024);
    expect(ConsumedCapacity?.CapacityUnits).toBe(2);
    expect(PutItemCommand).toBe(1);
    expect(Object.keys(item.states)).toHaveLength(100);
  });

  it("moves a queue's own version only when that queue is saved; the shard's on every write", async () => {
    const s0 = await store.queues.loadManyForEvaluation(['q-a', 'q-b'], { shardId: '0000' });
    await store.queues.saveMany(s0.homes.get('q-a') as never, [
      { queueId: 'q-a', state: quiet('q-a', at(0)), expectedVersion: undefined },
      { queueId: 'q-b', state: quiet('q-b', at(0)), expectedVersion: undefined },
    ]);
    for (let m = 1; m <= 3; m++) {
      const s = await store.queues.loadManyForEvaluation(['q-a'], { shardId: '0000' });
      const saved = await store.queues.saveMany(s.homes.get('q-a') as never, [
        { queueId: 'q-a', state: quiet('q-a', at(m)), expectedVersion: s.queues.get('q-a')?.version },
      ]);
      expect(saved).toEqual({ written: new Map([['q-a', m + 1]]), conflicts: [] });
    }

    const listed = await store.queues.list();

    expect(listed.map((s) => [s.queueId, s.version])).toEqual([
      ['q-a', 4],
      ['q-b', 1],
    ]);
    expect((await shardItem('0000'))?.version).toBe(4);
  });

  it('returns a queue whose own version moved as a conflict, and writes the others of its shard', async () => {
    const s0 = await store.queues.loadManyForEvaluation(['q-a', 'q-b'], { shardId: '0000' });
    await store.queues.saveMany(s0.homes.get('q-a') as never, [
      { queueId: 'q-a', state: quiet('q-a', at(0)), expectedVersion: undefined },
      { queueId: 'q-b', state: quiet('q-b', at(0)), expectedVersion: undefined },
    ]);
    const stale = await store.queues.loadManyForEvaluation(['q-a', 'q-b'], { shardId: '0000' });
    // Another evaluation saves q-a first (a redelivered chunk, or a single-queue event).
    await store.queues.save('q-a', quiet('q-a', at(1), 99), 1);

    const saved = await store.queues.saveMany(stale.homes.get('q-a') as never, [
      { queueId: 'q-a', state: quiet('q-a', at(1)), expectedVersion: 1 },
      { queueId: 'q-b', state: quiet('q-b', at(1)), expectedVersion: 1 },
    ]);

    expect(saved).toEqual({ written: new Map([['q-b', 2]]), conflicts: ['q-a'] });
    expect((await store.queues.load('q-a'))?.state).toMatchObject({ lastWaiting: 99 });
    expect((await store.queues.load('q-b'))?.version).toBe(2);
  });

  it('lets concurrent writers of different queues of one shard all land (each re-reads and retries)', async () => {
    const ids = Array.from({ length: 6 }, (_, i) => `q-${i}`);
    const snapshots = await Promise.all(
      ids.map((q) => store.queues.loadManyForEvaluation([q], { shardId: '0000' })),
    );

    const results = await Promise.all(
      ids.map((q, i) =>
        store.queues.saveMany(snapshots[i]?.homes.get(q) as never, [
          { queueId: q, state: quiet(q, at(0)), expectedVersion: undefined },
        ]),
      ),
    );

    expect(results.map((r) => r.conflicts)).toEqual(ids.map(() => []));
    expect((await store.queues.list()).map((s) => s.queueId)).toEqual(ids);
    expect((await shardItem('0000'))?.version).toBe(6);
  });

  it('fails only the queue whose entry is corrupt, naming the shard item and the queue', async () => {
    const s0 = await store.queues.loadManyForEvaluation(['q-a', 'q-b'], { shardId: '0000' });
    await store.queues.saveMany(s0.homes.get('q-a') as never, [
      { queueId: 'q-a', state: quiet('q-a', at(0)), expectedVersion: undefined },
      { queueId: 'q-b', state: quiet('q-b', at(0)), expectedVersion: undefined },
    ]);
    await raw.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { pk: 'QUEUES', sk: '0000' },
        UpdateExpression: 'SET #states.#q = :bad',
        ExpressionAttributeNames: { '#states': 'states', '#q': 'q-b' },
        ExpressionAttributeValues: { ':bad': '1|garbage' },
      }),
    );

    const snapshot = await store.queues.loadManyForEvaluation(['q-a', 'q-b'], { shardId: '0000' });
    const error = await store.queues.load('q-b').catch((e: unknown) => e);
    const listing = await store.queues.listPlacement();

    expect(snapshot.unread).toEqual(['q-b']);
    expect(snapshot.queues.get('q-a')?.version).toBe(1);
    expect(error).toBeInstanceOf(StoredItemError);
    expect(error).toMatchObject({ key: 'QUEUES/0000', field: 'states.q-b' });
    expect(listing.states.map((s) => s.queueId)).toEqual(['q-a']);
    expect(listing.unreadable.map((u) => u.queueId)).toEqual(['q-b']);
    // q-a is still written; the corrupt entry is kept as it is for an operator to look at.
    await store.queues.saveMany(snapshot.homes.get('q-a') as never, [
      { queueId: 'q-a', state: quiet('q-a', at(1)), expectedVersion: 1 },
    ]);
    expect((await shardItem('0000'))?.states['q-b']).toBe('1|garbage');
  });

  it('keeps the copy with the newest observation when two placements raced, and removes the other', async () => {
    // Two evaluations each find the new queue nowhere and place it, in different shards.
    const [in0, in1] = await Promise.all([
      store.queues.loadManyForEvaluation(['q-new'], { shardId: '0000' }),
      store.queues.loadManyForEvaluation(['q-new'], { shardId: '0001' }),
    ]);
    await store.queues.saveMany(in0?.homes.get('q-new') as never, [
      { queueId: 'q-new', state: quiet('q-new', at(1), 1), expectedVersion: undefined },
    ]);
    await store.queues.saveMany(in1?.homes.get('q-new') as never, [
      { queueId: 'q-new', state: quiet('q-new', at(0), 0), expectedVersion: undefined },
    ]);

    const listing = await store.queues.listPlacement();
    expect(listing.homes.get('q-new')).toBe('0000');
    expect(listing.states).toMatchObject([{ queueId: 'q-new', state: { lastWaiting: 1 } }]);
    expect(listing.extraCopies).toEqual([{ queueId: 'q-new', shardId: '0001', version: 1 }]);
    // Every reader applies the same rule.
    expect((await store.queues.load('q-new'))?.state).toMatchObject({ lastWaiting: 1 });
    expect((await store.queues.loadForEvaluation('q-new')).home?.shardId).toBe('0000');

    expect(await store.queues.removeCopies(listing.extraCopies)).toBe(1);
    expect(await store.queues.removeCopies(listing.extraCopies)).toBe(0); // already gone: no-op
    expect((await shardItem('0001'))?.states).toEqual({});
    expect((await store.queues.listPlacement()).extraCopies).toEqual([]);
  });

  it('does not remove a copy that moved on since it was listed', async () => {
    const [in0, in1] = await Promise.all([
      store.queues.loadManyForEvaluation(['q-new'], { shardId: '0000' }),
      store.queues.loadManyForEvaluation(['q-new'], { shardId: '0001' }),
    ]);
    await store.queues.saveMany(in0?.homes.get('q-new') as never, [
      { queueId: 'q-new', state: quiet('q-new', at(1)), expectedVersion: undefined },
    ]);
    await store.queues.saveMany(in1?.homes.get('q-new') as never, [
      { queueId: 'q-new', state: quiet('q-new', at(0)), expectedVersion: undefined },
    ]);
    const listing = await store.queues.listPlacement();
    // The older copy is saved again before the removal (a late redelivery naming its shard).
    const again = await store.queues.loadManyForEvaluation(['q-new'], { shardId: '0001' });
    await store.queues.saveMany(again.homes.get('q-new') as never, [
      { queueId: 'q-new', state: quiet('q-new', at(2)), expectedVersion: again.queues.get('q-new')?.version },
    ]);

    expect(await store.queues.removeCopies(listing.extraCopies)).toBe(0);
    expect((await store.queues.listPlacement()).homes.get('q-new')).toBe('0001');
  });

  it('reads a queue from its item of before shards, moves it into a shard on save, and deletes the old item', async () => {
    await raw.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          pk: 'QUEUE',
          sk: 'q-old',
          state: JSON.stringify(quiet('q-old', at(0))),
          version: 41,
          updatedAt: 1,
        },
      }),
    );

    const before = await store.queues.loadManyForEvaluation(['q-old'], { shardId: '0000' });
    expect(before.queues.get('q-old')).toMatchObject({ version: 41, state: { lastObservedAt: at(0) } });
    expect((await store.queues.list()).map((s) => [s.queueId, s.version])).toEqual([['q-old', 41]]);

    const saved = await store.queues.saveMany(before.homes.get('q-old') as never, [
      { queueId: 'q-old', state: quiet('q-old', at(1)), expectedVersion: 41 },
    ]);

    expect(saved.written.get('q-old')).toBe(42);
    expect((await store.queues.list()).map((s) => [s.queueId, s.version])).toEqual([['q-old', 42]]);
    expect(
      (await raw.send(new GetCommand({ TableName: tableName, Key: { pk: 'QUEUE', sk: 'q-old' } }))).Item,
    ).toBeUndefined();
  });
});
