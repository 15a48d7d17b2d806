import * as z from 'zod';
import { ObservationError } from './errors';
import { lazySchema } from './lazy-schema';

/** One reading of one queue: oWaiting and on-queue IDLE agents (null = unknown). */
export interface QueueObservation {
  readonly queueId: string;
  /** ISO-8601 UTC, e.g. 2026-11-27T09:00:00Z. */
  readonly observedAt: string;
  readonly waiting: number;
  readonly agentsAvailable: number | null;
}

export const QueueObservationSchema = lazySchema(() =>
  z.strictObject({
    queueId: z.string().min(1, 'must be a non-empty string'),
    observedAt: z.iso.datetime({ offset: false, message: 'must be an ISO-8601 UTC timestamp (…Z)' }),
    waiting: z.number().int('must be an integer').nonnegative('must be ≥ 0'),
    agentsAvailable: z.number().int('must be an integer').nonnegative('must be ≥ 0').nullable(),
  }),
);

/** Validates untrusted input; throws ObservationError naming the first bad field. */
export function parseObservation(input: unknown): QueueObservation {
  const result = QueueObservationSchema().safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') || 'observation';
  throw new ObservationError(field, issue?.message ?? 'invalid');
}

/** Epoch milliseconds of an already-validated observation. */
export const observedAtMs = (o: Pick<QueueObservation, 'observedAt'>): number => Date.parse(o.observedAt);
