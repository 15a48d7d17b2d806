import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lambdas/core/errors';
import { parseDuration, parseOverrideRequest } from '../../../lambdas/core/override-request';

const NOW = Date.parse('2026-11-27T09:00:00Z');
const base = { queue: 'sales', tier: '2', state: 'active', reason: 'flash sale' };

describe('parseOverrideRequest', () => {
  it('builds the override with who, why, when it was set and when it ends', () => {
    expect(parseOverrideRequest({ ...base, for: '30m' }, 'arn:aws:iam::1:user/ana', NOW)).toEqual({
      queue: 'sales',
      tier: 2,
      state: 'active',
      until: '2026-11-27T09:30:00Z',
      reason: 'flash sale',
      by: 'arn:aws:iam::1:user/ana',
      setAt: '2026-11-27T09:00:00Z',
    });
  });

  it('holds until cleared when neither --for nor --until is given, and accepts the wildcard queue', () => {
    const o = parseOverrideRequest({ ...base, queue: '*', state: 'inactive' }, 'local:ana', NOW);
    expect(o.until).toBeUndefined();
    expect(o).toMatchObject({ queue: '*', state: 'inactive' });
  });

  it('takes an --until in the future as given', () => {
    expect(parseOverrideRequest({ ...base, until: '2026-11-27T18:00:00Z' }, 'x', NOW).until).toBe(
      '2026-11-27T18:00:00Z',
    );
  });

  it.each([
    [{ ...base, tier: '5' }, "--tier: must be 1, 2 or 3, got '5'"],
    [
      { ...base, tier: '4' },
      '--tier: 4 follows the edge origin alarm (infrastructure) and cannot be overridden here',
    ],
    [{ ...base, tier: undefined }, '--tier: is required: 1, 2 or 3'],
    [{ ...base, queue: ' ' }, "--queue: is required: a queue id, or '*' for every queue"],
    [{ ...base, state: 'on' }, "--state: must be active or inactive, got 'on'"],
    [{ ...base, reason: '  ' }, '--reason: is required: say why (it is paged and shown in status)'],
    [{ ...base, reason: undefined }, '--reason: is required: say why (it is paged and shown in status)'],
    [
      { ...base, until: '2026-11-27T08:59:59Z' },
      '--until: 2026-11-27T08:59:59Z is in the past (now 2026-11-27T09:00:00Z)',
    ],
    [
      { ...base, until: '2026-11-27T09:00:00Z' },
      '--until: 2026-11-27T09:00:00Z is in the past (now 2026-11-27T09:00:00Z)',
    ],
    [
      { ...base, until: '27/11/2026 18:00' },
      "--until: must be an ISO-8601 UTC time like 2026-11-27T18:00:00Z, got '27/11/2026 18:00'",
    ],
    [
      { ...base, until: '2026-11-27T18:00:00+01:00' },
      "--until: must be an ISO-8601 UTC time like 2026-11-27T18:00:00Z, got '2026-11-27T18:00:00+01:00'",
    ],
    [
      { ...base, for: '30m', until: '2026-11-27T18:00:00Z' },
      '--for: and --until conflict: give one of them (or neither, to hold until cleared)',
    ],
    [{ ...base, for: 'soon' }, "--for: must be a duration like 30m, 2h or 1h30m, got 'soon'"],
    [{ ...base, for: '0m' }, "--for: must be a duration like 30m, 2h or 1h30m, got '0m'"],
    [{ ...base, for: '8d' }, '--for: must be at most 7 days from now'],
  ])('rejects %j with one line naming the flag', (request, message) => {
    const attempt = () => parseOverrideRequest(request, 'local:ana', NOW);
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
    expect(message).not.toContain('\n');
  });
});

describe('parseDuration', () => {
  it.each([
    ['30m', 1800],
    ['2h', 7200],
    ['1h30m', 5400],
    ['90s', 90],
    ['1d', 86_400],
  ])('%s is %i seconds', (text, seconds) => expect(parseDuration(text)).toBe(seconds));
  it.each(['', 'm', '30', '1.5h', '-5m', '30 m'])('rejects %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
});
