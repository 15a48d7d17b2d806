import { describe, expect, it } from 'vitest';
import type { Actuator } from '../../../lambdas/core/config';
import {
  boundedDedupKey,
  MAX_DEDUP_KEY_LENGTH,
  pagePriority,
  staleObservationsPage,
  switchFailingPage,
} from '../../../lambdas/core/pages';
import { actuatorEpisodeKey } from '../../../lambdas/core/persistence';

const T0 = Date.parse('2026-11-27T09:00:00Z');
const actuator: Actuator = { id: 'a1', tier: 1, queues: ['*'], type: 'notify-only' };

describe('boundedDedupKey', () => {
  it('keeps a key that fits as it is', () => {
    expect(boundedDedupKey('stale:sales:2026-11-27T09:00:00Z')).toBe('stale:sales:2026-11-27T09:00:00Z');
  });

  it('bounds keys built from a 240-character queue id, keeping them readable and distinct', () => {
    const long = 'q'.repeat(240);
    const a = staleObservationsPage(`${long}-a`, '2026-11-27T09:00:00Z', 'trigger', T0).dedupKey;
    const b = staleObservationsPage(`${long}-b`, '2026-11-27T09:00:00Z', 'trigger', T0).dedupKey;
    expect(a.length).toBeLessThanOrEqual(MAX_DEDUP_KEY_LENGTH);
    expect(a.startsWith('stale:qqqq')).toBe(true);
    expect(a).not.toBe(b);
    expect(boundedDedupKey(`stale:${long}-a:2026-11-27T09:00:00Z`)).toBe(a); // stable
    expect(actuatorEpisodeKey('x'.repeat(300), 7).length).toBe(MAX_DEDUP_KEY_LENGTH);
  });
});

describe('pagePriority', () => {
  it('puts a new trigger before a backlog of stale pages, and a trigger before its resolve', () => {
    const stale = staleObservationsPage('q', '2026-11-27T09:00:00Z', 'trigger', T0);
    const failing = switchFailingPage(actuator, 'active', 0, 'trigger', 'boom', T0);
    const resolved = switchFailingPage(actuator, 'active', 0, 'resolve', undefined, T0);
    expect(pagePriority(failing)).toBeLessThan(pagePriority(stale));
    expect(pagePriority(failing)).toBeLessThan(pagePriority(resolved));
  });
});
