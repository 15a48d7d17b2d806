// The CRM lookup end to end against the two stand-ins (their own OAuth, schemas and faults) and the cache
// on dynalite. Time is simulated: latencies, timeouts and backoff waits advance the clock, never the wall.
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seedCustomerId, seedCustomers } from '../../../drill/crm/customers';
import { type CrmStandIns, startCrmStandIns } from '../../../drill/crm/stand-ins';
import { InMemoryCrmBreakers } from '../../../lambdas/adapters/crm';
import { crmLookup } from '../../../lambdas/app/crm-lookup';

let crm: CrmStandIns;
let next = 100;
/** A customer no earlier test has looked up (so the cache starts empty for it). */
const freshCustomer = (): string => seedCustomerId(next++);

beforeAll(async () => {
  crm = await startCrmStandIns();
});
afterAll(() => crm.close());
afterEach(() => {
  crm.primary.faults.clear();
  crm.secondary.faults.clear();
});

function lookupWith(overrides: Record<string, unknown> = {}) {
  const config = crm.config(overrides);
  const breakers = new InMemoryCrmBreakers(config);
  const adapter = crm.adapter({ config, breakers });
  return {
    breakers,
    adapter,
    lookup: (customerId: string) => crmLookup(adapter.deps, { customerId }),
  };
}

const searchesOf = (which: 'primary' | 'secondary') => crm[which].searches();
const tokenCallsOf = (which: 'primary' | 'secondary') =>
  crm[which].requests().filter((r) => r.path === '/oauth/token').length;

describe('crm lookup: primary answers', () => {
  it('2xx: live record with order history, editable, no banner, written through to the cache', async () => {
    const { lookup } = lookupWith();
    const id = seedCustomerId(7); // C0007 has 3 orders
    const secondaryBefore = searchesOf('secondary');

    const r = await lookup(id);

    expect(r.answer).toMatchObject({
      found: true,
      source: 'primary',
      readOnly: false,
      banner: '',
      dataAgeSeconds: 0,
    });
    expect(r.answer.customer).toMatchObject({
      customerId: id,
      tier: 'silver',
      email: expect.stringContaining('@'),
    });
    expect(r.answer.orderHistory).toHaveLength(3);
    expect(r.calls).toEqual({ primary: 1, secondary: 0 });
    expect(searchesOf('secondary')).toBe(secondaryBefore);
    const doc = DynamoDBDocumentClient.from(crm.dynamo.client);
    const { Item } = await doc.send(
      new GetCommand({ TableName: crm.tableName, Key: { pk: `CRM_CACHE#id:${id}`, sk: 'CUSTOMER' } }),
    );
    expect(Item).toMatchObject({
      source: 'primary',
      customer: { customerId: id },
      fetchedAt: crm.clock.now(),
    });
    expect(Item?.ttl).toBe(Math.floor(crm.clock.now() / 1000) + 7 * 24 * 3600);
    expect(Item?.customer).not.toHaveProperty('orderHistory');
  });

  it('404: found false, authoritative: no cache, no secondary', async () => {
    const { lookup } = lookupWith();
    const before = searchesOf('secondary');

    const r = await lookup('C9999');

    expect(r.answer).toMatchObject({ found: false, customer: null, source: 'primary', readOnly: false });
    expect(r.path).toBe('primary');
    expect(searchesOf('secondary')).toBe(before);
    expect(r.trace.map((t) => t.what)).not.toContainEqual(expect.stringMatching(/^cache/));
  });

  it('401: refreshes the token once and retries the primary once (counted as a retry)', async () => {
    const { lookup } = lookupWith();
    await lookup(freshCustomer()); // a token is cached
    const tokensBefore = tokenCallsOf('primary');
    crm.primary.faults.next({ kind: '401' });

    const r = await lookup(freshCustomer());

    expect(r.answer.source).toBe('primary');
    expect(r.retries).toBe(1);
    expect(r.calls.primary).toBe(2);
    expect(tokenCallsOf('primary')).toBe(tokensBefore + 1);
    expect(crm.primary.staleTokenRequests()).toBe(0);
  });

  it('401 again after the refresh: falls back, never re-sends the rejected token', async () => {
    const { lookup } = lookupWith();
    crm.primary.faults.next({ kind: '401' }, 2);

    const r = await lookup(freshCustomer());

    expect(r.answer.source).toBe('secondary');
    expect(r.path).toBe('fallback');
    expect(r.calls.primary).toBe(2);
    expect(crm.primary.staleTokenRequests()).toBe(0);
  });

  it.each([403, 400, 422])(
    '%i: an error answer, no fallback, and the client error is reported',
    async (status) => {
      const reported: number[] = [];
      const config = crm.config();
      const adapter = crm.adapter({
        config,
        breakers: new InMemoryCrmBreakers(config),
        incidents: { clientError: async (s) => void reported.push(s) },
      });
      crm.primary.faults.next({ kind: 'status', status });
      const before = searchesOf('secondary');

      const r = await crmLookup(adapter.deps, { customerId: freshCustomer() });

      expect(r.answer).toMatchObject({ found: false, source: 'none', errorStatus: status });
      expect(r.answer.banner).toContain(`HTTP ${status}`);
      expect(r.path).toBe('client-error');
      expect(searchesOf('secondary')).toBe(before);
      expect(reported).toEqual([status]);
    },
  );
});

