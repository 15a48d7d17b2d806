// `npm run bench cost`: the AWS bill per month at 100, 500 and 5,000 queues (issue 11). The usage is
// counted by running the real handlers on the stand-ins for a few poll ticks of a quiet day (every
// queue observed each minute, no transition): Lambda invocations and their duration, DynamoDB read and
// write units as dynalite accounts them (ReturnConsumedCapacity), EventBridge events in 64 KB chunks,
// the bytes the handlers write to their logs (Powertools log lines and EMF blobs), the distinct custom
// metrics in those blobs, OAuth logins (an upper bound on Secrets Manager reads), pages sent. Alarms,
// dashboards and keys come from the synthesized template. bench/support/aws-bill.ts prices it.
// Reports figures; asserts nothing. COST_BENCH_QUEUES=100,500 limits the sizes.
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { SURGE_CONTROL_TABLE } from '../drill/genesys-emulator';
import { SimulatedClock } from '../drill/simulated-clock';
import { startStandIns } from '../drill/stand-ins';
import { PowertoolsTelemetry } from '../lambdas/adapters/powertools-telemetry';
import { actuatorsForDrill } from '../lambdas/core/actuator-plan';
import { parseConfig } from '../lambdas/core/config';
import { createEvaluateHandler } from '../lambdas/handlers/evaluate-handler';
import { createPollHandler } from '../lambdas/handlers/poll-handler';
import { createSendPagesHandler } from '../lambdas/handlers/send-pages-handler';
import { SurgeController } from '../lib/surge-controller';
import {
  type FixedUsage,
  MINUTES_PER_MONTH,
  type MonthlyBill,
  monthlyBill,
  US_EAST_1_PRICES,
  type UsagePerTick,
} from './support/aws-bill';

const T0 = Date.parse('2026-11-30T09:00:00Z');
/** The construct's Lambda memory (lib/controller-function.ts default), in GB. */
const MEMORY_GB = 0.5;
const EVENT_CHUNK_BYTES = 64 * 1024;
/** What an EventBridge schedule hands a Lambda (the sender's 1-minute sweep). */
const SCHEDULED_EVENT = {
  version: '0',
  id: 'sweep',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2026-11-30T09:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail: {},
};
/**
 * The lines Lambda itself writes to a function's log group per invocation (text log format, the
 * construct's default): START, END and REPORT, as documented (docs.aws.amazon.com/lambda/latest/dg/
 * nodejs-logging.html). Their bytes are counted like the handlers' own.
 */
const PLATFORM_LOG_BYTES_PER_INVOCATION = Buffer.byteLength(
  [
    `START RequestId: ${randomUUID()} Version: $LATEST`,
    `END RequestId: ${randomUUID()}`,
    `REPORT RequestId: ${randomUUID()}\tDuration: 123.45 ms\tBilled Duration: 124 ms\tMemory Size: 512 MB\tMax Memory Used: 123 MB\t`,
    '',
  ].join('\n'),
);
/** Read commands, of the client and of the document client (`GetItemCommand`, `GetCommand`, …). */
const READ_COMMAND = /^(GetItem|Get|BatchGetItem|BatchGet|Query|Scan)Command$/;

/** Adds ReturnConsumedCapacity to every call and sums the units dynalite reports, read and write apart. */
function meterCapacity(client: DynamoDBClient): {
  read: number;
  write: number;
  calls: number;
  byCommand: Map<string, number>;
  reset(): void;
} {
  const meter = {
    read: 0,
    write: 0,
    calls: 0,
    byCommand: new Map<string, number>(),
    reset() {
      meter.read = 0;
      meter.write = 0;
      meter.calls = 0;
      meter.byCommand.clear();
    },
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      input.ReturnConsumedCapacity = 'TOTAL';
      const isRead = READ_COMMAND.test(context.commandName ?? '');
      meter.calls++;
      const name = (context.commandName ?? '?').replace(/Command$/, '');
      meter.byCommand.set(name, (meter.byCommand.get(name) ?? 0) + 1);
      try {
        const out = await next(args);
        const consumed = (out.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
        const units = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce(
          (a: number, c: { CapacityUnits?: number }) => a + (c.CapacityUnits ?? 0),
          0,
        );
        if (isRead) meter.read += units;
        else meter.write += units;
        return out;
      } catch (error) {
        // A refused conditional write still consumes write units, by the size of the item (AWS rounds
        // each write up to 1 KB). The item in the request stands in for the stored one; an update
        // (no item in the request) counts 1.
        if (!isRead) meter.write += Math.max(1, Math.ceil(requestItemBytes(input) / 1024));
        throw error;
      }
    },
    { step: 'initialize', name: 'surgeMeterCapacity', override: true },
  );
  return meter;
}

