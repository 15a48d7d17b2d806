import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoOverrideStore, stateTable } from '../../../lambdas/adapters/dynamodb';
import { ConfigError, StoredItemError } from '../../../lambdas/core/errors';
import type { ManualOverride } from '../../../lambdas/core/persistence';
import { type LocalDynamo, startLocalDynamo } from '../../support/local-dynamo';

const maintenance: ManualOverride = {
  queue: '*',
  tier: 2,
  state: 'inactive',
  until: '2026-11-27T12:00:00Z',
  reason: 'capacity gate misbehaving',
  by: 'ops@example.com',
};
const forceOn: ManualOverride = { queue: 'q1', tier: 1, state: 'active', reason: 'flash sale', by: 'lead' };

describe('DynamoOverrideStore (dynalite)', () => {
  let dynamo: LocalDynamo;
  let overrides: DynamoOverrideStore;
  let tableName: string;

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  afterAll(async () => dynamo.stop());
  beforeEach(async () => {
    tableName = await dynamo.createTable();
    overrides = new DynamoOverrideStore(stateTable({ client: dynamo.client, tableName }));
  });

  it('round-trips overrides, sorted by queue then tier', async () => {
    await overrides.put(forceOn);
    await overrides.put(maintenance);

    expect(await overrides.list()).toEqual([maintenance, forceOn]);
  });

  it('replaces the override of the same queue and tier', async () => {
    await overrides.put(forceOn);
    await overrides.put({ ...forceOn, state: 'inactive', reason: 'changed our mind' });

    expect(await overrides.list()).toEqual([{ ...forceOn, state: 'inactive', reason: 'changed our mind' }]);
  });

  it('removes one override and reports whether there was one', async () => {
    await overrides.put(forceOn);
    await overrides.put(maintenance);

    const removed = await overrides.remove('q1', 1);
    const removedAgain = await overrides.remove('q1', 1);

    expect([removed, removedAgain]).toEqual([true, false]);
    expect(await overrides.list()).toEqual([maintenance]);
  });

  it('reports nothing to remove on an empty table', async () => {
    expect(await overrides.remove('q1', 1)).toBe(false);
    expect(await overrides.list()).toEqual([]);
  });

  it('keeps every override when 10 operators put different ones concurrently into an empty table', async () => {
    const puts = Array.from({ length: 10 }, (_, i): ManualOverride => ({ ...forceOn, queue: `q${i}` }));

    await Promise.all(puts.map((o) => overrides.put(o)));

    expect((await overrides.list()).map((o) => o.queue).sort()).toEqual(puts.map((o) => o.queue).sort());
  });

  it.each([
    ['tier 4', { ...forceOn, tier: 4 }, 'override.tier'],
    ['an unknown state', { ...forceOn, state: 'on' }, 'override.state'],
    ['a local-time until', { ...forceOn, until: '2026-11-27 12:00' }, 'override.until'],
    ['no reason', { ...forceOn, reason: '' }, 'override.reason'],
    ['an unknown field', { ...forceOn, note: 'x' }, 'override.note'],
  ])('rejects an override with %s, naming the field, and stores nothing', async (_, input, path) => {
    const error = await overrides.put(input as ManualOverride).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ path });
    expect(await overrides.list()).toEqual([]);
  });

  it('rejects a malformed stored override, naming the entry and field', async () => {
    const raw = DynamoDBDocumentClient.from(dynamo.client);
    await raw.send(
      new PutCommand({
        TableName: tableName,
        Item: { pk: 'OVERRIDES', sk: 'ALL', entries: { 'q1#1': { ...forceOn, tier: 7 } } },
      }),
    );

    await expect(overrides.list()).rejects.toMatchObject({
      constructor: StoredItemError,
      key: 'OVERRIDES/ALL',
      field: 'entries.q1#1.tier',
    });
  });
});
