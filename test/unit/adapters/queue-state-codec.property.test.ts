import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeQueueEntry,
  encodeQueueEntry,
  entryVersion,
} from '../../../lambdas/adapters/dynamodb/queue-state-codec';
import { hydrateQueueState, type QueueState } from '../../../lambdas/core/decide';
import { StoredItemError } from '../../../lambdas/core/errors';

// The shard item's entry codec (docs/state-table.md, "Queue shards"): lossless for every value, compact
// for the states the controller writes.

const WHERE = 'QUEUES/0000';
const count = fc.nat({ max: 1_000_000 });
const uuid = fc.uuid();
const ms = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 11, 31) });
/** Every spelling hydrateQueueState accepts: toISOString, no milliseconds, other fractions. */
const isoTime = fc.oneof(
  ms.map((t) => new Date(t).toISOString()),
  ms.map((t) => new Date(t - (t % 1000)).toISOString().replace('.000Z', 'Z')),
  fc
    .tuple(ms, fc.stringMatching(/^[0-9]{1,6}$/))
    .map(([t, frac]) => `${new Date(t).toISOString().slice(0, 19)}.${frac}Z`),
);
const tier = fc.oneof(
  fc.record({
    status: fc.constant('inactive' as const),
    activateStreak: count,
    restoreStreak: count,
    recentTransitions: fc.array(ms, { maxLength: 4 }),
  }),
  fc.record({
    status: fc.constant('active' as const),
    activateStreak: count,
    restoreStreak: count,
    recentTransitions: fc.array(ms, { maxLength: 4 }),
    activatedAt: isoTime,
  }),
);
const queueState = (queueId: fc.Arbitrary<string>) =>
  fc.record(
    {
      schemaVersion: fc.constant(1 as const),
      queueId,
      lastObservedAt: isoTime,
      lastWaiting: count,
      lastAgentsAvailable: fc.option(count, { nil: null }),
      tiers: fc.record({ tier1: tier, tier2: tier, tier3: tier }),
      effective: fc.record({ tier1: fc.boolean(), tier2: fc.boolean(), tier3: fc.boolean() }),
    },
    { requiredKeys: ['schemaVersion', 'queueId', 'lastObservedAt', 'tiers', 'effective'] },
  );

describe('queue entry codec', () => {
  it('gives back exactly every valid QueueState, in the compact form, ISO spellings included', () => {
    fc.assert(
      fc.property(fc.oneof(uuid, fc.string({ minLength: 1, maxLength: 40 })), count, (id, v) =>
        fc.assert(
          fc.property(queueState(fc.constant(id)), (state) => {
            const valid = hydrateQueueState(state); // a state the controller could have written
            const entry = encodeQueueEntry(id, { version: v + 1, state: valid });

            expect(entry.split('|')[1]?.startsWith('=')).toBe(false);
            expect(decodeQueueEntry(WHERE, id, entry)).toEqual({ version: v + 1, state: valid });
            expect(hydrateQueueState(decodeQueueEntry(WHERE, id, entry).state)).toEqual(valid);
          }),
          { numRuns: 20 },
        ),
      ),
      { numRuns: 25 },
    );
  });

  it('gives back any other JSON value unchanged (the JSON form)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const state = JSON.parse(JSON.stringify(value)) as unknown; // -0 and friends as JSON has them
        const entry = encodeQueueEntry('q1', { version: 7, state });
        expect(decodeQueueEntry(WHERE, 'q1', entry)).toEqual({ version: 7, state });
      }),
    );
  });

  it('keeps a quiet queue with a UUID id under 110 bytes, key included', () => {
    const id = '0b5e2f7a-3c1d-4e8f-9a6b-2d4c6e8f0a1b';
    const quiet: QueueState = {
      schemaVersion: 1,
      queueId: id,
      lastObservedAt: '2026-11-30T22:41:00.000Z',
      lastWaiting: 12,
      lastAgentsAvailable: 4,
      tiers: {
        tier1: { status: 'inactive', activateStreak: 0, restoreStreak: 10, recentTransitions: [] },
        tier2: { status: 'inactive', activateStreak: 0, restoreStreak: 5, recentTransitions: [] },
        tier3: { status: 'inactive', activateStreak: 0, restoreStreak: 10, recentTransitions: [] },
      },
      effective: { tier1: false, tier2: false, tier3: false },
    };
    const entry = encodeQueueEntry(id, { version: 43_830, state: quiet });
    // Item bytes of one map member: its name, its string value, and DynamoDB's 1 byte per member.
    const bytes = Buffer.byteLength(id) + Buffer.byteLength(entry) + 1;
    console.log(`quiet queue entry: ${bytes} bytes (${entry})`);
    expect(bytes).toBeLessThanOrEqual(110);
    expect(Buffer.byteLength(JSON.stringify(quiet))).toBeGreaterThan(4 * (bytes - id.length));
  });

  it.each([
    ['no version', '-|…', /has no version/],
    ['a version of 0', '0|=1', /positive integer/],
    ['a field missing', '1|lx0|a|1|0|0.0|0.0', /expected 7 fields/],
    ['a bad streak', '1|lx0|a|1|0|0.-1|0.0|0.0', /bad restoreStreak/],
    ['bad JSON', '1|={oops', /not a valid entry/],
    ['not a string', 42, /must be a string/],
  ])('fails an entry with %s with a StoredItemError naming the item and the queue', (_, entry, message) => {
    const error = (() => {
      try {
        decodeQueueEntry(WHERE, 'q-b', entry);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(StoredItemError);
    expect(error).toMatchObject({ key: WHERE, field: 'states.q-b' });
    expect((error as Error).message).toMatch(message);
  });

  it('reads the version alone without decoding the state', () => {
    expect(entryVersion(WHERE, 'q', 'z|anything at all')).toBe(35);
  });
});
