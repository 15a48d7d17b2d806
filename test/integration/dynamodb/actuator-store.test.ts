import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoActuatorStore, stateTable } from '../../../lambdas/adapters/dynamodb';
import { LeaseHeldError, StaleFencingTokenError, StoredItemError } from '../../../lambdas/core/errors';
import { closeEpisode, EDGE_DEMANDER, openEpisode } from '../../../lambdas/core/persistence';
import { countDynamoCalls, type LocalDynamo, startLocalDynamo } from '../../support/local-dynamo';

const T0 = 1_700_000_000_000;
const LEASE_MS = 10_000;

describe('DynamoActuatorStore (dynalite)', () => {
  let dynamo: LocalDynamo;
  let actuators: DynamoActuatorStore;
  let tableName: string;
  let raw: DynamoDBDocumentClient;
  let calls: ReturnType<typeof countDynamoCalls>;

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    raw = DynamoDBDocumentClient.from(dynamo.client);
    calls = countDynamoCalls(dynamo.client);
  });
  afterAll(async () => dynamo.stop());
  beforeEach(async () => {
    tableName = await dynamo.createTable();
    actuators = new DynamoActuatorStore(stateTable({ client: dynamo.client, tableName }));
  });

  describe('demand', () => {
    it('is desired while at least one demander wants it', async () => {
      const first = await actuators.setDemand('a1', 'q1', true, T0);
      const both = await actuators.setDemand('a1', EDGE_DEMANDER, true, T0 + 1);
      const one = await actuators.setDemand('a1', 'q1', false, T0 + 2);
      const none = await actuators.setDemand('a1', EDGE_DEMANDER, false, T0 + 3);

      expect([first, both, one, none].map((r) => [r.desired, r.demandedBy])).toEqual([
        ['active', ['q1']],
        ['active', ['edge', 'q1']],
        ['active', ['edge']],
        ['inactive', []],
      ]);
      expect(none).toMatchObject({ applied: 'unknown', fencingToken: 0, updatedAt: T0 + 3 });
    });

    it('is idempotent: demanding twice or withdrawing an absent demand changes nothing', async () => {
      await actuators.setDemand('a1', 'q1', true, T0);
      await actuators.setDemand('a1', 'q1', true, T0);
      const record = await actuators.setDemand('a1', 'q2', false, T0);

      expect(record.demandedBy).toEqual(['q1']);
    });

    it('loses no demand when 20 queues demand concurrently, then 10 withdraw while 10 others join', async () => {
      const queues = Array.from({ length: 20 }, (_, i) => `q${String(i).padStart(2, '0')}`);
      await Promise.all(queues.map((q) => actuators.setDemand('a1', q, true, T0)));
      const afterJoin = await actuators.get('a1');

      const leaving = queues.slice(0, 10);
      const joining = Array.from({ length: 10 }, (_, i) => `r${i}`);
      await Promise.all([
        ...leaving.map((q) => actuators.setDemand('a1', q, false, T0 + 1)),
        ...joining.map((q) => actuators.setDemand('a1', q, true, T0 + 1)),
      ]);

      expect(afterJoin?.demandedBy).toEqual(queues);
      expect((await actuators.get('a1'))?.demandedBy).toEqual([...queues.slice(10), ...joining].sort());
    });

    it.each([
      ['an empty actuator id', () => actuators.setDemand('', 'q1', true, T0), /actuatorId/],
      ['an empty demander', () => actuators.setDemand('a1', '', true, T0), /demander/],
    ])('rejects %s naming the field and writes nothing', async (_, act, message) => {
      await expect(act()).rejects.toThrow(message);
      expect(await actuators.list()).toEqual([]);
    });
  });

  describe('lease', () => {
    it('gives exactly one of 20 concurrent acquirers the lease, with token 1', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => actuators.acquireLease('a1', `worker-${i}`, T0, LEASE_MS)),
      );

      const granted = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      expect(granted).toHaveLength(1);
      expect(granted[0]).toMatchObject({ token: 1, expiresAt: T0 + LEASE_MS });
      expect(refused).toHaveLength(19);
      expect(refused.every((e) => e instanceof LeaseHeldError)).toBe(true);
      expect((await actuators.get('a1'))?.lease).toEqual({
        owner: granted[0]?.owner,
        expiresAt: T0 + LEASE_MS,
      });
    });

    it.each([
      { when: '1 ms before expiry', after: LEASE_MS - 1, acquirable: false },
      { when: 'at the expiry instant', after: LEASE_MS, acquirable: false },
      { when: '1 ms after expiry', after: LEASE_MS + 1, acquirable: true },
    ])('$when, a new holder gets the lease: $acquirable', async ({ after, acquirable }) => {
      await actuators.acquireLease('a1', 'A', T0, LEASE_MS);

      const attempt = actuators.acquireLease('a1', 'B', T0 + after, LEASE_MS);

      if (acquirable) await expect(attempt).resolves.toMatchObject({ owner: 'B', token: 2 });
      else await expect(attempt).rejects.toBeInstanceOf(LeaseHeldError);
    });

    it('returns the actuator as of acquisition with the lease', async () => {
      await actuators.setDemand('a1', 'q1', true, T0);

      const lease = await actuators.acquireLease('a1', 'A', T0, LEASE_MS);

      expect(lease.record).toMatchObject({ desired: 'active', applied: 'unknown', fencingToken: 1 });
    });

    it('is free again right after release, and the fencing token keeps counting up', async () => {
      const first = await actuators.acquireLease('a1', 'A', T0, LEASE_MS);

      const released = await actuators.releaseLease(first);
      const second = await actuators.acquireLease('a1', 'B', T0 + 1, LEASE_MS);

      expect(released).toBe(true);
      expect(second.token).toBe(2);
    });

    it('does not let a superseded holder release the new holder’s lease', async () => {
      const stale = await actuators.acquireLease('a1', 'A', T0, LEASE_MS);
      await actuators.acquireLease('a1', 'B', T0 + LEASE_MS + 1, LEASE_MS);

      expect(await actuators.releaseLease(stale)).toBe(false);
      expect((await actuators.get('a1'))?.lease?.owner).toBe('B');
    });

    it.each([0, -5, 1.5])('rejects leaseMs %s', async (leaseMs) => {
      await expect(actuators.acquireLease('a1', 'A', T0, leaseMs)).rejects.toThrow(/leaseMs/);
      expect(await actuators.get('a1')).toBeUndefined();
    });
  });

  describe('recordApplied', () => {
    it('records the verified state and episode, clears failures and releases the lease in one call', async () => {
      await actuators.setDemand('a1', 'q1', true, T0);
      const lease = await actuators.acquireLease('a1', 'A', T0, LEASE_MS);
      const episode = openEpisode(lease.record, T0 + 5);
      calls.reset();

      const record = await actuators.recordApplied('a1', 'active', lease, T0 + 5, { episode });

      expect(calls.total()).toBe(1);
      expect(record).toMatchObject({ applied: 'active', desired: 'active', consecutiveFailures: 0, episode });
      expect(record.lease).toBeUndefined();
      expect(episode).toEqual({ number: 1, dedupKey: 'actuator:a1:1', openedAt: T0 + 5 });
    });

    it('keeps the lease when asked to', async () => {
      const lease = await actuators.acquireLease('a1', 'A', T0, LEASE_MS);

      const record = await actuators.recordApplied('a1', 'inactive', lease, T0 + 1, { release: false });

      expect(record.lease).toEqual({ owner: 'A', expiresAt: T0 + LEASE_MS });
    });

    it('refuses a stale holder whose lease expired and was taken over, keeping the new holder’s state', async () => {
      const stale = await actuators.acquireLease('a1', 'A', T0, LEASE_MS);
      const current = await actuators.acquireLease('a1', 'B', T0 + LEASE_MS + 1, LEASE_MS);
      await actuators.recordApplied('a1', 'inactive', current, T0 + LEASE_MS + 2, { release: false });

      const attempt = actuators.recordApplied('a1', 'active', stale, T0 + LEASE_MS + 3);

      await expect(attempt).rejects.toBeInstanceOf(StaleFencingTokenError);
      await expect(attempt).rejects.toThrow(/fencing token 1 .*superseded by token 2/);
      expect(await actuators.get('a1')).toMatchObject({ applied: 'inactive', fencingToken: 2 });
    });

    it('refuses a holder whose lease expired even though nobody took it over yet', async () => {
      const lease = await actuators.acquireLease('a1', 'A', T0, LEASE_MS);

      const attempt = actuators.recordApplied('a1', 'active', lease, T0 + LEASE_MS);

      await expect(attempt).rejects.toThrow(/lease expired at/);
      expect((await actuators.get('a1'))?.applied).toBe('unknown');
    });

    it('refuses a holder that already released its lease', async () => {
      const lease = await actuators.acquireLease('a1', 'A', T0, LEASE_MS);
      await actuators.releaseLease(lease);

      await expect(actuators.recordApplied('a1', 'active', lease, T0 + 1)).rejects.toThrow(/released/);
    });

    it('rejects an applied value other than active or inactive', async () => {
      const lease = await actuators.acquireLease('a1', 'A', T0, LEASE_MS);
      // @ts-expect-error: 'unknown' is recorded by recordFailure, never claimed as verified
      await expect(actuators.recordApplied('a1', 'unknown', lease, T0 + 1)).rejects.toThrow(/applied/);
    });
  });

  describe('recordFailure', () => {
    it('marks the target unknown, counts consecutive failures and keeps the last error', async () => {
      const first = await actuators.acquireLease('a1', 'A', T0, LEASE_MS);
      await actuators.recordFailure('a1', { message: 'HTTP 503', at: T0 + 1 }, first);
      const second = await actuators.acquireLease('a1', 'A', T0 + 2, LEASE_MS);

      const record = await actuators.recordFailure('a1', { message: 'timeout', at: T0 + 3 }, second);

      expect(record).toMatchObject({
        applied: 'unknown',
        consecutiveFailures: 2,
        lastError: { message: 'timeout', at: T0 + 3 },
      });
      expect(record.lease).toBeUndefined();
    });

    it('is reset by the next successful recordApplied', async () => {
      const failed = await actuators.acquireLease('a1', 'A', T0, LEASE_MS);
      await actuators.recordFailure('a1', { message: 'HTTP 503', at: T0 + 1 }, failed);
      const retry = await actuators.acquireLease('a1', 'A', T0 + 2, LEASE_MS);

      const record = await actuators.recordApplied('a1', 'active', retry, T0 + 3);

      expect(record).toMatchObject({ applied: 'active', consecutiveFailures: 0 });
      expect(record.lastError).toBeUndefined();
    });

    it('refuses a superseded holder’s failure report', async () => {
      const stale = await actuators.acquireLease('a1', 'A', T0, LEASE_MS);
      const current = await actuators.acquireLease('a1', 'B', T0 + LEASE_MS + 1, LEASE_MS);
      await actuators.recordApplied('a1', 'active', current, T0 + LEASE_MS + 2);

      await expect(
        actuators.recordFailure('a1', { message: 'late', at: T0 + LEASE_MS + 3 }, stale),
      ).rejects.toThrow(StaleFencingTokenError);
      expect(await actuators.get('a1')).toMatchObject({ applied: 'active', consecutiveFailures: 0 });
    });
  });

  describe('paging episodes', () => {
    it('gives a holder that crashed before recording the same dedup key on the next tick', async () => {
      await actuators.setDemand('a1', 'q1', true, T0);
      const crashed = await actuators.acquireLease('a1', 'A', T0, LEASE_MS);
      const crashedEpisode = openEpisode(crashed.record, T0 + 1); // switched, paged, then died

      const next = await actuators.acquireLease('a1', 'B', T0 + LEASE_MS + 1, LEASE_MS);
      const nextEpisode = openEpisode(next.record, T0 + LEASE_MS + 2);

      expect(nextEpisode.dedupKey).toBe(crashedEpisode.dedupKey);
    });

    it('opens a new episode after the previous one was closed, and resolves with the same key', async () => {
      const on = await actuators.acquireLease('a1', 'A', T0, LEASE_MS);
      const opened = openEpisode(on.record, T0);
      await actuators.recordApplied('a1', 'active', on, T0 + 1, { episode: opened });
      const off = await actuators.acquireLease('a1', 'A', T0 + 2, LEASE_MS);
      const closed = closeEpisode(off.record, T0 + 2);
      await actuators.recordApplied('a1', 'inactive', off, T0 + 3, { episode: closed });
      const again = await actuators.acquireLease('a1', 'A', T0 + 4, LEASE_MS);

      expect(closed).toEqual({ ...opened, closedAt: T0 + 2 });
      expect(openEpisode(again.record, T0 + 4).dedupKey).toBe('actuator:a1:2');
    });
  });

  it('lists every actuator in one call', async () => {
    await Promise.all(['a1', 'a2', 'a3'].map((a) => actuators.setDemand(a, 'q1', a !== 'a2', T0)));
    calls.reset();

    const listed = await actuators.list();

    expect(calls.total()).toBe(1);
    expect(listed.map((r) => [r.actuatorId, r.desired])).toEqual([
      ['a1', 'active'],
      ['a2', 'inactive'],
      ['a3', 'active'],
    ]);
  });

  it.each([
    ['an unknown applied state', { applied: 'maybe', updatedAt: 1 }, 'applied'],
    ['a demand list instead of a string set', { demandedBy: ['q1'], updatedAt: 1 }, 'demandedBy'],
    ['a fencing token stored as text', { fencingToken: '7', updatedAt: 1 }, 'fencingToken'],
    [
      'an episode without a dedup key',
      { episode: { number: 1, openedAt: 1 }, updatedAt: 1 },
      'episode.dedupKey',
    ],
  ])('rejects a stored item with %s, naming the item and attribute', async (_, attributes, field) => {
    await raw.send(
      new PutCommand({ TableName: tableName, Item: { pk: 'ACTUATOR', sk: 'bad', ...attributes } }),
    );

    await expect(actuators.get('bad')).rejects.toMatchObject({
      constructor: StoredItemError,
      key: 'ACTUATOR/bad',
      field,
    });
  });
});
