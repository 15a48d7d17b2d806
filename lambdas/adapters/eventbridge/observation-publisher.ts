import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { SurgeError } from '../../core/errors';
import type { QueueObservation } from '../../core/observation';
import type { ObservationPublisher } from '../../core/ports';
import { awsClientConfig } from '../aws/client-config';
import { OBSERVATION_EVENT } from '../telemetry-names';

/** PutEvents takes at most 10 entries per call. */
const MAX_ENTRIES_PER_CALL = 10;
/** Entries EventBridge reports as failed (throttling, internal) are re-sent this many times. */
const MAX_ENTRY_RETRIES = 2;

export class PublishError extends SurgeError {}

/** Publishes each observation as one `QueueObservation` event on the controller's own bus. */
export class EventBridgeObservationPublisher implements ObservationPublisher {
  constructor(
    private readonly busName: string,
    private readonly client: EventBridgeClient = new EventBridgeClient(awsClientConfig()),
  ) {}

  async publish(observations: readonly QueueObservation[]): Promise<void> {
    for (let i = 0; i < observations.length; i += MAX_ENTRIES_PER_CALL) {
      await this.putWithRetry(observations.slice(i, i + MAX_ENTRIES_PER_CALL).map((o) => this.entry(o)));
    }
  }

  private entry(o: QueueObservation): PutEventsRequestEntry {
    return {
      EventBusName: this.busName,
      Source: OBSERVATION_EVENT.source,
      DetailType: OBSERVATION_EVENT.detailType,
      Time: new Date(o.observedAt),
      Detail: JSON.stringify(o),
    };
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
