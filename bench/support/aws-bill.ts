// The controller's AWS bill per month as a pure function of counted usage and list prices.
// bench/cost.bench.ts counts the usage by running the real handlers on the stand-ins; this file only
// multiplies. Prices are us-east-1 list prices without free tiers or savings plans.

/**
 * us-east-1 list prices, looked up on 2026-11-30 from the services' pricing pages (the stored copies the
 * project's search tool serves; where the official page's table is rendered by script, the figure is
 * from a dated summary that quotes it, named in `source`). Re-check them before quoting a bill.
 */
export const US_EAST_1_PRICES = {
  checkedOn: '2026-11-30',
  lambda: {
    source: 'https://aws.amazon.com/lambda/pricing/ (Arm; summary: cloudchipr.com/blog/aws-lambda-pricing)',
    perMillionRequests: 0.2,
    perGbSecondArm: 0.0000133334,
  },
  dynamodb: {
    source:
      'https://aws.amazon.com/dynamodb/pricing/on-demand/ (after the Nov 2024 cut; summary: airbyte.com/data-engineering-resources/dynamodb-pricing)',
    perMillionWriteRequestUnits: 0.625,
    perMillionReadRequestUnits: 0.125,
  },
  eventbridge: {
    source: 'https://aws.amazon.com/eventbridge/pricing/ (custom events; each 64 KB chunk is one event)',
    perMillionCustomEvents: 1.0,
  },
  cloudwatch: {
    source: 'https://aws.amazon.com/cloudwatch/pricing/ (summary: c3x.dev/blog/aws-cloudwatch-metrics-cost)',
    perMetricMonth: 0.3,
    perStandardAlarmMonth: 0.1,
    perDashboardMonth: 3.0,
    perGbLogsIngested: 0.5,
    perGbLogsStoredMonth: 0.03,
  },
  sns: {
    source:
      'https://aws.amazon.com/sns/pricing/ (summary: factualminds.com/blog/amazon-sns-pricing-publishes-fanout-protocols)',
    perMillionPublishes: 0.5,
    perHundredThousandEmails: 2.0,
  },
  secretsManager: {
    source: 'https://aws.amazon.com/secrets-manager/pricing/',
    perSecretMonth: 0.4,
    perTenThousandCalls: 0.05,
  },
  kms: {
    source: 'https://aws.amazon.com/kms/pricing/',
    perCustomerKeyMonth: 1.0,
    perTenThousandRequests: 0.03,
  },
} as const;

export type Prices = typeof US_EAST_1_PRICES;

/** Minutes in an average month (365.25 × 24 × 60 / 12). */
export const MINUTES_PER_MONTH = 43_830;

/** What one poll interval (one minute) costs in usage, as counted on the stand-ins. */
export interface UsagePerTick {
  /** Lambda invocations per function. */
  readonly invocations: Readonly<Record<string, number>>;
  /** Lambda GB-seconds (memory GB × billed duration) per function. */
  readonly gbSeconds: Readonly<Record<string, number>>;
  readonly dynamoReadUnits: number;
  readonly dynamoWriteUnits: number;
  /** Custom events published to the controller's bus, counted in 64 KB chunks. */
  readonly eventBridgeEvents: number;
  /** Bytes written to CloudWatch Logs (log lines and EMF blobs). */
  readonly logBytes: number;
  readonly snsPublishes: number;
  readonly secretsManagerCalls: number;
}

/** What the month costs regardless of traffic. */
export interface FixedUsage {
  /** Distinct custom metrics (name + dimension values) the handlers emit. */
  readonly customMetrics: number;
  readonly alarms: number;
  readonly dashboards: number;
  readonly secrets: number;
  readonly customerManagedKeys: number;
  /** Days CloudWatch Logs keeps what is ingested. */
  readonly logRetentionDays: number;
}

/**
 * The always-free tier (not the 12-month one) of the services priced here, per account and month. It
 * only applies if nothing else in the account uses it, so the bench quotes the bill with and without.
 */
export const ALWAYS_FREE = {
  lambdaRequests: 1_000_000,
  lambdaGbSeconds: 400_000,
  cloudwatchMetrics: 10,
  cloudwatchAlarms: 10,
  cloudwatchDashboards: 3,
  /** Ingestion, storage and Logs Insights scans together. */
  cloudwatchLogsGb: 5,
  snsPublishes: 1_000_000,
} as const;

