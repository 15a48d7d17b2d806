import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoPageOutbox, OutboxPager, stateTable } from '../../../lambdas/adapters/dynamodb';
import { LocalOutboxPager } from '../../../lambdas/adapters/local';
import { ConfigError, StoredItemError } from '../../../lambdas/core/errors';
import type { Page } from '../../../lambdas/core/ports';
import { type LocalDynamo, startLocalDynamo } from '../../support/local-dynamo';

const CLAIM_MS = 60_000;
const trigger: Page = {
  kind: 'actuator-episode',
  dedupKey: 'actuator:tier2-gate:1',
  action: 'trigger',
  severity: 'critical',
  summary: 'Tier 2 capacity gate activated for Sales',
  reason: 'tier-activated',
  at: '2026-11-27T09:03:00Z',
  details: { actuatorId: 'tier2-gate', queues: ['q1'] },
};
const resolve: Page = {
  ...trigger,
  action: 'resolve',
  severity: 'info',
  summary: 'Tier 2 capacity gate restored',
};

describe('page outbox (dynalite)', () => {
  let dynamo: LocalDynamo;
  let raw: DynamoDBDocumentClient;
  let tableName: string;
  let outbox: DynamoPageOutbox;
  let transport: LocalOutboxPager;
  let pager: OutboxPager;
  let malformed: StoredItemError[];
  const clock = { t: 1_700_000_000_000, now: () => clock.t };

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    raw = DynamoDBDocumentClient.from(dynamo.client);
  });
  afterAll(async () => dynamo.stop());
  beforeEach(async () => {
    clock.t = 1_700_000_000_000;
    tableName = await dynamo.createTable();
    malformed = [];
    outbox = new DynamoPageOutbox(stateTable({ client: dynamo.client, tableName, clock }), {
      claimMs: CLAIM_MS,
      onMalformed: (e) => malformed.push(e),
    });
    transport = new LocalOutboxPager();
    pager = new OutboxPager(outbox, transport, clock);
  });

  const delivered = () => transport.delivered.map((r) => `${r.event.dedup_key}/${r.event.event_action}`);

  it('records a page once under 20 concurrent attempts', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => outbox.recordNew(trigger, clock.t)));

    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await outbox.get(trigger.dedupKey, 'trigger')).toMatchObject({ page: trigger, status: 'pending' });
  });

  it('delivers one page for 20 concurrent duplicate triggers', async () => {
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => pager.deliver(trigger)));

    expect(outcomes.filter((o) => o.outcome === 'sent')).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === 'duplicate')).toHaveLength(19);
    expect(delivered()).toEqual(['actuator:tier2-gate:1/trigger']);
    expect(await outbox.get(trigger.dedupKey, 'trigger')).toMatchObject({ status: 'sent', attempts: 0 });
  });

  it('treats trigger and resolve of one dedup key as two pages', async () => {
    await pager.deliver(trigger);
    await pager.deliver(resolve);

    expect(delivered()).toEqual(['actuator:tier2-gate:1/trigger', 'actuator:tier2-gate:1/resolve']);
  });

  it('keeps a page whose delivery failed and delivers it on the next retry, once', async () => {
    transport.failNext(1);

    const first = await pager.deliver(trigger);
    const pendingAfterFailure = await outbox.get(trigger.dedupKey, 'trigger');
    const retried = await pager.retryPending();
    const retriedAgain = await pager.retryPending();

    expect(first).toEqual({ outcome: 'deferred', error: 'Error: local pager: injected delivery failure' });
    expect(pendingAfterFailure).toMatchObject({ status: 'pending', attempts: 1, lastError: first.error });
    expect([retried, retriedAgain]).toEqual([
      { sent: 1, deferred: 0 },
      { sent: 0, deferred: 0 },
    ]);
    expect(delivered()).toEqual(['actuator:tier2-gate:1/trigger']);
  });

  it('leaves a page to its sender until the claim lapses (a sender that died mid-send)', async () => {
    await outbox.recordNew(trigger, clock.t); // recorded and claimed, then the sender crashed

    const beforeLapse = await pager.retryPending();
    clock.t += CLAIM_MS + 1;
    const afterLapse = await pager.retryPending();

    expect(beforeLapse).toEqual({ sent: 0, deferred: 0 });
    expect(afterLapse).toEqual({ sent: 1, deferred: 0 });
    expect(delivered()).toEqual(['actuator:tier2-gate:1/trigger']);
  });

  it('delivers a pending page once when two pollers retry concurrently', async () => {
    await outbox.recordNew(trigger, clock.t);
    clock.t += CLAIM_MS + 1;

    const results = await Promise.all([pager.retryPending(), pager.retryPending(), pager.retryPending()]);

    expect(results.reduce((n, r) => n + r.sent, 0)).toBe(1);
    expect(delivered()).toHaveLength(1);
  });

  it('never delivers a resolve before its trigger', async () => {
    transport.failNext(1);
    await pager.deliver(trigger); // fails: stays pending
    clock.t += 1;

    const resolveOutcome = await pager.deliver(resolve);
    const beforeRetry = delivered();
    clock.t += 1;
    const retried = await pager.retryPending();

    expect(resolveOutcome).toMatchObject({ outcome: 'deferred', error: expect.stringMatching(/trigger/) });
    expect(beforeRetry).toEqual([]);
    expect(retried).toEqual({ sent: 2, deferred: 0 });
    expect(delivered()).toEqual(['actuator:tier2-gate:1/trigger', 'actuator:tier2-gate:1/resolve']);
  });

  it('keeps the resolve back while the trigger keeps failing on retry', async () => {
    transport.failNext(1);
    await pager.deliver(trigger);
    clock.t += 1;
    await pager.deliver(resolve);
    transport.failNext(1);
    clock.t += 1;

    const retried = await pager.retryPending();

    expect(retried).toEqual({ sent: 0, deferred: 2 });
    expect(delivered()).toEqual([]);
  });

  it('expires sent entries by TTL (housekeeping) but never pending ones', async () => {
    await pager.deliver(trigger);
    transport.failNext(1);
    await pager.deliver({ ...trigger, dedupKey: 'stale:q1:1' });

    const get = (sk: string) => raw.send(new GetCommand({ TableName: tableName, Key: { pk: 'PAGE', sk } }));
    const sent = (await get('actuator:tier2-gate:1#trigger')).Item;
    const pending = (await get('stale:q1:1#trigger')).Item;

    expect(sent?.ttl).toBe(Math.floor(clock.t / 1000) + 7 * 24 * 3600);
    expect(pending).toBeDefined();
    expect(pending?.ttl).toBeUndefined();
  });

  it.each([
    ['no dedup key', { ...trigger, dedupKey: '' }, 'page.dedupKey'],
    ['an unknown severity', { ...trigger, severity: 'sev1' }, 'page.severity'],
    ['a dedup key longer than PagerDuty accepts', { ...trigger, dedupKey: 'k'.repeat(256) }, 'page.dedupKey'],
  ])('rejects a page with %s, naming the field, and records nothing', async (_, page, path) => {
    await expect(pager.deliver(page as Page)).rejects.toMatchObject({ constructor: ConfigError, path });
    expect(await outbox.claimPending(clock.t + CLAIM_MS + 1)).toEqual([]);
    expect(transport.delivered).toEqual([]);
  });

  it('rejects a malformed stored entry on read, and skips it (reporting it) when retrying the others', async () => {
    await raw.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          pk: 'PAGE',
          sk: 'bad#trigger',
          page: '{"kind":',
          status: 'pending',
          attempts: 0,
          createdAt: 1,
        },
      }),
    );
    await raw.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          pk: 'PAGE',
          sk: 'bad#resolve',
          page: '{}',
          status: 'pending',
          attempts: 0,
          createdAt: 1,
          claimUntil: 0,
          dueShard: 'PAGE#0',
        },
      }),
    );
    transport.failNext(1);
    await pager.deliver(trigger);

    const readError = await outbox.get('bad', 'trigger').catch((e: unknown) => e);
    const retried = await pager.retryPending();

    expect(readError).toMatchObject({ constructor: StoredItemError, key: 'PAGE/bad#trigger', field: 'page' });
    expect(retried).toEqual({ sent: 1, deferred: 0 });
    expect(malformed.map((e) => [e.key, e.field])).toEqual([['PAGE/bad#resolve', 'page.kind']]);
  });
});
