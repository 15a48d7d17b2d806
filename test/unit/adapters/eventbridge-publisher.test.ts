import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  EventBridgeObservationPublisher,
  PublishError,
} from '../../../lambdas/adapters/eventbridge/observation-publisher';
import type { QueueObservation } from '../../../lambdas/core/observation';

const eb = mockClient(EventBridgeClient);
const obs = (i: number): QueueObservation => ({
  queueId: `q${i}`,
  observedAt: '2026-11-27T09:00:00Z',
  waiting: i,
  agentsAvailable: null,
});

describe('EventBridgeObservationPublisher', () => {
  beforeEach(() => eb.reset());

  it('sends one QueueObservation event per observation, at most ten per PutEvents call', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    const publisher = new EventBridgeObservationPublisher('surge-bus', eb as unknown as EventBridgeClient);

    await publisher.publish(Array.from({ length: 23 }, (_, i) => obs(i)));

    const calls = eb.commandCalls(PutEventsCommand);
    expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 10, 3]);
    const first = calls[0]?.args[0].input.Entries?.[0];
    expect(first).toMatchObject({
      EventBusName: 'surge-bus',
      Source: 'cx-surge.poller',
      DetailType: 'QueueObservation',
    });
    expect(JSON.parse(first?.Detail ?? '{}')).toEqual(obs(0));
    expect(first?.Time?.toISOString()).toBe('2026-11-27T09:00:00.000Z');
  });

  it('re-sends only the entries EventBridge reported as failed', async () => {
    eb.on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ EventId: 'a' }, { ErrorCode: 'ThrottlingException' }],
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'b' }] });
    const publisher = new EventBridgeObservationPublisher('surge-bus', eb as unknown as EventBridgeClient);

    await publisher.publish([obs(1), obs(2)]);

    const retried = eb.commandCalls(PutEventsCommand)[1]?.args[0].input.Entries ?? [];
    expect(retried.map((e) => JSON.parse(e.Detail ?? '{}').queueId)).toEqual(['q2']);
  });

  it('fails loudly when entries keep failing, so the poller tick reports it instead of losing data', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });
    const publisher = new EventBridgeObservationPublisher('surge-bus', eb as unknown as EventBridgeClient);

    await expect(publisher.publish([obs(1)])).rejects.toThrow(PublishError);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(3);
  });
});
