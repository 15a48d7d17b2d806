import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SnsPager, snsSubject } from '../../../lambdas/adapters/sns';
import type { Page } from '../../../lambdas/core/ports';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:cx-surge-pages';
const page: Page = {
  kind: 'actuator-episode',
  dedupKey: 'actuator:tier2-gate:3',
  action: 'trigger',
  severity: 'critical',
  summary: 'Tier 2 capacity gate activated for Sales (waiting 240 > 200, 3 observations)',
  reason: 'tier-activated',
  at: '2026-11-27T09:03:00Z',
  details: { actuatorId: 'tier2-gate', queues: ['q-sales'] },
};

describe('SnsPager', () => {
  const sns = mockClient(SNSClient);
  afterEach(() => sns.reset());

  it('publishes readable plain text for e-mail, with filterable message attributes', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const pager = new SnsPager({
      client: new SNSClient({ region: 'eu-west-1' }),
      topicArn: TOPIC,
      source: 'prod-eu',
    });

    await pager.send(page);

    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input?.TopicArn).toBe(TOPIC);
    expect(input?.Message).toBe(
      [
        'CRITICAL: Tier 2 capacity gate activated for Sales (waiting 240 > 200, 3 observations)',
        '',
        'When:    2026-11-27T09:03:00Z',
        'What:    actuator-episode (tier-activated)',
        'From:    prod-eu',
        '',
        'Details:',
        '  actuatorId: tier2-gate',
        '  queues: q-sales',
        '',
        'Incident key: actuator:tier2-gate:3 (the trigger and its resolve share it)',
        '',
      ].join('\n'),
    );
    expect(input?.MessageAttributes).toEqual({
      kind: { DataType: 'String', StringValue: 'actuator-episode' },
      severity: { DataType: 'String', StringValue: 'critical' },
      action: { DataType: 'String', StringValue: 'trigger' },
    });
    expect(input?.Subject).toBe(
      '[CRITICAL] Tier 2 capacity gate activated for Sales (waiting 240 > 200, 3 observations)',
    );
  });

  it('marks a resolve and names the same incident key as its trigger', async () => {
    sns.on(PublishCommand).resolves({});
    const pager = new SnsPager({ client: new SNSClient({ region: 'eu-west-1' }), topicArn: TOPIC });

    await pager.send({ ...page, action: 'resolve', severity: 'info', summary: 'Tier 2 restored' });

    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.Message).toMatch(/^RESOLVED: Tier 2 restored\n/);
    expect(input?.Message).toContain('Incident key: actuator:tier2-gate:3');
    expect(input?.MessageAttributes?.action?.StringValue).toBe('resolve');
  });

  it('propagates a publish failure so the outbox keeps the page for retry', async () => {
    sns.on(PublishCommand).rejects(new Error('Throttling'));
    const pager = new SnsPager({ client: new SNSClient({ region: 'eu-west-1' }), topicArn: TOPIC });

    await expect(pager.send(page)).rejects.toThrow('Throttling');
  });

  it('refuses to be built without a topic', () => {
    expect(() => new SnsPager({ client: new SNSClient({}), topicArn: '' })).toThrow(/topicArn/);
  });
});

describe('snsSubject', () => {
  it.each([
    [
      'prefixes severity',
      page,
      '[CRITICAL] Tier 2 capacity gate activated for Sales (waiting 240 > 200, 3 observations)',
    ],
    [
      'marks resolves',
      { ...page, action: 'resolve', severity: 'info', summary: 'Tier 2 off' },
      '[INFO] RESOLVED: Tier 2 off',
    ],
    [
      'replaces non-ASCII and line breaks',
      { ...page, summary: 'waiting ≥ 200\nnow' },
      '[CRITICAL] waiting ? 200 now',
    ],
  ] as const)('%s', (_, input, expected) => {
    expect(snsSubject(input as Page)).toBe(expected);
  });

  it('stays under the 100 characters SNS allows', () => {
    const subject = snsSubject({ ...page, summary: 'y'.repeat(300) });

    expect(subject.length).toBeLessThan(100);
    expect(subject.endsWith('...')).toBe(true);
  });
});
