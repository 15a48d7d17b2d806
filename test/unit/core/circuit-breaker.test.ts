import { describe, expect, it } from 'vitest';
import {
  admission,
  afterFailure,
  afterSuccess,
  type BreakerState,
  breakerPolicy,
  circuitOpenPage,
  countsAsFailure,
  DEFAULT_BREAKER_POLICY,
  electProbe,
  hydrateBreakerState,
  INITIAL_BREAKER_STATE,
} from '../../../lambdas/core/circuit-breaker';
import { StateError } from '../../../lambdas/core/errors';

const T0 = Date.parse('2026-11-27T09:00:00Z');
const policy = DEFAULT_BREAKER_POLICY;
const fail = (s: BreakerState, at: number, r = 0, owner?: string) =>
  afterFailure(s, { at, error: 'HTTP 503 service.unavailable' }, policy, () => r, owner);

describe('circuit breaker', () => {
  it('opens on the 5th consecutive failure, with 30 s plus 0–2 s of jitter', () => {
    let s: BreakerState = INITIAL_BREAKER_STATE;
    for (let i = 1; i <= 4; i++) {
      const step = fail(s, T0 + i * 1000);
      expect(step.transition).toBeUndefined();
      s = step.next;
    }
    const fifth = fail(s, T0 + 5000, 0.9999);
    expect(fifth.transition).toEqual({ at: T0 + 5000, from: 'closed', to: 'open', episode: 1 });
    expect(fifth.next).toMatchObject({ status: 'open', openedAt: T0 + 5000, openMs: 30_000 });
    expect(fifth.next.status === 'open' && fifth.next.openUntil).toBe(T0 + 5000 + 30_000 + 2000);
    expect(fifth.next.status === 'open' && fifth.next.cause).toMatchObject({
      trigger: 'consecutive-failures',
      consecutiveFailures: 5,
      failures: 5,
      calls: 5,
    });
  });

  it('a success in between restarts the streak', () => {
    let s: BreakerState = INITIAL_BREAKER_STATE;
    for (let i = 0; i < 4; i++) s = fail(s, T0 + i).next;
    s = afterSuccess(s, T0 + 10, policy).next;
    for (let i = 0; i < 4; i++) s = fail(s, T0 + 20 + i).next;
    expect(s.status).toBe('closed');
  });

  it('opens on ≥ 50 % failures of ≥ 10 calls in the window, not on 9 calls', () => {
    let s: BreakerState = INITIAL_BREAKER_STATE;
    // success, failure, success, failure …: never 5 in a row
    for (let i = 0; i < 8; i++)
      s = (i % 2 ? fail(s, T0 + i * 1000) : afterSuccess(s, T0 + i * 1000, policy)).next;
    s = afterSuccess(s, T0 + 8000, policy).next; // 9 calls, 4 failures
    expect(s.status).toBe('closed');
    const step = fail(s, T0 + 9000); // 10 calls, 5 failures = 50 %
    expect(step.next.status).toBe('open');
    expect(step.next.status === 'open' && step.next.cause.trigger).toBe('failure-rate');
  });

  it('forgets calls older than the window', () => {
    let s: BreakerState = INITIAL_BREAKER_STATE;
    for (let i = 0; i < 8; i++)
      s = (i % 2 ? fail(s, T0 + i * 1000) : afterSuccess(s, T0 + i * 1000, policy)).next;
    s = afterSuccess(s, T0 + 8000, policy).next;
    // 2 minutes later the 9 old calls have left the window: 1 call, 1 failure, streak 1
    expect(fail(s, T0 + 120_000).next.status).toBe('closed');
  });

  it('half-opens after the open period, elects one probe, and closes after 2 successful probes', () => {
    let s = fail(
      fail(fail(fail(fail(INITIAL_BREAKER_STATE, T0).next, T0).next, T0).next, T0).next,
      T0,
      0,
    ).next;
    expect(admission(s, T0 + 29_999)).toBe('reject');
    expect(electProbe(s, 'a', T0 + 29_999, policy)).toBeUndefined();
    const first = electProbe(s, 'a', T0 + 30_000, policy);
    expect(first?.transition).toMatchObject({ from: 'open', to: 'half-open' });
    s = first?.next as BreakerState;
    expect(electProbe(s, 'b', T0 + 30_001, policy)).toBeUndefined(); // a holds the lease
    expect(afterSuccess(s, T0 + 30_100, policy, 'b').next).toBe(s); // not b's to report
    s = afterSuccess(s, T0 + 30_100, policy, 'a').next;
    expect(s).toMatchObject({ status: 'half-open', probeSuccesses: 1 });
    s = electProbe(s, 'b', T0 + 30_200, policy)?.next as BreakerState;
    const closed = afterSuccess(s, T0 + 30_300, policy, 'b');
    expect(closed.transition).toEqual({ at: T0 + 30_300, from: 'half-open', to: 'closed', episode: 1 });
    expect(closed.next).toEqual({ status: 'closed', episode: 1, consecutiveFailures: 0, window: [] });
  });

  it('a failed probe re-opens with the open period doubled, capped at 10 minutes', () => {
    let s = fail(
      fail(fail(fail(fail(INITIAL_BREAKER_STATE, T0).next, T0).next, T0).next, T0).next,
      T0,
      0,
    ).next;
    const periods: number[] = [];
    let now = T0;
    for (let i = 0; i < 8; i++) {
      now = (s.status === 'open' ? s.openUntil : now) + 1;
      s = electProbe(s, 'p', now, policy)?.next as BreakerState;
      s = fail(s, now, 0, 'p').next;
      periods.push(s.status === 'open' ? s.openMs / 1000 : -1);
    }
    expect(periods).toEqual([60, 120, 240, 480, 600, 600, 600, 600]);
    expect(s.episode).toBe(1); // one episode however often it re-opens
  });

  it.each([
    ['a 503', { status: 503 }, true],
    ['a 429 after retries', { status: 429 }, true],
    ['a 400', { status: 400 }, false],
    ['a 404', { status: 404 }, false],
    ['an error marked retryable (timeout, network, 5xx)', { retryable: true, status: 400 }, true],
    ['an error marked not retryable (auth)', { retryable: false }, false],
    ['an explicit breakerFailure wins', { breakerFailure: false, retryable: true }, false],
    ['an AWS SDK 500', { $metadata: { httpStatusCode: 500 } }, true],
    ['an AWS SDK 400', { $metadata: { httpStatusCode: 400 } }, false],
    ['a socket error', new Error('ECONNRESET'), true],
  ])('counts %s as failure: %s', (_what, error, counted) => {
    expect(countsAsFailure(error)).toBe(counted);
  });

  it('hydrate names the bad field', () => {
    expect(() => hydrateBreakerState({ status: 'open', episode: 1 })).toThrow(StateError);
    expect(() =>
      hydrateBreakerState({ status: 'closed', episode: 0, consecutiveFailures: -1, window: [] }),
    ).toThrow(/consecutiveFailures/);
  });

  it('policy validation names the field', () => {
    expect(() => breakerPolicy({ failureRatePercent: 0 })).toThrow(/failureRatePercent/);
    expect(() => breakerPolicy({ openSeconds: 60, maxOpenSeconds: 30 })).toThrow(/maxOpenSeconds/);
    expect(breakerPolicy({ openSeconds: 300 }).openSeconds).toBe(300);
  });

  it('the circuit-open page says what is happening in numbers, and resolve shares the key', () => {
    const cause = {
      trigger: 'failure-rate' as const,
      consecutiveFailures: 2,
      calls: 12,
      failures: 7,
      lastError: 'HTTP 503',
    };
    const trigger = circuitOpenPage('genesys', { episode: 3, openedAt: T0, cause }, 'trigger', T0);
    expect(trigger.summary).toBe(
      'Circuit genesys OPEN since 09:00:00Z: 7 of 12 calls failed (58 %); calls fail fast, probed until it recovers. Last error: HTTP 503',
    );
    expect(trigger).toMatchObject({
      kind: 'circuit-open',
      action: 'trigger',
      dedupKey: 'circuit-open:genesys:3',
    });
    const resolve = circuitOpenPage('genesys', { episode: 3, openedAt: T0, cause }, 'resolve', T0 + 60_000);
    expect(resolve.dedupKey).toBe(trigger.dedupKey);
    expect(resolve.summary).toMatch(/closed at 09:01:00Z/);
  });
});