describe('crm lookup: by phone', () => {
  it('finds the customer by phone on the primary and, in an outage, in the cache under the phone key', async () => {
    const { adapter } = lookupWith();
    const phone = seedCustomers().find((c) => c.id === seedCustomerId(150))?.phone ?? '';

    const live = await crmLookup(adapter.deps, { phone });
    crm.primary.faults.next({ kind: '5xx' });
    const cached = await crmLookup(adapter.deps, { phone });

    expect(live.answer).toMatchObject({
      source: 'primary',
      customer: { customerId: seedCustomerId(150), phone },
    });
    expect(cached.answer).toMatchObject({ source: 'cache', customer: { customerId: seedCustomerId(150) } });
  });
});

describe('crm lookup: fallback', () => {
  it('5xx: cache miss, then the secondary in fallback mode, mapped through its field map, read-only', async () => {
    const { lookup } = lookupWith();
    const id = seedCustomerId(31);
    const seeded = seedCustomers().find((c) => c.id === id);
    crm.primary.faults.next({ kind: '5xx' });

    const r = await lookup(id);

    expect(r.answer).toMatchObject({
      found: true,
      source: 'secondary',
      readOnly: true,
      banner: 'Data Source: Secondary (read-only replica, no order history)',
      orderHistory: [],
    });
    // acct_id → customerId, display_name → fullName, segment → tier … (the replica's own names)
    expect(r.answer.customer).toEqual({
      customerId: id,
      fullName: expect.any(String),
      email: expect.stringContaining('@example.com'),
      phone: expect.stringMatching(/^\+1555/),
      tier: seeded?.tier.toUpperCase(),
      accountStatus: 'active',
      preferredLanguage: expect.any(String),
    });
    const search = crm.secondary
      .requests()
      .filter((q) => q.path === '/v1/customers/search')
      .at(-1);
    expect(search?.body).toEqual({
      acct_id: id,
      fallback_mode: true,
      include_order_history: false,
      priority: 'LOW',
    });
  });

  it('a 200 whose body does not match is a failure (fallback), not a crash', async () => {
    const { lookup } = lookupWith();
    crm.primary.faults.next({ kind: 'bad-body' });

    const r = await lookup(freshCustomer());

    expect(r.answer.source).toBe('secondary');
    expect(r.trace.map((t) => t.what)).toContainEqual(expect.stringContaining('body that does not match'));
  });

  it('timeout: the primary call is cut at its timeout and the secondary answers within the budget', async () => {
    const { lookup } = lookupWith();
    crm.primary.faults.next({ kind: 'timeout' });

    const r = await lookup(freshCustomer());

    expect(r.answer.source).toBe('secondary');
    expect(r.trace[0]).toMatchObject({ atMs: 1500, what: 'primary: timed out' });
    expect(r.elapsedMs).toBeLessThanOrEqual(3000);
  });

  it('network error (connection reset): falls back', async () => {
    const { lookup } = lookupWith();
    crm.primary.faults.next({ kind: 'down' });

    const r = await lookup(freshCustomer());

    expect(r.answer.source).toBe('secondary');
    expect(r.trace[0]?.what).toMatch(/^primary: network error/);
  });

  it('a fresh cached record answers at once: no secondary call', async () => {
    const { lookup } = lookupWith();
    const id = freshCustomer();
    await lookup(id);
    crm.clock.advance(120_000);
    crm.primary.faults.next({ kind: '5xx' });
    const before = searchesOf('secondary');

    const r = await lookup(id);

    expect(r.answer).toMatchObject({
      found: true,
      source: 'cache',
      readOnly: true,
      dataAgeSeconds: 120,
      banner: 'Data Source: Primary (Cached 2 min ago)',
      orderHistory: [],
    });
    expect(searchesOf('secondary')).toBe(before);
  });

  it('a stale cached record does not answer while the secondary can', async () => {
    const { lookup } = lookupWith();
    const id = freshCustomer();
    await lookup(id);
    crm.clock.advance(301_000);
    crm.primary.faults.next({ kind: '5xx' });

    const r = await lookup(id);

    expect(r.answer.source).toBe('secondary');
  });

  it('secondary down too: the cached record of any age, flagged with its age', async () => {
    const { lookup } = lookupWith();
    const id = freshCustomer();
    await lookup(id);
    crm.clock.advance(3 * 3600_000);
    crm.primary.faults.next({ kind: '5xx' });
    crm.secondary.faults.next({ kind: '5xx' }, 5);

    const r = await lookup(id);

    expect(r.answer).toMatchObject({
      found: true,
      source: 'cache',
      readOnly: true,
      dataAgeSeconds: 3 * 3600,
      banner: 'Data Source: Primary (Cached 3 h ago, may be outdated)',
    });
    expect(r.retries).toBe(2);
    expect(r.calls.secondary).toBe(3);
  });

  it('secondary down too and nothing cached: source none, never an exception', async () => {
    const { lookup } = lookupWith();
    crm.primary.faults.next({ kind: '5xx' });
    crm.secondary.faults.next({ kind: 'down' }, 5);

    const r = await lookup(freshCustomer());

    expect(r.answer).toMatchObject({ found: false, customer: null, source: 'none', readOnly: true });
    expect(r.answer.banner).toMatch(/search manually/);
  });
});

