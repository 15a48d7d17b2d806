import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDynamoPersistence, OutboxPager } from '../../../lambdas/adapters/dynamodb';
import { startThrottlingProxy } from '../../support/throttling-proxy';
import { observation, observationEvent, pipelinePerTest, T0 } from './harness';
import { invariantViolations } from './invariants';

const MINUTE = 60_000;
const open = pipelinePerTest();
const QUEUES = ['sales', 'support', 'billing'];

describe('DynamoDB throttling', () => {
  it('converges after 50 % of DynamoDB calls were throttled for 15 minutes of changing load', async () => {
    const p = await open({
      config: {
        tiers: {
          tier1: {
            activate: { waitingAbove: 50, forObservations: 1 },
            restore: { waitingBelow: 25, forObservations: 1 },
          },
          tier2: {
            activate: { waitingAbove: 200, agentsAvailableBelow: 5, forObservations: 1 },
            restore: { waitingBelow: 50, forObservations: 1 },
          },
          tier3: { mode: 'off' },
        },
      },
    });
    const random = fc.sample(fc.double({ min: 0, max: 1, noNaN: true }), { numRuns: 20_000, seed: 9 });
    let draw = 0;
    const proxy = await startThrottlingProxy(p.dynamo.endpoint, {
      rate: 0.5,
      random: () => random[draw++ % random.length] ?? 0,
    });
    const client = new DynamoDBClient({
      endpoint: proxy.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 2,
    });
    const throttled = createDynamoPersistence({ client, tableName: p.dynamo.tableName, clock: p.clock });
    const { evaluate, poll } = p.handlersWith((deps) => ({
      ...deps,
      queueStates: throttled.queues,
      overrides: throttled.overrides,
      actuatorStore: throttled.actuators,
      pager: new OutboxPager(throttled.outbox, p.transport, p.clock),
    }));
    const depth = fc.sample(fc.constantFrom(5, 120, 300), { numRuns: 15 * QUEUES.length, seed: 3 });
    let failures = 0;
    try {
      for (let minute = 0; minute < 15; minute++) {
        const at = T0 + minute * MINUTE;
        p.clock.set(at);
        await Promise.all(
          QUEUES.map(async (queueId, q) => {
            const event = observationEvent({
              ...observation(at, depth[minute * QUEUES.length + q] ?? 5, queueId),
              agentsAvailable: 2,
            });
            for (let attempt = 1; attempt <= 3; attempt++) {
              try {
                await evaluate(event); // EventBridge retries a failed invocation twice
                return;
              } catch {
                failures++;
              }
            }
          }),
        );
        await poll(undefined, { queueIds: [] }).catch(() => failures++);
      }
      expect(proxy.throttled).toBeGreaterThan(100);
      expect(failures).toBeGreaterThan(0);

      // Throttling stops; the poller keeps ticking with no new observation.
      proxy.rate = 0;
      for (let minute = 15; minute < 20; minute++) {
        p.clock.set(T0 + minute * MINUTE);
        await poll(undefined, { queueIds: [] });
      }

      expect(await invariantViolations(p)).toEqual({ levers: [], pages: [] });
    } finally {
      client.destroy();
      await proxy.close();
    }
  }, 120_000);
});