/** Size of the item a PutItem carries, as DynamoDB sizes items (attribute names + values); 0 if none. */
function requestItemBytes(input: Record<string, unknown>): number {
  const item = input.Item as Record<string, unknown> | undefined;
  if (!item) return 0;
  // Marshalled or document-client input: names plus the JSON of the values is within a few bytes.
  return Object.entries(item).reduce(
    (n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(JSON.stringify(v)),
    0,
  );
}

/** Counts what the process writes to stdout/stderr (the Lambda's log stream) and the EMF metrics in it. */
function captureLogs(): { bytes: number; metrics: Set<string>; restore(): void; reset(): void } {
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const state = {
    bytes: 0,
    metrics: new Set<string>(),
    restore() {
      process.stdout.write = out;
      process.stderr.write = err;
    },
    reset() {
      state.bytes = 0;
    },
  };
  const sink = (chunk: string | Uint8Array): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    state.bytes += Buffer.byteLength(text);
    for (const line of text.split('\n')) {
      if (!line.includes('"_aws"')) continue;
      const blob = JSON.parse(line) as {
        _aws: {
          CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
        };
        [k: string]: unknown;
      };
      for (const directive of blob._aws.CloudWatchMetrics) {
        for (const dims of directive.Dimensions) {
          const key = dims.map((d) => `${d}=${String(blob[d])}`).join(',');
          for (const m of directive.Metrics) state.metrics.add(`${directive.Namespace}/${m.Name}{${key}}`);
        }
      }
    }
    return true;
  };
  process.stdout.write = sink as typeof process.stdout.write;
  process.stderr.write = sink as typeof process.stderr.write;
  return state;
}

interface Measured {
  readonly tick: UsagePerTick;
  readonly metrics: Set<string>;
  readonly dynamoCalls: number;
  readonly dynamoByCommand: string;
  readonly tickWallMs: number;
}

