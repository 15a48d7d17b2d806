// A token bucket, pure: state in, state and the wait out, time passed in. Genesys counts requests per
// OAuth token per minute; a client that paces itself with a bucket of `capacity` refilled at
// `ratePerMinute` never sends more than capacity + ratePerMinute requests in any 60 s window, so
// choosing capacity + ratePerMinute ≤ the server's limit keeps it clear of 429s (docs/dr.md).

export interface TokenBucketState {
  /** Tokens available at `at` (fractional while refilling). */
  readonly tokens: number;
  /** Epoch ms the state was computed at. */
  readonly at: number;
}

export interface TokenBucketLimits {
  readonly capacity: number;
  readonly ratePerMinute: number;
}

export const fullBucket = (limits: TokenBucketLimits, now: number): TokenBucketState => ({
  tokens: limits.capacity,
  at: now,
});

/**
 * Takes one token at `now` or later: returns when the call may go (`waitMs` from now) and the state
 * after it. Calls are granted in order, so a caller that sleeps `waitMs` and then calls keeps the rate.
 */
export function takeToken(
  state: TokenBucketState,
  limits: TokenBucketLimits,
  now: number,
): { readonly waitMs: number; readonly state: TokenBucketState } {
  const msPerToken = 60_000 / limits.ratePerMinute;
  const from = Math.max(now, state.at);
  const refilled = Math.min(limits.capacity, state.tokens + (from - state.at) / msPerToken);
  if (refilled >= 1) return { waitMs: from - now, state: { tokens: refilled - 1, at: from } };
  const waitMs = Math.ceil((1 - refilled) * msPerToken);
  return { waitMs: from - now + waitMs, state: { tokens: 0, at: from + waitMs } };
}

/**
 * The bucket a client should use under a server limit of `limitPerMinute` per fixed minute: `burst`
 * at once, then the rest of the minute's budget spread evenly.
 */
export function clientLimits(limitPerMinute: number, burst: number): TokenBucketLimits {
  const capacity = Math.max(1, Math.min(burst, Math.floor(limitPerMinute / 2)));
  return { capacity, ratePerMinute: limitPerMinute - capacity };
}
