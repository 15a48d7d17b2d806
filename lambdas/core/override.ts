import * as z from 'zod';
import type { TierNumber } from './config';
import { lazySchema } from './lazy-schema';

/** A manual override of one tier for one queue (or every queue, `'*'`), set by an operator. */
export interface Override {
  /** A queue id, or '*' for every queue. */
  readonly queue: string;
  readonly tier: TierNumber;
  readonly state: 'active' | 'inactive';
  /** ISO-8601 UTC; in force while now < until. Absent: in force until removed. */
  readonly until?: string;
  /** Why (free text, shown in pages and `cx-surge status`). */
  readonly reason: string;
  /** Who set it. */
  readonly by: string;
  /** When it was set (ISO-8601 UTC): keys its operator page, shown by `cx-surge status`. */
  readonly setAt?: string;
}

/** An override as stored or requested (built on first use: lazySchema). */
export const OverrideSchema = lazySchema(
  () =>
    z.strictObject({
      queue: z.string().min(1, "must be a queue id or '*'"),
      tier: z.union([z.literal(1), z.literal(2), z.literal(3)], { message: 'must be 1, 2 or 3' }),
      state: z.enum(['active', 'inactive'], { message: "must be 'active' or 'inactive'" }),
      until: z.iso.datetime({ offset: false, message: 'must be an ISO-8601 UTC timestamp (…Z)' }).optional(),
      reason: z.string().min(1, 'must say why'),
      by: z.string().min(1, 'must say who'),
      setAt: z.iso.datetime({ offset: false, message: 'must be an ISO-8601 UTC timestamp (…Z)' }).optional(),
    }) satisfies z.ZodType<Override>,
);

/** Is the override in force at `now` (epoch ms)? `until` is exclusive: at `until` it has expired. */
export const overrideInForce = (o: Override, now: number): boolean =>
  o.until === undefined || now < Date.parse(o.until);

/**
 * The override that governs (queue, tier) at `now`, if any. A queue-specific override beats a `'*'` one;
 * among equally specific ones the last in the list wins (stores return them in the order they were set).
 */
export function governingOverride(
  overrides: readonly Override[] | undefined,
  queueId: string,
  tier: TierNumber,
  now: number,
): Override | undefined {
  if (!overrides || overrides.length === 0) return undefined;
  let specific: Override | undefined;
  let wildcard: Override | undefined;
  for (const o of overrides) {
    if (o.tier !== tier || !overrideInForce(o, now)) continue;
    if (o.queue === queueId) specific = o;
    else if (o.queue === '*') wildcard = o;
  }
  return specific ?? wildcard;
}
