import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classifyFailure,
  fullJitterDelay,
  isRetryable,
  parseRetryAfter,
} from '../../../lambdas/adapters/genesys/failures';

const NOW = Date.parse('2026-11-27T09:00:00Z');

describe('classifyFailure', () => {
  it('reads an extended SDK response: status, Genesys code and message, Retry-After in ms', () => {
    const failure = classifyFailure(
      {
        status: 429,
        headers: { 'retry-after': '7' },
        body: { code: 'too.many.requests.retry.after', message: 'Rate limit exceeded', status: 429 },
      },
      NOW,
    );

    expect(failure).toEqual({
      kind: 'http',
      status: 429,
      code: 'too.many.requests.retry.after',
      message: 'Rate limit exceeded',
      retryAfterMs: 7000,
    });
  });

  it('reads an axios error from login from its response, not from its own status field', () => {
    const axiosError = {
      isAxiosError: true,
      status: 401,
      message: 'Request failed with status code 401',
      response: {
        status: 401,
        headers: {},
        data: { error: 'invalid_client', error_description: 'client not found' },
      },
    };

    expect(classifyFailure(axiosError, NOW)).toEqual({
      kind: 'http',
      status: 401,
      code: 'invalid_client',
      message: 'client not found',
    });
  });

  it.each([
    [
      'an axios timeout',
      { isAxiosError: true, code: 'ECONNABORTED', message: 'timeout of 3000ms exceeded' },
      'timeout',
    ],
    ['a clarified timeout', { isAxiosError: true, code: 'ETIMEDOUT', message: 'timeout' }, 'timeout'],
    [
      'a refused connection',
      { isAxiosError: true, code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' },
      'network',
    ],
    ['a reset connection', { code: 'ECONNRESET', message: 'socket hang up' }, 'network'],
    ['the SDK refusing a missing parameter', 'Missing the required parameter "flow"', 'other'],
    ['a plain bug', new TypeError('x is undefined'), 'other'],
  ])('classifies %s as %s', (_case, error, kind) => {
    expect(classifyFailure(error, NOW).kind).toBe(kind);
  });
});

describe('isRetryable', () => {
  it.each([
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [409, false],
    [429, true],
    [500, true],
    [502, true],
    [503, true],
    [504, true],
  ])('HTTP %i → %s', (status, expected) => {
    expect(isRetryable({ kind: 'http', status, message: '' })).toBe(expected);
  });

  it('retries timeouts and network errors, never anything else', () => {
    expect(isRetryable({ kind: 'timeout', message: '' })).toBe(true);
    expect(isRetryable({ kind: 'network', code: 'ECONNRESET', message: '' })).toBe(true);
    expect(isRetryable({ kind: 'other', message: '' })).toBe(false);
  });
});

describe('parseRetryAfter', () => {
  it.each([
    ['0', 0],
    ['3', 3000],
    [' 120 ', 120_000],
    ['Fri, 27 Nov 2026 09:00:05 GMT', 5000],
    ['Fri, 27 Nov 2026 08:59:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%j → %j ms', (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });
});

describe('fullJitterDelay', () => {
  it('draws in [0, min(cap, base · 2^retry)) for any retry and any random draw', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 60_000 }),
        (retry, draw, base, cap) => {
          const delay = fullJitterDelay(retry, () => draw, base, cap);
          const ceiling = Math.min(cap, base * 2 ** retry);
          return Number.isInteger(delay) && delay >= 0 && (delay < ceiling || ceiling === 0);
        },
      ),
    );
  });

  it('doubles its ceiling per retry until the cap', () => {
    const top = () => 0.999_999;

    expect([0, 1, 2, 3, 4].map((r) => fullJitterDelay(r, top, 250, 2000))).toEqual([
      249, 499, 999, 1999, 1999,
    ]);
  });
});