async function measure(queueCount: number, ticks: number): Promise<Measured> {
  const queues = Array.from({ length: queueCount }, (_, i) => ({ id: randomUUID(), name: `Queue ${i}` }));
  const config = parseConfig({ queues });
  const clock = new SimulatedClock(T0);
  const telemetry = new PowertoolsTelemetry();
  const s = await startStandIns({
    config,
    actuators: actuatorsForDrill(config, SURGE_CONTROL_TABLE),
    clock,
    telemetry,
  });
  const logs = captureLogs();
  try {
    const meter = meterCapacity(s.dynamo.client);
    for (const q of queues) s.emulator.setObservation(q.id, { waiting: 3, agentsAvailable: 6 });
    const poll = createPollHandler(() => s.deps, telemetry);
    const evaluate = createEvaluateHandler(() => s.deps, telemetry);
    const sendPages = createSendPagesHandler(() => s.sendPagesDeps, telemetry);
    const invocations = { poller: 0, evaluate: 0, 'send-pages': 0 };
    const ms = { poller: 0, evaluate: 0, 'send-pages': 0 };
    let events = 0;
    let oauthBefore = 0;
    let pagesBefore = 0;
    let wall = 0;
    // Tick 0 creates the items (first observations); the ticks after it are the quiet minutes counted.
    for (let t = 0; t <= ticks; t++) {
      if (t === 1) {
        meter.reset();
        logs.reset();
        oauthBefore = s.emulator.requests().filter((r) => r.path.includes('oauth')).length;
        pagesBefore = s.transport.delivered.length;
      }
      const counted = t >= 1;
      const tickStarted = performance.now();
      let started = performance.now();
      await poll({});
      if (counted) {
        ms.poller += performance.now() - started;
        invocations.poller++;
      }
      for (const event of s.bus.drain()) {
        started = performance.now();
        await evaluate(event);
        if (counted) {
          ms.evaluate += performance.now() - started;
          invocations.evaluate++;
          events += Math.ceil(Buffer.byteLength(JSON.stringify(event)) / EVENT_CHUNK_BYTES);
        }
      }
      // The page sender's 1-minute sweep: the real handler on its schedule event (the table stream only
      // invokes it when a page is staged, which a quiet minute never does).
      started = performance.now();
      await sendPages(SCHEDULED_EVENT);
      if (counted) {
        ms['send-pages'] += performance.now() - started;
        invocations['send-pages']++;
        wall += performance.now() - tickStarted;
      }
      clock.advance(60_000);
    }
    const per = (n: number) => n / ticks;
    const oauth = s.emulator.requests().filter((r) => r.path.includes('oauth')).length - oauthBefore;
    return {
      tick: {
        invocations: Object.fromEntries(Object.entries(invocations).map(([k, v]) => [k, per(v)])),
        // Lambda bills wall time from handler start to return, in 1 ms steps; the stand-ins' wall time
        // on this (shared, loaded) machine stands in for it.
        gbSeconds: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, per((v / 1000) * MEMORY_GB)])),
        dynamoReadUnits: per(meter.read),
        dynamoWriteUnits: per(meter.write),
        eventBridgeEvents: per(events),
        logBytes: per(
          logs.bytes +
            PLATFORM_LOG_BYTES_PER_INVOCATION * Object.values(invocations).reduce((a, b) => a + b, 0),
        ),
        snsPublishes: per(s.transport.delivered.length - pagesBefore),
        secretsManagerCalls: per(oauth),
      },
      metrics: logs.metrics,
      dynamoCalls: per(meter.calls),
      dynamoByCommand: [...meter.byCommand].map(([k, v]) => `${k} ${per(v).toFixed(0)}`).join(', '),
      tickWallMs: per(wall),
    };
  } finally {
    logs.restore();
    await s.stop();
  }
}

/** Alarms, dashboards, customer-managed keys and log retention of the deployed stack, from its template. */
function fixedFromTemplate(queueCount: number, customMetrics: number): FixedUsage {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'CostBench', { env: { account: '123456789012', region: 'us-east-1' } });
  const queues = Array.from({ length: queueCount }, (_, i) => ({ id: `q-${i}`, name: `Queue ${i}` }));
  new SurgeController(stack, 'Surge', {
    config: { queues },
    pagerDutyRoutingKeySecret: 'cx-surge/pagerduty',
  });
  const t = Template.fromStack(stack).toJSON() as {
    Resources: Record<string, { Type: string; Properties?: { Metrics?: { MetricStat?: unknown }[] } }>;
  };
  const resources = Object.values(t.Resources);
  const count = (type: string) => resources.filter((r) => r.Type === type).length;
  // CloudWatch bills alarms per alarm metric: a metric-math alarm costs one per metric it reads.
  const alarmMetrics = resources
    .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
    .reduce((n, r) => n + Math.max(1, (r.Properties?.Metrics ?? []).filter((m) => m.MetricStat).length), 0);
  return {
    customMetrics,
    alarms: alarmMetrics,
    dashboards: count('AWS::CloudWatch::Dashboard'),
    // The Genesys OAuth client and the PagerDuty routing key (a break-glass client would add one).
    secrets: 2,
    customerManagedKeys: count('AWS::KMS::Key'),
    logRetentionDays: 30,
  };
}

const usd = (n: number) => `$${n.toFixed(2)}`;

