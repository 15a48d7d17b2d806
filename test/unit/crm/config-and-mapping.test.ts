import { describe, expect, it } from 'vitest';
import { cascadeTrips } from '../../../lambdas/core/crm/cascade';
import { parseCrmConfig } from '../../../lambdas/core/crm/config';
import { mapCustomer, mapOrderHistory, sourceFieldOf } from '../../../lambdas/core/crm/customer';
import { backoffMs, callTimeout } from '../../../lambdas/core/crm/lookup';
import { tokenUsable } from '../../../lambdas/core/crm/token';

const primary = {
  baseUrl: 'https://crm.example/api',
  tokenUrl: 'https://crm.example/oauth/token',
  credentialsSecret: 'crm/p',
};

describe('crm config', () => {
  it('fills every default around the endpoint URLs', () => {
    const config = parseCrmConfig({ primary });

    expect(config).toMatchObject({
      budgetMs: 3000,
      cacheFreshSeconds: 300,
      maxRetries: 2,
      cascade: { windowSeconds: 60, minimumLookups: 20, fallbackRatePercent: 10, openSeconds: 300 },
      primary: {
        ...primary,
        searchPath: '/v1/customers/search',
        recordPath: 'customer',
        callTimeoutMs: 1500,
      },
    });
    expect(config.secondary).toBeUndefined();
  });

  it('gives the secondary its declared field map (acct_id → customerId …)', () => {
    const config = parseCrmConfig({ primary, secondary: { ...primary, credentialsSecret: 'crm/s' } });

    expect(config.secondary?.fieldMap).toMatchObject({ acct_id: 'customerId', display_name: 'fullName' });
  });

  it.each([
    [{}, 'primary.baseUrl'],
    [{ primary: { ...primary, baseUrl: 'crm.example' } }, 'primary.baseUrl'],
    [{ primary, budgetMs: 3000, bugdetMs: 1 }, 'bugdetMs'],
    [{ primary: { ...primary, fieldMap: { id: 'customerId', name: 'nickname' } } }, 'primary.fieldMap.name'],
    [{ primary: { ...primary, fieldMap: { name: 'fullName' } } }, 'primary.fieldMap'],
    [{ primary, maxRetries: 3 }, 'maxRetries'],
    [{ primary, budgetMs: 250 }, 'budgetMs'],
  ])('rejects %j naming %s', (input, path) => {
    expect(() => parseCrmConfig(input)).toThrow(new RegExp(`^${path.replace(/\./g, '\\.')}: `));
  });
});

describe('field map', () => {
  const map = { acct_id: 'customerId', display_name: 'fullName', 'contact.mail': 'email' } as const;

  it('maps declared fields (dotted paths too) and drops everything else', () => {
    expect(
      mapCustomer({ acct_id: 42, display_name: 'Ada', contact: { mail: 'a@x' }, ssn: 'no' }, map),
    ).toEqual({
      ok: true,
      value: { customerId: '42', fullName: 'Ada', email: 'a@x' },
    });
  });

  it('a record without the customer id field is a mismatch, not a crash', () => {
    expect(mapCustomer({ display_name: 'Ada' }, map)).toEqual({
      ok: false,
      detail: "the record has no 'acct_id' (mapped to customerId)",
    });
    expect(mapCustomer('<html>', map).ok).toBe(false);
    expect(mapCustomer(null, map).ok).toBe(false);
  });

  it('finds the endpoint name of a field for the search body', () => {
    expect(sourceFieldOf(map, 'customerId')).toBe('acct_id');
    expect(sourceFieldOf(map, 'phone')).toBeUndefined();
  });

  it('order history: entries without an id are dropped, a non-array is a mismatch', () => {
    expect(mapOrderHistory([{ order_id: 'O1', total: 5 }, { nope: 1 }])).toEqual({
      ok: true,
      value: [{ orderId: 'O1', total: '5' }],
    });
    expect(mapOrderHistory('x').ok).toBe(false);
  });
});

describe('budget, backoff, tokens and the cascade rule', () => {
  const config = parseCrmConfig({ primary });

  it('cuts a call to what is left minus the cache reserve', () => {
    expect(callTimeout(config, 'primary', 3000, 0)).toBe(1500);
    expect(callTimeout(config, 'primary', 3000, 2000)).toBe(800);
    expect(callTimeout(config, 'primary', 3000, 2900)).toBe(0);
  });

  it('doubles the wait per retry of the lookup', () => {
    expect([1, 2].map((k) => backoffMs(config, k))).toEqual([100, 200]);
  });

  it('sends a token only if it outlives the call and the margin', () => {
    const token = { value: 't', validUntil: 10_000 };
    expect(tokenUsable(token, 0, 1500, 0)).toBe(true);
    expect(tokenUsable(token, 8_600, 1500, 0)).toBe(false);
    expect(tokenUsable(token, 0, 1500, 9_000)).toBe(false);
    expect(tokenUsable(undefined, 0, 1, 0)).toBe(false);
  });

  it.each([
    [19, 19, false],
    [20, 2, false],
    [20, 3, true],
    [100, 10, false],
    [100, 11, true],
  ])('%i lookups with %i fallbacks → opens: %s', (lookups, fallbacks, opens) => {
    expect(cascadeTrips({ lookups, fallbacks }, config.cascade)).toBe(opens);
  });
});