export interface MonthlyBill {
  readonly lines: readonly { readonly service: string; readonly item: string; readonly usd: number }[];
  readonly totalUsd: number;
}

const sum = (r: Readonly<Record<string, number>>): number => Object.values(r).reduce((a, b) => a + b, 0);

/** The month's bill: per-tick usage × MINUTES_PER_MONTH (one tick a minute) plus the fixed items. */
export function monthlyBill(
  tick: UsagePerTick,
  fixed: FixedUsage,
  prices: Prices = US_EAST_1_PRICES,
  options: { readonly alwaysFree?: boolean } = {},
): MonthlyBill {
  const m = MINUTES_PER_MONTH;
  const free = options.alwaysFree
    ? ALWAYS_FREE
    : {
        lambdaRequests: 0,
        lambdaGbSeconds: 0,
        cloudwatchMetrics: 0,
        cloudwatchAlarms: 0,
        cloudwatchDashboards: 0,
        cloudwatchLogsGb: 0,
        snsPublishes: 0,
      };
  const over = (used: number, allowance: number) => Math.max(0, used - allowance);
  const logGbIngested = (tick.logBytes * m) / 1024 ** 3;
  const logGb = over(logGbIngested, free.cloudwatchLogsGb);
  const lines = [
    {
      service: 'Lambda',
      item: 'requests',
      usd: (over(sum(tick.invocations) * m, free.lambdaRequests) / 1e6) * prices.lambda.perMillionRequests,
    },
    {
      service: 'Lambda',
      item: 'GB-seconds (Arm)',
      usd: over(sum(tick.gbSeconds) * m, free.lambdaGbSeconds) * prices.lambda.perGbSecondArm,
    },
    {
      service: 'DynamoDB',
      item: 'write request units',
      usd: ((tick.dynamoWriteUnits * m) / 1e6) * prices.dynamodb.perMillionWriteRequestUnits,
    },
    {
      service: 'DynamoDB',
      item: 'read request units',
      usd: ((tick.dynamoReadUnits * m) / 1e6) * prices.dynamodb.perMillionReadRequestUnits,
    },
    {
      service: 'EventBridge',
      item: 'custom events',
      usd: ((tick.eventBridgeEvents * m) / 1e6) * prices.eventbridge.perMillionCustomEvents,
    },
    {
      service: 'CloudWatch',
      item: 'custom metrics',
      usd: over(fixed.customMetrics, free.cloudwatchMetrics) * prices.cloudwatch.perMetricMonth,
    },
    {
      service: 'CloudWatch',
      item: 'alarms',
      usd: over(fixed.alarms, free.cloudwatchAlarms) * prices.cloudwatch.perStandardAlarmMonth,
    },
    {
      service: 'CloudWatch',
      item: 'dashboards',
      usd: over(fixed.dashboards, free.cloudwatchDashboards) * prices.cloudwatch.perDashboardMonth,
    },
    { service: 'CloudWatch', item: 'logs ingested', usd: logGb * prices.cloudwatch.perGbLogsIngested },
    {
      service: 'CloudWatch',
      item: 'logs stored',
      // Steady state: retention days' worth of ingestion held at any time.
      usd: logGbIngested * (fixed.logRetentionDays / 30.44) * prices.cloudwatch.perGbLogsStoredMonth,
    },
    {
      service: 'SNS',
      item: 'publishes',
      usd: (over(tick.snsPublishes * m, free.snsPublishes) / 1e6) * prices.sns.perMillionPublishes,
    },
    {
      service: 'Secrets Manager',
      item: 'secrets',
      usd: fixed.secrets * prices.secretsManager.perSecretMonth,
    },
    {
      service: 'Secrets Manager',
      item: 'API calls',
      usd: ((tick.secretsManagerCalls * m) / 1e4) * prices.secretsManager.perTenThousandCalls,
    },
    {
      service: 'KMS',
      item: 'customer-managed keys',
      usd: fixed.customerManagedKeys * prices.kms.perCustomerKeyMonth,
    },
  ];
  return { lines, totalUsd: lines.reduce((a, l) => a + l.usd, 0) };
}
