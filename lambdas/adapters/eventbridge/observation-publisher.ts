import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { settleBounded } from '../../core/bounded';
import { SurgeError } from '../../core/errors';
import type { QueueObservation } from '../../core/observation';
import {
  type ObservationChunk,
  type ObservationPublisher,
  type PublishOptions,
  shardChunks,
} from '../../core/ports';
import { awsClientConfig } from '../aws/client-config';
import { OBSERVATION_BATCH_EVENT } from '../telemetry-names';

/** PutEvents takes at most 10 entries per call... */
const MAX_ENTRIES_PER_CALL = 10;
/** ...and at most 256 KB of entries per call (and per entry); kept well under. */
const MAX_BYTES_PER_CALL = 200_000;
/** Entries EventBridge reports as failed (throttling, internal) are re-sent this many times. */
const MAX_ENTRY_RETRIES = 2;
/** PutEvents calls in flight at once (a 5,000-queue tick is 5 calls). */
export const PUT_EVENTS_CONCURRENCY = 4;

export class PublishError extends SurgeError {}

/**
 * Publishes the observations as `QueueObservations` events on the controller's own bus, one per chunk
 * of ≤ 100 queues (one evaluate invocation each); the PutEvents calls run in parallel, bounded.
 */
export class EventBridgeObservationPublisher implements ObservationPublisher {
  constructor(
    private readonly busName: string,
    private readonly client: EventBridgeClient = new EventBridgeClient(awsClientConfig()),
  ) {}

  async publish(observations: readonly QueueObservation[], options: PublishOptions = {}): Promise<void> {
    const calls = packCalls(shardChunks(observations, options.shardOf).flatMap((c) => this.entries(c)));
    const settled = await settleBounded(calls, PUT_EVENTS_CONCURRENCY, (entries) =>
      this.putWithRetry(entries),
    );
    const failed = settled.filter((s) => s.status === 'rejected');
    if (failed.length > 0) {
      // Every other call was still made: one failed batch never holds back the others' chunks.
      throw (failed[0] as PromiseRejectedResult).reason;
    }
  }

  /** One entry per chunk, split further only if its detail would not fit an entry. */
  private entries(chunk: ObservationChunk): PutEventsRequestEntry[] {
    const detail = JSON.stringify(chunk);
    const { observations } = chunk;
    if (Buffer.byteLength(detail) > MAX_BYTES_PER_CALL && observations.length > 1) {
      const half = Math.ceil(observations.length / 2);
      return [
        ...this.entries({ ...chunk, observations: observations.slice(0, half) }),
        ...this.entries({ ...chunk, observations: observations.slice(half) }),
      ];
    }
    return [
      {
        EventBusName: this.busName,
        Source: OBSERVATION_BATCH_EVENT.source,
        DetailType: OBSERVATION_BATCH_EVENT.detailType,
        Time: new Date(observations[0]?.observedAt ?? 0),
        Detail: detail,
      },
    ];
  }

  private async putWithRetry(entries: PutEventsRequestEntry[]): Promise<void> {
    let pending = entries;
    for (let attempt = 0; ; attempt++) {
      const out = await this.client.send(new PutEventsCommand({ Entries: pending }));
      if (!out.FailedEntryCount) return;
      // Results are positional: keep only the entries that carry an ErrorCode.
      const failed = pending.filter((_, i) => out.Entries?.[i]?.ErrorCode);
      if (attempt >= MAX_ENTRY_RETRIES) {
        const codes = [...new Set((out.Entries ?? []).map((e) => e.ErrorCode).filter(Boolean))].join(', ');
        throw new PublishError(
          `${failed.length} observation event(s) not published after retries (${codes})`,
        );
      }
      pending = failed;
    }
  }
}

/** Entries packed into PutEvents calls: ≤ 10 entries and ≤ MAX_BYTES_PER_CALL each, in order. */
function packCalls(entries: readonly PutEventsRequestEntry[]): PutEventsRequestEntry[][] {
  const calls: PutEventsRequestEntry[][] = [];
  let current: PutEventsRequestEntry[] = [];
  let bytes = 0;
  for (const e of entries) {
    const size = Buffer.byteLength(e.Detail ?? '') + 200; // source, detail-type, bus, time
    if (
      current.length === MAX_ENTRIES_PER_CALL ||
      (current.length > 0 && bytes + size > MAX_BYTES_PER_CALL)
    ) {
      calls.push(current);
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += size;
  }
  if (current.length > 0) calls.push(current);
  return calls;
}
