import * as z from 'zod';
import { OBSERVATION_BATCH_EVENT, OBSERVATION_EVENT } from '../adapters/telemetry-names';
import type { EdgeAlarmChange } from '../app/edge-alarm';
import { ObservationError, SurgeError } from '../core/errors';
import { lazySchema } from '../core/lazy-schema';
import { parseObservation, type QueueObservation } from '../core/observation';

/** An event the evaluate Lambda cannot use. It throws so the event ends in the DLQ, never silently dropped. */
export class InvalidEventError extends SurgeError {}

// The EventBridge envelope fields we read. (Powertools' EventBridgeSchema would do, but it imports zod's
// whole namespace object, which defeats tree shaking and adds ~370 KB to the Lambda bundle.)
// Schemas are built on first use (lazySchema), not at cold start.
const EventBridgeSchema = lazySchema(() =>
  z.object({
    source: z.string().min(1),
    'detail-type': z.string().min(1),
    detail: z.unknown(),
  }),
);

export const CLOUDWATCH_ALARM_EVENT = {
  source: 'aws.cloudwatch',
  detailType: 'CloudWatch Alarm State Change',
} as const;

const AlarmDetailSchema = lazySchema(() => {
  const AlarmStateSchema = z.object({
    value: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
    timestamp: z.string().min(1),
  });
  return z.object({
    alarmName: z.string().min(1),
    state: AlarmStateSchema,
    previousState: AlarmStateSchema.optional(),
  });
});

/** Observations one event may carry (a Genesys chunk is ≤ 100; EventBridge caps an entry at 256 KB). */
export const MAX_OBSERVATIONS_PER_EVENT = 500;

const BatchDetailSchema = lazySchema(() =>
  z.object({
    /** The shard holding these queues' states (docs/architecture.md, "Queue states per chunk"). */
    shardId: z.string().min(1).max(64).optional(),
    observations: z
      .array(z.unknown())
      .min(1, 'must hold at least one observation')
      .max(MAX_OBSERVATIONS_PER_EVENT),
  }),
);

export type EvaluateInput =
  | { readonly kind: 'observation'; readonly observation: QueueObservation }
  | {
      readonly kind: 'observations';
      /** The valid observations, in event order. */
      readonly observations: readonly QueueObservation[];
      /** Entries that are not valid observations (named by index and field); the others are still evaluated. */
      readonly invalid: readonly string[];
      /** The shard the poller placed them in; absent in events of other senders (their queues are looked up). */
      readonly shardId?: string;
    }
  | { readonly kind: 'edge-alarm'; readonly alarm: EdgeAlarmChange };

const firstIssue = (error: z.ZodError, prefix: string): string => {
  const issue = error.issues[0];
  return `${[prefix, ...(issue?.path ?? []).map(String)].join('.')}: ${issue?.message ?? 'invalid'}`;
};

/** Parses what EventBridge hands the evaluate Lambda; the error names the bad field. */
export function parseEvaluateEvent(event: unknown): EvaluateInput {
  const envelope = EventBridgeSchema().safeParse(event);
  if (!envelope.success)
    throw new InvalidEventError(`not an EventBridge event: ${firstIssue(envelope.error, 'event')}`);
  const { source, 'detail-type': detailType, detail } = envelope.data;

  if (source === OBSERVATION_EVENT.source && detailType === OBSERVATION_EVENT.detailType) {
    try {
      return { kind: 'observation', observation: parseObservation(detail) };
    } catch (e) {
      if (e instanceof ObservationError) throw new InvalidEventError(`detail.${e.message}`, { cause: e });
      throw e;
    }
  }
  if (source === OBSERVATION_BATCH_EVENT.source && detailType === OBSERVATION_BATCH_EVENT.detailType) {
    const parsed = BatchDetailSchema().safeParse(detail);
    if (!parsed.success) throw new InvalidEventError(firstIssue(parsed.error, 'detail'));
    const observations: QueueObservation[] = [];
    const invalid: string[] = [];
    parsed.data.observations.forEach((entry, i) => {
      try {
        observations.push(parseObservation(entry));
      } catch (e) {
        if (!(e instanceof ObservationError)) throw e;
        invalid.push(`detail.observations.${i}.${e.message}`);
      }
    });
    const { shardId } = parsed.data;
    return { kind: 'observations', observations, invalid, ...(shardId ? { shardId } : {}) };
  }
  if (source === CLOUDWATCH_ALARM_EVENT.source && detailType === CLOUDWATCH_ALARM_EVENT.detailType) {
    const parsed = AlarmDetailSchema().safeParse(detail);
    if (!parsed.success) throw new InvalidEventError(firstIssue(parsed.error, 'detail'));
    const { alarmName, state, previousState } = parsed.data;
    return {
      kind: 'edge-alarm',
      alarm: {
        alarmName,
        state: state.value,
        since: state.timestamp,
        ...(previousState
          ? { previous: { state: previousState.value, since: previousState.timestamp } }
          : {}),
      },
    };
  }
  throw new InvalidEventError(`unexpected event source '${source}' / detail-type '${detailType}'`);
}
