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

  it('sends one QueueObservations event per 100 observations, at most ten per PutEvents call', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    const publisher = new EventBridgeObservationPublisher('surge-bus', eb as unknown as EventBridgeClient);

    await publisher.publish(Array.from({ length: 2_350 }, (_, i) => obs(i)));

    const calls = eb.commandCalls(PutEventsCommand);
    expect(calls.map((c) => c.args[0].input.Entries?.length).sort()).toEqual([10, 10, 4]);
    const entries = calls.flatMap((c) => c.args[0].input.Entries ?? []);
    const chunks = entries.map((e) => JSON.parse(e.Detail ?? '{}').observations as QueueObservation[]);
    expect(chunks.map((c) => c.length).sort((a, b) => a - b)).toEqual(
      [...Array(23).fill(100), 50].sort((a, b) => a - b),
    );
    expect(
      chunks
        .flat()
        .map((o) => o.queueId)
        .sort(),
    ).toEqual(Array.from({ length: 2_350 }, (_, i) => `q${i}`).sort());
    expect(entries[0]).toMatchObject({
      EventBusName: 'surge-bus',
      Source: 'cx-surge.poller',
      DetailType: 'QueueObservations',
    });
    expect(entries[0]?.Time?.toISOString()).toBe('2026-11-27T09:00:00.000Z');
  });

  it('keeps every PutEvents call under 256 KB: chunks of very long queue ids are split', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    const publisher = new EventBridgeObservationPublisher('surge-bus', eb as unknown as EventBridgeClient);
    const long = Array.from({ length: 300 }, (_, i) => ({
      ...obs(i),
      queueId: `q${i}-${'x'.repeat(2_000)}`,
    }));

    await publisher.publish(long);

    const calls = eb.commandCalls(PutEventsCommand);
    for (const c of calls) {
      const bytes = (c.args[0].input.Entries ?? []).reduce(
        (n, e) => n + Buffer.byteLength(e.Detail ?? ''),
        0,
      );
      expect(bytes).toBeLessThan(256 * 1024);
    }
    const published = calls.flatMap((c) => c.args[0].input.Entries ?? []);
    expect(published.flatMap((e) => JSON.parse(e.Detail ?? '{}').observations).length).toBe(300);
  });

  it('still makes the other PutEvents calls when one keeps failing, then reports the failure', async () => {
    let call = 0;
    eb.on(PutEventsCommand).callsFake(async () => {
      call++;
      if (call === 1) throw new Error('EventBridge unavailable');
      return { FailedEntryCount: 0, Entries: [] };
    });
    const publisher = new EventBridgeObservationPublisher('surge-bus', eb as unknown as EventBridgeClient);

    await expect(publisher.publish(Array.from({ length: 2_500 }, (_, i) => obs(i)))).rejects.toThrow(
      'EventBridge unavailable',
    );
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(3);
  });

  it('re-sends only the entries EventBridge reported as failed', async () => {
    eb.on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ EventId: 'a' }, { ErrorCode: 'ThrottlingException' }],
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'b' }] });
    const publisher = new EventBridgeObservationPublisher('surge-bus', eb as unknown as EventBridgeClient);

    await publisher.publish(Array.from({ length: 200 }, (_, i) => obs(i)));

    const retried = eb.commandCalls(PutEventsCommand)[1]?.args[0].input.Entries ?? [];
    expect(retried.map((e) => JSON.parse(e.Detail ?? '{}').observations[0].queueId)).toEqual(['q100']);
  });

  it('fails loudly when entries keep failing, so the poller tick reports it instead of losing data', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });
    const publisher = new EventBridgeObservationPublisher('surge-bus', eb as unknown as EventBridgeClient);

    await expect(publisher.publish([obs(1)])).rejects.toThrow(PublishError);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(3);
  });
});
