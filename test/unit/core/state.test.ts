import { describe, expect, it } from 'vitest';
import { StateError } from '../../../lambdas/core/errors';
import { hydrateQueueState, type QueueState } from '../../../lambdas/core/state';
import { config, feed, minutes, times } from './helpers';

// Stored items are untyped JSON: the patches below reshape them freely.
type Stored = ReturnType<typeof JSON.parse>;

const active = (): QueueState => {
  const { state } = feed(minutes([...times(10, 500), 30]), config()) as { state: QueueState };
  return state;
};

describe('hydrateQueueState', () => {
  it('restores a stored state exactly (plain JSON round trip)', () => {
    const state = active();
    expect(hydrateQueueState(JSON.parse(JSON.stringify(state)))).toEqual(state);
  });

  it('drops keys this version does not write', () => {
    const stored = { ...JSON.parse(JSON.stringify(active())), legacyField: 1 };
    expect(hydrateQueueState(stored)).not.toHaveProperty('legacyField');
  });

  it.each([
    {
      case: 'a newer schemaVersion',
      patch: (s: Stored) => ({ ...s, schemaVersion: 2 }),
      field: 'schemaVersion',
    },
    { case: 'a missing queueId', patch: ({ queueId: _q, ...s }: Stored) => s, field: 'queueId' },
    {
      case: 'a local-time lastObservedAt',
      patch: (s: Stored) => ({ ...s, lastObservedAt: '2026-11-27T09:00:00' }),
      field: 'lastObservedAt',
    },
    {
      case: 'an active tier without activatedAt',
      patch: (s: Stored) => ({
        ...s,
        tiers: { ...s.tiers, tier1: { ...s.tiers.tier1, activatedAt: undefined } },
      }),
      field: 'tiers.tier1.activatedAt',
    },
    {
      case: 'an unknown tier status',
      patch: (s: Stored) => ({
        ...s,
        tiers: { ...s.tiers, tier2: { ...s.tiers.tier2, status: 'half-open' } },
      }),
      field: 'tiers.tier2.status',
    },
    {
      case: 'a negative streak',
      patch: (s: Stored) => ({ ...s, tiers: { ...s.tiers, tier3: { ...s.tiers.tier3, restoreStreak: -1 } } }),
      field: 'tiers.tier3.restoreStreak',
    },
    { case: 'no effective map', patch: ({ effective: _e, ...s }: Stored) => s, field: 'effective' },
  ])('refuses $case, naming the field (never guesses a tier state)', ({ patch, field }) => {
    const stored = patch(JSON.parse(JSON.stringify(active())));
    expect(() => hydrateQueueState(stored)).toThrow(StateError);
    expect(() => hydrateQueueState(stored)).toThrow(
      new RegExp(`^queue state: ${field.replace(/\./g, '\\.')}:`),
    );
  });

  it.each([null, 'x', 42, []])('refuses a non-object (%j)', (json) => {
    expect(() => hydrateQueueState(json)).toThrow(StateError);
  });

  it('accepts an item stored before the flapping window existed (empty window)', () => {
    const stored = JSON.parse(JSON.stringify(active()));
    delete stored.tiers.tier1.recentTransitions;
    expect(hydrateQueueState(stored).tiers.tier1.recentTransitions).toEqual([]);
  });
});
