import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GenesysApiError } from '../../../lambdas/adapters/genesys/errors';
import {
  isoInstant,
  observationQuery,
  observationsFromResponse,
} from '../../../lambdas/adapters/genesys/observations';

const AT = '2026-11-27T09:00:00Z';
const waitingGroup = (queueId: string, mediaType: string, count: number) => ({
  group: { queueId, mediaType },
  data: [{ metric: 'oWaiting', stats: { count } }],
});

describe('observationQuery', () => {
  it('asks for oWaiting, oOnQueueUsers and oMemberUsers with one queueId predicate per queue, or-ed', () => {
    expect(observationQuery(['a', 'b'])).toEqual({
      filter: {
        type: 'or',
        predicates: [
          { type: 'dimension', dimension: 'queueId', operator: 'matches', value: 'a' },
          { type: 'dimension', dimension: 'queueId', operator: 'matches', value: 'b' },
        ],
      },
      metrics: ['oWaiting', 'oOnQueueUsers', 'oMemberUsers'],
    });
  });
});

describe('observationsFromResponse', () => {
  it('sums waiting over media types, takes IDLE users only, and reports agents unknown where no user metrics came back', () => {
    const body = {
      results: [
        waitingGroup('q1', 'voice', 30),
        waitingGroup('q1', 'chat', 12),
        {
          group: { queueId: 'q1' },
          data: [
            { metric: 'oOnQueueUsers', qualifier: 'IDLE', stats: { count: 4 } },
            { metric: 'oOnQueueUsers', qualifier: 'INTERACTING', stats: { count: 9 } },
            { metric: 'oOnQueueUsers', qualifier: 'NOT_RESPONDING', stats: { count: 1 } },
          ],
        },
        { group: { queueId: 'q2' } },
        waitingGroup('not-asked', 'voice', 99),
      ],
    };

    expect(observationsFromResponse(['q1', 'q2', 'q3'], body, AT)).toEqual([
      { queueId: 'q1', observedAt: AT, waiting: 42, agentsAvailable: 4 },
      { queueId: 'q2', observedAt: AT, waiting: 0, agentsAvailable: null },
      { queueId: 'q3', observedAt: AT, waiting: 0, agentsAvailable: null },
    ]);
  });

  it('reads a user group without an IDLE entry as 0 idle agents (zero counts are omitted), not unknown', () => {
    const body = {
      results: [
        waitingGroup('q1', 'voice', 250),
        { group: { queueId: 'q1' }, data: [{ metric: 'oMemberUsers', stats: { count: 12 } }] },
      ],
    };

    expect(observationsFromResponse(['q1'], body, AT)).toEqual([
      { queueId: 'q1', observedAt: AT, waiting: 250, agentsAvailable: 0 },
    ]);
  });

  it('treats an empty body (no results at all) as every queue at zero waiting, agents unknown', () => {
    expect(observationsFromResponse(['q1'], {}, AT)).toEqual([
      { queueId: 'q1', observedAt: AT, waiting: 0, agentsAvailable: null },
    ]);
  });

  it.each([
    ['results that are not an array', { results: {} }],
    ['data that is not an array', { results: [{ group: { queueId: 'q1' }, data: 'x' }] }],
    ['a negative count', { results: [waitingGroup('q1', 'voice', -1)] }],
    ['a fractional count', { results: [waitingGroup('q1', 'voice', 1.5)] }],
  ])('refuses %s as an invalid response', (_case, body) => {
    expect(() => observationsFromResponse(['q1'], body, AT)).toThrow(GenesysApiError);
  });

  it('waiting is the sum of the groups, however the API splits it across media types', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('voice', 'chat', 'message', 'email', 'callback'), fc.nat(500)), {
          maxLength: 8,
        }),
        (groups) => {
          const body = { results: groups.map(([media, n]) => waitingGroup('q', media, n)) };
          const [observation] = observationsFromResponse(['q'], body, AT);
          return observation?.waiting === groups.reduce((sum, [, n]) => sum + n, 0);
        },
      ),
    );
  });
});

describe('isoInstant', () => {
  it.each([
    [Date.parse('2026-11-27T09:00:00Z'), '2026-11-27T09:00:00Z'],
    [Date.parse('2026-11-27T09:00:00.250Z'), '2026-11-27T09:00:00.250Z'],
  ])('writes %i as %s', (ms, iso) => {
    expect(isoInstant(ms)).toBe(iso);
  });
});