export async function run(): Promise<void> {
  const sizes = (process.env.COST_BENCH_QUEUES ?? '100,500,5000').split(',').map(Number);
  const ticks = Number(process.env.COST_BENCH_TICKS ?? 2);
  console.log(
    `AWS bill per month, us-east-1 list prices of ${US_EAST_1_PRICES.checkedOn} (no free tier), one poll a minute ` +
      `(${MINUTES_PER_MONTH.toLocaleString('en')} a month), quiet minutes counted on the stand-ins (${ticks} ticks after the first)`,
  );
  const bills: { queues: number; total: number; free: number; lines: MonthlyBill['lines'] }[] = [];
  for (const queues of sizes) {
    const m = await measure(queues, ticks);
    const fixed = fixedFromTemplate(queues, m.metrics.size);
    const bill = monthlyBill(m.tick, fixed);
    const withFree = monthlyBill(m.tick, fixed, US_EAST_1_PRICES, { alwaysFree: true });
    bills.push({ queues, total: bill.totalUsd, free: withFree.totalUsd, lines: bill.lines });
    const t = m.tick;
    console.log(
      `\n${queues.toLocaleString('en')} queues: ${usd(bill.totalUsd)} a month at list prices ` +
        `(${usd(withFree.totalUsd)} if the account's always-free tier is this controller's alone)`,
    );
    console.log(
      `  counted per tick: ${Object.entries(t.invocations)
        .map(([k, v]) => `${k} ${v.toFixed(0)}`)
        .join(', ')} invocations; ` +
        `${m.dynamoCalls.toFixed(0)} DynamoDB calls (${m.dynamoByCommand}: ${t.dynamoReadUnits.toFixed(1)} RRU, ${t.dynamoWriteUnits.toFixed(1)} WRU); ` +
        `${t.eventBridgeEvents.toFixed(0)} events; ${(t.logBytes / 1024).toFixed(1)} KB of logs; ` +
        `${t.snsPublishes.toFixed(0)} pages; ${t.secretsManagerCalls.toFixed(1)} logins; tick ${(m.tickWallMs / 1000).toFixed(1)} s wall`,
    );
    console.log(
      `  fixed: ${fixed.customMetrics} custom metrics (${[...m.metrics].map((x) => x.replace(/^CxSurge\/|\{service=cx-surge-controller,?|\}$/g, '')).join(', ')}), ` +
        `${fixed.alarms} alarm metrics, ${fixed.dashboards} dashboard(s), ` +
        `${fixed.secrets} secrets, ${fixed.customerManagedKeys} KMS key(s)`,
    );
    for (const l of bill.lines.filter((x) => x.usd >= 0.005)) {
      console.log(`    ${`${l.service} ${l.item}`.padEnd(36)} ${usd(l.usd).padStart(9)}`);
    }
  }
  // The per-service breakdown side by side (list prices, a month).
  const services = [...new Set(bills.flatMap((b) => b.lines.map((l) => l.service)))];
  console.log(
    `\n${'per service, a month'.padEnd(22)}${bills.map((b) => `${b.queues.toLocaleString('en')} q`.padStart(11)).join('')}`,
  );
  for (const service of services) {
    const cells = bills.map((b) =>
      usd(b.lines.filter((l) => l.service === service).reduce((a, l) => a + l.usd, 0)).padStart(11),
    );
    console.log(`${service.padEnd(22)}${cells.join('')}`);
  }
  console.log(`${'total'.padEnd(22)}${bills.map((b) => usd(b.total).padStart(11)).join('')}`);
  console.log(
    '(Lambda GB-seconds are wall time on the stand-ins × 0.5 GB: dynalite and the emulator run in the same ' +
      'process on a shared machine, so this line is an upper bound; docs/cost.md#lambda)',
  );
  const at500 = bills.find((b) => b.queues === 500);
  if (at500) {
    console.log(
      `\n500 queues: ${usd(at500.total)} a month (${usd(at500.free)} with the always-free tier)   [target ≤ $10, all services]`,
    );
  }
  console.log(
    `prices: ${Object.values(US_EAST_1_PRICES)
      .flatMap((p) => (typeof p === 'object' && 'source' in p ? [p.source] : []))
      .join('; ')}`,
  );
}
