import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { queueIdOf } from '../../../bench/support/tick';
import { StoredItemError } from '../../../lambdas/core/errors';
import { queueStoreTable, quietState as quiet } from './queue-store-harness';

// Queue states per shard (docs/architecture.md, "Queue states per chunk"): one item holds the states of
// a chunk of ≤ 100 queues, each with its own version; the item is written conditionally on its own.

const clock = { t: Date.parse('2026-11-30T22:00:00Z'), now: () => clock.t };
const at = (minute: number) => new Date(clock.t + minute * 60_000).toISOString();

describe('queue states kept per shard (dynalite)', () => {
  const db = queueStoreTable(clock);
  const shardItem = (shardId: string) => db.shardItem(shardId);
  /** Saves quiet states for `ids` into `shardId`, as a chunk evaluation naming it does. */
  const place = async (shardId: string, ids: readonly string[], minute = 0) => {
    const read = await db.store.queues.loadManyForEvaluation(ids, { shardId });
    await db.store.queues.saveMany(
      read.homes.get(ids[0] as string) as never,
      ids.map((q) => ({
        queueId: q,
        state: quiet(q, at(minute)),
        expectedVersion: read.queues.get(q)?.version,
      })),
    );
  };

  it('writes a quiet minute of 100 UUID queues as one item under 8 KB (≤ 8 write units), read for 2 read units', async () => {
    const ids = Array.from({ length: 100 }, (_, i) => queueIdOf(i));
    const first = await db.store.queues.loadManyForEvaluation(ids, { shardId: '0000' });
    await db.store.queues.saveMany(
      first.homes.get(ids[0] as string) as never,
      ids.map((q) => ({ queueId: q, state: quiet(q, at(0)), expectedVersion: undefined })),
    );
    const read = await db.store.queues.loadManyForEvaluation(ids, { shardId: '0000' });
    db.calls.reset();

    const { ConsumedCapacity } = await db.raw.send(
      new GetCommand({
        TableName: db.tableName,
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
    db.calls.reset();
    await db.store.queues.saveMany(
      read.homes.get(ids[0] as string) as never,
      ids.map((q) => ({ queueId: q, state: quiet(q, at(1), 11), expectedVersion: 1 })),
    );
    const { PutItemCommand } = db.calls.snapshot();
    console.log(
      `shard of 100 UUID queues: ~${bytes} bytes, ${ConsumedCapacity?.CapacityUnits} read units (strongly consistent)`,
    );
    expect(bytes).toBeLessThan(8 * 1024);
    expect(ConsumedCapacity?.CapacityUnits).toBe(2);
    expect(PutItemCommand).toBe(1);
    expect(Object.keys(item.states)).toHaveLength(100);
  });

  it("moves a queue's own version only when that queue is saved; the shard's on every write", async () => {
    const s0 = await db.store.queues.loadManyForEvaluation(['q-a', 'q-b'], { shardId: '0000' });
    await db.store.queues.saveMany(s0.homes.get('q-a') as never, [
      { queueId: 'q-a', state: quiet('q-a', at(0)), expectedVersion: undefined },
      { queueId: 'q-b', state: quiet('q-b', at(0)), expectedVersion: undefined },
    ]);
    for (let m = 1; m <= 3; m++) {
      const s = await db.store.queues.loadManyForEvaluation(['q-a'], { shardId: '0000' });
      const saved = await db.store.queues.saveMany(s.homes.get('q-a') as never, [
        { queueId: 'q-a', state: quiet('q-a', at(m)), expectedVersion: s.queues.get('q-a')?.version },
      ]);
      expect(saved).toEqual({ written: new Map([['q-a', m + 1]]), conflicts: [] });
    }

    const listed = await db.store.queues.list();

    expect(listed.map((s) => [s.queueId, s.version])).toEqual([
      ['q-a', 4],
      ['q-b', 1],
    ]);
    expect((await shardItem('0000'))?.version).toBe(4);
  });

  it('returns a queue whose own version moved as a conflict, and writes the others of its shard', async () => {
    const s0 = await db.store.queues.loadManyForEvaluation(['q-a', 'q-b'], { shardId: '0000' });
    await db.store.queues.saveMany(s0.homes.get('q-a') as never, [
      { queueId: 'q-a', state: quiet('q-a', at(0)), expectedVersion: undefined },
      { queueId: 'q-b', state: quiet('q-b', at(0)), expectedVersion: undefined },
    ]);
    const stale = await db.store.queues.loadManyForEvaluation(['q-a', 'q-b'], { shardId: '0000' });
    // Another evaluation saves q-a first (a redelivered chunk, or a single-queue event).
    await db.store.queues.save('q-a', quiet('q-a', at(1), 99), 1);

    const saved = await db.store.queues.saveMany(stale.homes.get('q-a') as never, [
      { queueId: 'q-a', state: quiet('q-a', at(1)), expectedVersion: 1 },
      { queueId: 'q-b', state: quiet('q-b', at(1)), expectedVersion: 1 },
    ]);

    expect(saved).toEqual({ written: new Map([['q-b', 2]]), conflicts: ['q-a'] });
    expect((await db.store.queues.load('q-a'))?.state).toMatchObject({ lastWaiting: 99 });
    expect((await db.store.queues.load('q-b'))?.version).toBe(2);
  });

  it('lets concurrent writers of different queues of one shard all land (each re-reads and retries)', async () => {
    const ids = Array.from({ length: 6 }, (_, i) => `q-${i}`);
    const snapshots = await Promise.all(
      ids.map((q) => db.store.queues.loadManyForEvaluation([q], { shardId: '0000' })),
    );

    const results = await Promise.all(
      ids.map((q, i) =>
        db.store.queues.saveMany(snapshots[i]?.homes.get(q) as never, [
          { queueId: q, state: quiet(q, at(0)), expectedVersion: undefined },
        ]),
      ),
    );

    expect(results.map((r) => r.conflicts)).toEqual(ids.map(() => []));
    expect((await db.store.queues.list()).map((s) => s.queueId)).toEqual(ids);
    expect((await shardItem('0000'))?.version).toBe(6);
  });

  it('fails only the queue whose entry is corrupt, naming the shard item and the queue', async () => {
    const s0 = await db.store.queues.loadManyForEvaluation(['q-a', 'q-b'], { shardId: '0000' });
    await db.store.queues.saveMany(s0.homes.get('q-a') as never, [
      { queueId: 'q-a', state: quiet('q-a', at(0)), expectedVersion: undefined },
      { queueId: 'q-b', state: quiet('q-b', at(0)), expectedVersion: undefined },
    ]);
    await db.raw.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: { pk: 'QUEUES', sk: '0000' },
        UpdateExpression: 'SET #states.#q = :bad',
        ExpressionAttributeNames: { '#states': 'states', '#q': 'q-b' },
        ExpressionAttributeValues: { ':bad': '1|garbage' },
      }),
    );

    const snapshot = await db.store.queues.loadManyForEvaluation(['q-a', 'q-b'], { shardId: '0000' });
    const error = await db.store.queues.load('q-b').catch((e: unknown) => e);
    const listing = await db.store.queues.listPlacement();

    expect(snapshot.unread).toEqual(['q-b']);
    expect(snapshot.queues.get('q-a')?.version).toBe(1);
    expect(error).toBeInstanceOf(StoredItemError);
    expect(error).toMatchObject({ key: 'QUEUES/0000', field: 'states.q-b' });
    expect(listing.states.map((s) => s.queueId)).toEqual(['q-a']);
    expect(listing.unreadable.map((u) => u.queueId)).toEqual(['q-b']);
    // q-a is still written; the corrupt entry is kept as it is for an operator to look at.
    await db.store.queues.saveMany(snapshot.homes.get('q-a') as never, [
      { queueId: 'q-a', state: quiet('q-a', at(1)), expectedVersion: 1 },
    ]);
    expect((await shardItem('0000'))?.states['q-b']).toBe('1|garbage');
  });

  it('places a new queue once when two placements race: the later one is a conflict, re-read where the first put it', async () => {
    // Two evaluations each find the new queue nowhere and would place it, in different shards.
    const [in0, in1] = await Promise.all([
      db.store.queues.loadManyForEvaluation(['q-new'], { shardId: '0000' }),
      db.store.queues.loadManyForEvaluation(['q-new'], { shardId: '0001' }),
    ]);
    const first = await db.store.queues.saveMany(in0.homes.get('q-new') as never, [
      { queueId: 'q-new', state: quiet('q-new', at(1), 1), expectedVersion: undefined },
    ]);
    const second = await db.store.queues.saveMany(in1.homes.get('q-new') as never, [
      { queueId: 'q-new', state: quiet('q-new', at(0), 0), expectedVersion: undefined },
    ]);

    expect(first).toEqual({ written: new Map([['q-new', 1]]), conflicts: [] });
    expect(second).toEqual({ written: new Map(), conflicts: ['q-new'] });
    // The loser re-reads (its event still names 0001) and finds the queue where the winner put it.
    const again = await db.store.queues.loadManyForEvaluation(['q-new'], { shardId: '0001' });
    expect(again.homes.get('q-new')?.shardId).toBe('0000');
    expect(again.queues.get('q-new')).toMatchObject({ version: 1, state: { lastWaiting: 1 } });
    const listing = await db.store.queues.listPlacement();
    expect(listing.extraCopies).toEqual([]);
    expect(listing.shards.flatMap((s) => s.queueIds)).toEqual(['q-new']);
    expect(await db.pointerOf('q-new')).toBe('0000');
  });

  it('keeps the copy with the newest observation when a queue is in two shards (placed before pointers), and removes the other', async () => {
    await db.plantCopy('0000', 'q-new', quiet('q-new', at(1), 1), 1);
    await db.plantCopy('0001', 'q-new', quiet('q-new', at(0), 0), 1);

    const listing = await db.store.queues.listPlacement();
    expect(listing.homes.get('q-new')).toBe('0000');
    expect(listing.states).toMatchObject([{ queueId: 'q-new', state: { lastWaiting: 1 } }]);
    expect(listing.extraCopies).toEqual([{ queueId: 'q-new', shardId: '0001', version: 1 }]);
    // Every reader applies the same rule (no pointer yet: the single-queue read looks in every shard).
    expect((await db.store.queues.load('q-new'))?.state).toMatchObject({ lastWaiting: 1 });
    expect((await db.store.queues.loadForEvaluation('q-new')).home?.shardId).toBe('0000');

    expect(await db.store.queues.removeCopies(listing.extraCopies)).toBe(1);
    expect(await db.store.queues.removeCopies(listing.extraCopies)).toBe(0); // already gone: no-op
    expect((await shardItem('0001'))?.states).toEqual({});
    expect((await db.store.queues.listPlacement()).extraCopies).toEqual([]);
  });

  it('drops a placement pointer naming a copy it removes, and keeps one naming the copy kept', async () => {
    await db.plantCopy('0000', 'q-x', quiet('q-x', at(1)), 1);
    await db.plantCopy('0001', 'q-x', quiet('q-x', at(0)), 1);
    await db.plantCopy('0000', 'q-y', quiet('q-y', at(0)), 1);
    await db.plantCopy('0001', 'q-y', quiet('q-y', at(1)), 1);
    await db.raw.send(
      new PutCommand({ TableName: db.tableName, Item: { pk: 'QUEUE_HOME', sk: 'q-x', shardId: '0001' } }),
    );
    await db.raw.send(
      new PutCommand({ TableName: db.tableName, Item: { pk: 'QUEUE_HOME', sk: 'q-y', shardId: '0001' } }),
    );

    const listing = await db.store.queues.listPlacement();
    expect(await db.store.queues.removeCopies(listing.extraCopies)).toBe(2);

    expect(await db.pointerOf('q-x')).toBeUndefined(); // named the copy removed: the next read looks everywhere
    expect(await db.pointerOf('q-y')).toBe('0001');
    expect((await db.store.queues.loadForEvaluation('q-x')).home?.shardId).toBe('0000');
  });

  it('does not remove a copy that moved on since it was listed', async () => {
    await db.plantCopy('0000', 'q-new', quiet('q-new', at(1)), 1);
    await db.plantCopy('0001', 'q-new', quiet('q-new', at(0)), 1);
    const listing = await db.store.queues.listPlacement();
    // The older copy is saved again before the removal (a late redelivery naming its shard).
    const again = await db.store.queues.loadManyForEvaluation(['q-new'], { shardId: '0001' });
    await db.store.queues.saveMany(again.homes.get('q-new') as never, [
      { queueId: 'q-new', state: quiet('q-new', at(2)), expectedVersion: again.queues.get('q-new')?.version },
    ]);

    expect(await db.store.queues.removeCopies(listing.extraCopies)).toBe(0);
    expect((await db.store.queues.listPlacement()).homes.get('q-new')).toBe('0001');
  });

  it('reads a queue from its item of before shards, moves it into a shard on save, and deletes the old item', async () => {
    await db.plantLegacy('q-old', quiet('q-old', at(0)), 41);

    const before = await db.store.queues.loadManyForEvaluation(['q-old'], { shardId: '0000' });
    expect(before.queues.get('q-old')).toMatchObject({ version: 41, state: { lastObservedAt: at(0) } });
    expect((await db.store.queues.list()).map((s) => [s.queueId, s.version])).toEqual([['q-old', 41]]);

    const saved = await db.store.queues.saveMany(before.homes.get('q-old') as never, [
      { queueId: 'q-old', state: quiet('q-old', at(1)), expectedVersion: 41 },
    ]);

    expect(saved.written.get('q-old')).toBe(42);
    expect((await db.store.queues.list()).map((s) => [s.queueId, s.version])).toEqual([['q-old', 42]]);
    expect(await db.item('QUEUE', 'q-old')).toBeUndefined();
  });

  describe('placement pointers: a queue read without its shard named (docs/architecture.md)', () => {
    const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => queueIdOf(from + i));

    it('reads a queue through its pointer: the overrides and the pointer in one call, its shard in another, no Query', async () => {
      for (const [i, shardId] of ['0000', '0001', '0002'].entries()) await place(shardId, ids(i * 100, 100));
      const q = queueIdOf(150);
      db.calls.reset();

      const snapshot = await db.store.queues.loadForEvaluation(q);

      expect(db.calls.snapshot()).toEqual({ BatchGetItemCommand: 2 });
      expect(snapshot.home?.shardId).toBe('0001');
      expect(snapshot.queue).toMatchObject({ queueId: q, version: 1, state: { lastObservedAt: at(0) } });
      expect(await db.pointerOf(q)).toBe('0001');
    });

    it('looks in every shard when the pointer is missing (placed before pointers), then points the queue at its shard on save', async () => {
      await place('0000', ['q-a']);
      await db.plantCopy('0001', 'q-old', quiet('q-old', at(0)), 7);
      db.calls.reset();

      const first = await db.store.queues.loadForEvaluation('q-old');
      expect(db.calls.snapshot().QueryCommand).toBe(1);
      expect(first.home?.shardId).toBe('0001');
      expect(first.queue?.version).toBe(7);
      await db.store.queues.saveMany(first.home as never, [
        { queueId: 'q-old', state: quiet('q-old', at(1)), expectedVersion: 7 },
      ]);
      expect(await db.pointerOf('q-old')).toBe('0001');
      db.calls.reset();

      const second = await db.store.queues.loadForEvaluation('q-old');
      expect(db.calls.snapshot()).toEqual({ BatchGetItemCommand: 2 });
      expect(second.queue?.version).toBe(8);
    });

    it.each([
      ['names a shard that does not hold the queue', { shardId: '0005' }],
      ['names a shard with no item', { shardId: '0042' }],
      ['is not a pointer', { shardId: 5 }],
    ])('looks in every shard when the pointer %s, and repairs it on save', async (_, attributes) => {
      await place('0000', ['q-a']);
      await place('0005', ['q-b']);
      await db.raw.send(
        new PutCommand({ TableName: db.tableName, Item: { pk: 'QUEUE_HOME', sk: 'q-a', ...attributes } }),
      );

      const read = await db.store.queues.loadForEvaluation('q-a');
      expect(read.home?.shardId).toBe('0000');
      expect(read.queue?.version).toBe(1);
      await db.store.queues.save('q-a', quiet('q-a', at(1)), 1);

      expect(await db.pointerOf('q-a')).toBe('0000');
      expect((await db.store.queues.listPlacement()).shards.map((s) => [s.shardId, s.queueIds])).toEqual([
        ['0000', ['q-a']],
        ['0005', ['q-b']],
      ]);
    });

    it('places a queue found nowhere where its pointer says (a placement claimed, its shard write not landed)', async () => {
      await db.raw.send(
        new PutCommand({ TableName: db.tableName, Item: { pk: 'QUEUE_HOME', sk: 'q-new', shardId: '0003' } }),
      );

      const read = await db.store.queues.loadManyForEvaluation(['q-new'], { shardId: '0000' });
      expect(read.homes.get('q-new')?.shardId).toBe('0003');
      await db.store.queues.saveMany(read.homes.get('q-new') as never, [
        { queueId: 'q-new', state: quiet('q-new', at(0)), expectedVersion: undefined },
      ]);

      expect((await db.store.queues.listPlacement()).homes.get('q-new')).toBe('0003');
      expect((await db.store.queues.loadForEvaluation('q-new')).queue?.version).toBe(1);
    });

    it('points a queue migrated from its item of before shards at the shard it moved into', async () => {
      await db.plantLegacy('q-old', quiet('q-old', at(0)), 3);

      const read = await db.store.queues.loadForEvaluation('q-old');
      await db.store.queues.saveMany(read.home as never, [
        { queueId: 'q-old', state: quiet('q-old', at(1)), expectedVersion: 3 },
      ]);

      expect(await db.pointerOf('q-old')).toBe('0000');
      expect(await db.item('QUEUE', 'q-old')).toBeUndefined();
      db.calls.reset();
      expect((await db.store.queues.loadForEvaluation('q-old')).queue?.version).toBe(4);
      expect(db.calls.snapshot()).toEqual({ BatchGetItemCommand: 2 });
    });
  });
  describe('places given back (queues removed from the config)', () => {
    const listed = async (queueId: string) => {
      const listing = await db.store.queues.listPlacement();
      const stored = listing.states.find((s) => s.queueId === queueId);
      return {
        queueId,
        shardId: listing.homes.get(queueId) as string,
        version: stored?.version as number,
        state: stored?.state,
      };
    };

    it('gives a place back only if the state is still the one listed, and drops the pointer to it', async () => {
      await place('0000', ['q-a', 'q-b', 'q-c']);
      const [a, b] = [await listed('q-a'), await listed('q-b')];
      // q-b is saved again after the listing (a late event of it): it stays.
      await db.store.queues.save('q-b', quiet('q-b', at(1)), 1);

      expect(await db.store.queues.releasePlaces([a, b])).toEqual(['q-a']);
      expect(await db.store.queues.releasePlaces([a, b])).toEqual([]); // already given back: no-op

      expect(Object.keys((await shardItem('0000'))?.states ?? {}).sort()).toEqual(['q-b', 'q-c']);
      expect(await db.pointerOf('q-a')).toBeUndefined();
      expect(await db.pointerOf('q-b')).toBe('0000');
      // The room is counted again: a new queue goes into it rather than a fresh shard.
      const { shards } = await db.store.queues.listPlacement();
      expect(shards).toEqual([{ shardId: '0000', queueIds: expect.arrayContaining(['q-b', 'q-c']) }]);
    });

    it('does not give back a queue placed again after its place was given back (same version, new state)', async () => {
      await place('0000', ['q-a']);
      const stale = await listed('q-a'); // a second tick listed it before the first gave it back
      expect(await db.store.queues.releasePlaces([stale])).toEqual(['q-a']);
      // A partner-bus event places it again: version 1 again, another state.
      await db.store.queues.save('q-a', quiet('q-a', at(5), 70), undefined);

      expect(await db.store.queues.releasePlaces([stale])).toEqual([]);
      expect((await db.store.queues.load('q-a'))?.state).toMatchObject({ lastWaiting: 70 });
      expect(await db.pointerOf('q-a')).toBe('0000');
    });
  });
});
