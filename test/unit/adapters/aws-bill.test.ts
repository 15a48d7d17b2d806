// The cost bench's bill is a pure function of counted usage and list prices (bench/support/aws-bill.ts).
import { describe, expect, it } from 'vitest';
import { MINUTES_PER_MONTH, monthlyBill, US_EAST_1_PRICES } from '../../../bench/support/aws-bill';

const quiet = {
  invocations: { poller: 1, evaluate: 5, 'send-pages': 1 },
  gbSeconds: { poller: 0.25, evaluate: 0.5, 'send-pages': 0.05 },
  dynamoReadUnits: 500,
  dynamoWriteUnits: 500,
  eventBridgeEvents: 5,
  logBytes: 30_000,
  snsPublishes: 0,
  secretsManagerCalls: 0.2,
};
const fixed = {
  customMetrics: 7,
  alarms: 8,
  dashboards: 1,
  secrets: 2,
  customerManagedKeys: 1,
  logRetentionDays: 30,
};
const line = (bill: ReturnType<typeof monthlyBill>, service: string, item: string) =>
  bill.lines.find((l) => l.service === service && l.item === item)?.usd;

describe('monthlyBill', () => {
  it('prices a minute of usage over a month at the list prices', () => {
    const bill = monthlyBill(quiet, fixed);
    // 500 WRU a minute for a month: 21.9 M write units at $0.625 a million.
    expect(line(bill, 'DynamoDB', 'write request units')).toBeCloseTo(
      (500 * MINUTES_PER_MONTH * 0.625) / 1e6,
      6,
    );
    expect(line(bill, 'Lambda', 'requests')).toBeCloseTo((7 * MINUTES_PER_MONTH * 0.2) / 1e6, 6);
    expect(line(bill, 'Lambda', 'GB-seconds (Arm)')).toBeCloseTo(0.8 * MINUTES_PER_MONTH * 0.0000133334, 6);
    expect(line(bill, 'CloudWatch', 'custom metrics')).toBeCloseTo(2.1, 6);
    expect(line(bill, 'CloudWatch', 'dashboards')).toBe(3);
    expect(bill.totalUsd).toBeCloseTo(
      bill.lines.reduce((a, l) => a + l.usd, 0),
      9,
    );
  });

  it('grows with the counted usage and not otherwise', () => {
    const base = monthlyBill(quiet, fixed).totalUsd;
    const moreWrites = monthlyBill({ ...quiet, dynamoWriteUnits: 1000 }, fixed).totalUsd;
    expect(moreWrites - base).toBeCloseTo((500 * MINUTES_PER_MONTH * 0.625) / 1e6, 6);
    expect(monthlyBill(quiet, { ...fixed, customMetrics: 2007 }).totalUsd - base).toBeCloseTo(600, 6);
  });

  it('dates its prices', () => {
    expect(US_EAST_1_PRICES.checkedOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});

describe('monthlyBill with the always-free tier', () => {
  it('takes the free allowances off and never goes below zero', () => {
    const list = monthlyBill(quiet, fixed);
    const free = monthlyBill(quiet, fixed, US_EAST_1_PRICES, { alwaysFree: true });
    expect(line(free, 'CloudWatch', 'dashboards')).toBe(0);
    expect(line(free, 'CloudWatch', 'custom metrics')).toBe(0);
    expect(line(free, 'Lambda', 'requests')).toBe(0);
    // DynamoDB on-demand has no always-free throughput: unchanged.
    expect(line(free, 'DynamoDB', 'write request units')).toBe(line(list, 'DynamoDB', 'write request units'));
    expect(free.totalUsd).toBeLessThan(list.totalUsd);
    expect(free.lines.every((l) => l.usd >= 0)).toBe(true);
  });
});

describe('monthlyBill with the always-free tier at scale', () => {
  it('charges only what exceeds each allowance', () => {
    const big = { ...quiet, gbSeconds: { evaluate: 20 }, invocations: { evaluate: 50 } };
    const free = monthlyBill(big, fixed, US_EAST_1_PRICES, { alwaysFree: true });
    expect(line(free, 'Lambda', 'GB-seconds (Arm)')).toBeCloseTo(
      (20 * MINUTES_PER_MONTH - 400_000) * 0.0000133334,
      6,
    );
    expect(line(free, 'Lambda', 'requests')).toBeCloseTo(
      ((50 * MINUTES_PER_MONTH - 1_000_000) / 1e6) * 0.2,
      6,
    );
  });
});
