import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { StateConflictError, StoredItemError } from '../../../lambdas/core/errors';
import { queueStoreTable } from './queue-store-harness';

describe('DynamoQueueStateStore (dynalite)', () => {
  const clock = { t: 1_700_000_000_000, now: () => clock.t };
  const db = queueStoreTable(clock);

  it('creates a queue state at version 1 and loads it back unchanged', async () => {
    const state = { lastObservedAt: '2026-11-27T09:00:00Z', tiers: { tier1: { streak: 3, active: false } } };

    const version = await db.store.queues.save('q1', state, undefined);
    const loaded = await db.store.queues.load('q1');

    expect(version).toBe(1);
    expect(loaded).toEqual({ queueId: 'q1', state, version: 1, updatedAt: clock.t });
  });

  it('increments the version by one on every save that names the current version', async () => {
    await db.store.queues.save('q1', { n: 1 }, undefined);
    const v2 = await db.store.queues.save('q1', { n: 2 }, 1);
    const v3 = await db.store.queues.save('q1', { n: 3 }, 2);

    expect([v2, v3]).toEqual([2, 3]);
    expect((await db.store.queues.load('q1'))?.state).toEqual({ n: 3 });
  });

  it('rejects a save on a version that moved with StateConflictError and keeps the newer state', async () => {
    await db.store.queues.save('q1', { by: 'A' }, undefined);
    await db.store.queues.save('q1', { by: 'B' }, 1);

    await expect(db.store.queues.save('q1', { by: 'stale A' }, 1)).rejects.toBeInstanceOf(StateConflictError);
    expect(await db.store.queues.load('q1')).toMatchObject({ state: { by: 'B' }, version: 2 });
  });

  it('rejects a second create of the same queue', async () => {
    await db.store.queues.save('q1', { by: 'A' }, undefined);

    await expect(db.store.queues.save('q1', { by: 'B' }, undefined)).rejects.toThrow(/expected no state/);
    expect((await db.store.queues.load('q1'))?.state).toEqual({ by: 'A' });
  });

  it('lets exactly one of 20 concurrent saves on the same version win', async () => {
    await db.store.queues.save('q1', { writer: -1 }, undefined);

    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, writer) => db.store.queues.save('q1', { writer }, 1)),
    );

    const winners = results.flatMap((r, writer) => (r.status === 'fulfilled' ? [writer] : []));
    const losers = results.filter((r) => r.status === 'rejected');
    expect(winners).toHaveLength(1);
    expect(losers.every((r) => r.status === 'rejected' && r.reason instanceof StateConflictError)).toBe(true);
    expect(await db.store.queues.load('q1')).toMatchObject({ state: { writer: winners[0] }, version: 2 });
  });

  it("reads the states of a shard's queues and every override in one call", async () => {
    await db.store.queues.save('q1', { n: 1 }, undefined);
    await db.store.overrides.put({
      queue: '*',
      tier: 2,
      state: 'inactive',
      reason: 'maintenance',
      by: 'ops',
    });
    db.calls.reset();

    const snapshot = await db.store.queues.loadManyForEvaluation(['q1'], { shardId: '0000' });

    expect(db.calls.total()).toBe(1);
    expect(snapshot.queues.get('q1')).toMatchObject({ queueId: 'q1', state: { n: 1 }, version: 1 });
    expect(snapshot.overrides).toEqual([
      { queue: '*', tier: 2, state: 'inactive', reason: 'maintenance', by: 'ops' },
    ]);
  });

  it('reads an unknown queue as no state and no overrides', async () => {
    expect(await db.store.queues.loadForEvaluation('never-seen')).toMatchObject({
      queue: undefined,
      overrides: [],
    });
    expect(await db.store.queues.load('never-seen')).toBeUndefined();
  });

  it('lists every queue state', async () => {
    await Promise.all(['q1', 'q2', 'q3'].map((q, i) => db.store.queues.save(q, { i }, undefined)));

    const listed = await db.store.queues.list();

    expect(listed.map((s) => [s.queueId, s.state])).toEqual([
      ['q1', { i: 0 }],
      ['q2', { i: 1 }],
      ['q3', { i: 2 }],
    ]);
  });

  it.each([
    ['an empty queue id', () => db.store.queues.save('', {}, undefined), /queueId/],
    ['version 0', () => db.store.queues.save('q1', {}, 0), /expectedVersion/],
    ['a fractional version', () => db.store.queues.save('q1', {}, 1.5), /expectedVersion/],
    ['an unserialisable state', () => db.store.queues.save('q1', undefined, undefined), /state/],
  ])('rejects %s naming the field and writes nothing', async (_, act, message) => {
    await expect(act()).rejects.toThrow(message);
    expect(await db.store.queues.list()).toEqual([]);
  });

  it.each([
    ['a non-numeric version', { state: '{}', version: 'one', updatedAt: 1 }, 'version'],
    ['state that is not JSON', { state: '{oops', version: 1, updatedAt: 1 }, 'state'],
    ['a missing updatedAt', { state: '{}', version: 1 }, 'updatedAt'],
  ])('rejects a stored item with %s, naming the item and attribute', async (_, attributes, field) => {
    await db.raw.send(
      new PutCommand({ TableName: db.tableName, Item: { pk: 'QUEUE', sk: 'bad', ...attributes } }),
    );

    const error = await db.store.queues.load('bad').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StoredItemError);
    expect(error).toMatchObject({ key: 'QUEUE/bad', field });
    expect((error as Error).message).toContain(`QUEUE/bad: ${field}`);
  });
});