describe('crm lookup: tokens, retries and the budget', () => {
  it('a secondary token that expires between the primary call and the fallback is refreshed first', async () => {
    // No refresh margin: the token is still valid when the lookup starts, and only the re-check before
    // the secondary (after the primary's 1,500 ms timeout) can notice it has expired by then.
    const { lookup } = lookupWith({ tokenRefreshMarginSeconds: 0 });
    crm.primary.faults.next({ kind: '5xx' });
    await lookup(freshCustomer()); // the secondary's token (120 s) is now cached
    const issuedAt =
      crm.secondary
        .requests()
        .filter((q) => q.path === '/oauth/token')
        .at(-1)?.at ?? 0;
    const secondaryTokens = tokenCallsOf('secondary');
    crm.clock.advance(issuedAt + 120_000 - 1_200 - crm.clock.now()); // 1.2 s of validity left
    crm.primary.faults.next({ kind: 'timeout' });

    const r = await lookup(freshCustomer());

    expect(r.answer.source).toBe('secondary');
    expect(tokenCallsOf('secondary')).toBe(secondaryTokens + 1);
    expect(crm.secondary.staleTokenRequests()).toBe(0);
    expect(crm.primary.staleTokenRequests()).toBe(0);
  });

  it('at most 2 retries per lookup in all, waits doubling (100 ms, 200 ms) and counted in the budget', async () => {
    const { lookup } = lookupWith();
    crm.primary.faults.next({ kind: '5xx' });
    crm.secondary.faults.next({ kind: '5xx' }, 10);
    const before = searchesOf('secondary');

    const r = await lookup(freshCustomer());

    expect(r.retries).toBe(2);
    expect(searchesOf('secondary') - before).toBe(3);
    const waits = r.trace.filter((t) => t.what.startsWith('waited')).map((t) => t.what);
    expect(waits).toEqual(['waited 100 ms', 'waited 200 ms']);
  });

  it('the 401 retry counts: after it, the secondary gets one retry, not two', async () => {
    const { lookup } = lookupWith();
    crm.primary.faults.next({ kind: '401' }, 2);
    crm.secondary.faults.next({ kind: '5xx' }, 10);
    const before = searchesOf('secondary');

    const r = await lookup(freshCustomer());

    expect(r.retries).toBe(2);
    expect(searchesOf('secondary') - before).toBe(2);
    expect(r.trace.filter((t) => t.what.startsWith('waited')).map((t) => t.what)).toEqual(['waited 200 ms']);
  });

  it('budget exhaustion: slow endpoints everywhere, still answered by the budget (3,000 ms)', async () => {
    const { lookup } = lookupWith();
    const id = freshCustomer();
    await lookup(id);
    crm.clock.advance(600_000);
    crm.primary.faults.next({ kind: 'slow', latencyMs: 2900 }, 3);
    crm.secondary.faults.next({ kind: 'slow', latencyMs: 2900 }, 5);
    const started = crm.clock.now();

    const r = await lookup(id);

    expect(crm.clock.now() - started).toBeLessThanOrEqual(3000);
    expect(r.elapsedMs).toBeLessThanOrEqual(3000);
    expect(r.answer.source).toBe('cache');
    expect(r.answer.dataAgeSeconds).toBeGreaterThanOrEqual(600);
  });
});
