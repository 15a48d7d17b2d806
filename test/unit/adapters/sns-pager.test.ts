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

  it('publishes a PagerDuty Events v2 body with filterable message attributes', async () => {
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
    expect(JSON.parse(input?.Message ?? '')).toEqual({
      event_action: 'trigger',
      dedup_key: 'actuator:tier2-gate:3',
      payload: {
        summary: page.summary,
        source: 'prod-eu',
        severity: 'critical',
        timestamp: '2026-11-27T09:03:00Z',
        class: 'actuator-episode',
        custom_details: { reason: 'tier-activated', actuatorId: 'tier2-gate', queues: ['q-sales'] },
      },
    });
    expect(input?.MessageAttributes).toEqual({
      kind: { DataType: 'String', StringValue: 'actuator-episode' },
      severity: { DataType: 'String', StringValue: 'critical' },
      action: { DataType: 'String', StringValue: 'trigger' },
    });
    expect(input?.Subject).toBe(
      '[CRITICAL] Tier 2 capacity gate activated for Sales (waiting 240 > 200, 3 observations)',
    );
  });

  it('sends a resolve with the same dedup key as its trigger', async () => {
    sns.on(PublishCommand).resolves({});
    const pager = new SnsPager({ client: new SNSClient({ region: 'eu-west-1' }), topicArn: TOPIC });

    await pager.send({ ...page, action: 'resolve', severity: 'info', summary: 'Tier 2 restored' });

    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(JSON.parse(input?.Message ?? '')).toMatchObject({
      event_action: 'resolve',
      dedup_key: 'actuator:tier2-gate:3',
      payload: { source: 'cx-surge-controller' },
    });
    expect(input?.MessageAttributes?.action?.StringValue).toBe('resolve');
  });

  it('propagates a publish failure so the outbox keeps the page for retry', async () => {
    sns.on(PublishCommand).rejects(new Error('Throttling'));
    const pager = new SnsPager({ client: new SNSClient({ region: 'eu-west-1' }), topicArn: TOPIC });

    await expect(pager.send(page)).rejects.toThrow('Throttling');
  });

  it('caps the summary at the 1024 characters PagerDuty accepts', async () => {
    sns.on(PublishCommand).resolves({});
    const pager = new SnsPager({ client: new SNSClient({ region: 'eu-west-1' }), topicArn: TOPIC });

    await pager.send({ ...page, summary: 'x'.repeat(5000) });

    const body = JSON.parse(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '');
    expect(body.payload.summary).toHaveLength(1024);
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
