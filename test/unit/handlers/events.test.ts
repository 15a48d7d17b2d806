import { describe, expect, it } from 'vitest';
import { InvalidEventError, parseEvaluateEvent } from '../../../lambdas/handlers/events';

const envelope = (detailType: string, detail: unknown) => ({
  version: '0',
  id: 'e1',
  'detail-type': detailType,
  source: 'cx-surge.poller',
  account: '000000000000',
  time: '2026-11-27T09:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail,
});
const obs = (queueId: string, waiting = 3) => ({
  queueId,
  observedAt: '2026-11-27T09:00:00Z',
  waiting,
  agentsAvailable: null,
});

describe('parseEvaluateEvent', () => {
  it('reads a chunk event into its observations, in order', () => {
    expect(parseEvaluateEvent(envelope('QueueObservations', { observations: [obs('b'), obs('a')] }))).toEqual(
      {
        kind: 'observations',
        observations: [obs('b'), obs('a')],
        invalid: [],
      },
    );
  });

  it('keeps the valid observations of a chunk and names each invalid entry by index and field', () => {
    const input = parseEvaluateEvent(
      envelope('QueueObservations', {
        observations: [obs('a'), { ...obs('b'), waiting: 1.5 }, { queueId: 'c' }],
      }),
    );

    expect(input.kind === 'observations' && input.observations).toEqual([obs('a')]);
    expect(input.kind === 'observations' && input.invalid).toEqual([
      'detail.observations.1.waiting: must be an integer',
      expect.stringMatching(/^detail\.observations\.2\.observedAt: /),
    ]);
  });

  it.each([
    ['no observations list', {}, /detail\.observations: /],
    ['an empty list', { observations: [] }, /detail\.observations: must hold at least one observation/],
    ['a list that is not one', { observations: 'x' }, /detail\.observations: /],
  ])('rejects a chunk event with %s', (_, detail, message) => {
    expect(() => parseEvaluateEvent(envelope('QueueObservations', detail))).toThrow(InvalidEventError);
    expect(() => parseEvaluateEvent(envelope('QueueObservations', detail))).toThrow(message);
  });

  it('still reads a single-queue QueueObservation event', () => {
    expect(parseEvaluateEvent(envelope('QueueObservation', obs('a')))).toEqual({
      kind: 'observation',
      observation: obs('a'),
    });
  });
});
