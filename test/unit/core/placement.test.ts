import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lambdas/core/config';
import type { QueueState } from '../../../lambdas/core/decide';
import type { Override } from '../../../lambdas/core/override';
import { planChunks, RELEASE_AFTER_SILENT_MS, releasableQueues } from '../../../lambdas/core/placement';
import { quietState, tier1ActiveState } from '../../support/queue-states';

const NOW = Date.parse('2026-12-02T12:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();
const DAY = RELEASE_AFTER_SILENT_MS;
const config = parseConfig({ queues: [{ id: 'q-configured' }] });

describe('releasableQueues (a removed queue gives its place back)', () => {
  it.each<[string, QueueState, readonly Override[], boolean]>([
    ['a removed queue, quiet, silent for a day', quietState('q-gone', ago(DAY)), [], true],
    ['a queue still in the config', quietState('q-configured', ago(2 * DAY)), [], false],
    ['a removed queue silent for less than a day', quietState('q-gone', ago(DAY - 1)), [], false],
    [
      'a removed queue in surge (its tier held on missing data)',
      tier1ActiveState('q-gone', ago(2 * DAY)),
      [],
      false,
    ],
    [
      'a removed queue switched on by an override of every queue',
      quietState('q-gone', ago(2 * DAY)),
      [{ queue: '*', tier: 2, state: 'active', reason: 'maintenance', by: 'ops' }],
      false,
    ],
    [
      'a removed queue switched on by its own override',
      quietState('q-gone', ago(2 * DAY)),
      [{ queue: 'q-gone', tier: 1, state: 'active', reason: 'drill', by: 'ops' }],
      false,
    ],
    [
      'a removed queue in surge that an override holds off (the surge returns when it ends)',
      tier1ActiveState('q-gone', ago(2 * DAY)),
      [{ queue: 'q-gone', tier: 1, state: 'inactive', reason: 'hold', by: 'ops' }],
      false,
    ],
    [
      'a removed queue an override holds off while quiet',
      quietState('q-gone', ago(2 * DAY)),
      [{ queue: '*', tier: 1, state: 'inactive', reason: 'hold', by: 'ops' }],
      true,
    ],
  ])('%s: %s', (_, state, overrides, expected) => {
    expect(releasableQueues([state], config, overrides, NOW)).toEqual(expected ? [state.queueId] : []);
  });

  it('waits out a flapping window longer than a day (its flapping episode must end first)', () => {
    const long = parseConfig({ flapping: { windowSeconds: 2 * 86_400 } });
    const state = quietState('q-gone', ago(DAY + 60_000));

    expect(releasableQueues([state], long, [], NOW)).toEqual([]);
    expect(releasableQueues([state], long, [], NOW + DAY)).toEqual(['q-gone']);
  });
});

describe('planChunks', () => {
  it('keeps placed queues in their shard and fills the first shard with room, then a fresh one', () => {
    const shards = [
      { shardId: '0000', queueIds: ['a', 'b'] },
      { shardId: '0001', queueIds: ['c'] },
    ];

    expect(planChunks(shards, ['c', 'x', 'a', 'y', 'z'], { capacity: 3 })).toEqual([
      { shardId: '0000', queueIds: ['x', 'a'] },
      { shardId: '0001', queueIds: ['c', 'y', 'z'] },
    ]);
    expect(planChunks([{ shardId: '0000', queueIds: ['a'] }], ['a', 'b'], { capacity: 1 })).toEqual([
      { shardId: '0000', queueIds: ['a'] },
      { shardId: '0001', queueIds: ['b'] },
    ]);
  });
});
