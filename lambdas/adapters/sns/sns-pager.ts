import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Page, Pager } from '../../core/ports';
import { DEFAULT_PAGE_SOURCE, pageAttributes } from './pagerduty-event';

export interface SnsPagerOptions {
  readonly client: SNSClient;
  readonly topicArn: string;
  /** PagerDuty `payload.source`: where the page comes from (e.g. the stack name). @default 'cx-surge-controller' */
  readonly source?: string;
}

/** SNS Subject (e-mail subject line): ASCII, no line breaks, under 100 characters. */
export function snsSubject(page: Page): string {
  const ascii =
    `[${page.severity.toUpperCase()}] ${page.action === 'resolve' ? 'RESOLVED: ' : ''}${page.summary}`
      .replace(/[\r\n\t]+/g, ' ')
      .replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= 99 ? ascii : `${ascii.slice(0, 96)}...`;
}

/**
 * The page as an e-mail body: plain text a person reads, not JSON. What happened first, then the facts
 * (details as `key: value` lines), then the dedup key that ties a trigger to its resolve.
 */
export function pageText(page: Page, source: string = DEFAULT_PAGE_SOURCE): string {
  const lines = [
    `${page.action === 'resolve' ? 'RESOLVED' : page.severity.toUpperCase()}: ${page.summary}`,
    '',
    `When:    ${page.at}`,
    `What:    ${page.kind} (${page.reason})`,
    `From:    ${source}`,
  ];
  const details = Object.entries(page.details);
  if (details.length > 0) {
    lines.push('', 'Details:');
    for (const [key, value] of details) {
      lines.push(
        `  ${key}: ${Array.isArray(value) ? value.join(', ') : typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)}`,
      );
    }
  }
  lines.push('', `Incident key: ${page.dedupKey} (the trigger and its resolve share it)`);
  return `${lines.join('\n')}\n`;
}

/**
 * Publishes pages to the controller's SNS topic for e-mail subscribers: a readable plain-text body
 * (`pageText`) and subject. PagerDuty does not read this topic any more: the page sender posts Events v2
 * with the routing key (lambdas/adapters/pagerduty). Message attributes `kind`, `severity`, `action`
 * drive subscription filters (e.g. e-mail only critical pages).
 */
export class SnsPager implements Pager {
  private readonly source: string;

  constructor(private readonly options: SnsPagerOptions) {
    if (!options.topicArn) throw new TypeError('topicArn: must be a non-empty SNS topic ARN');
    this.source = options.source ?? DEFAULT_PAGE_SOURCE;
  }

  async send(page: Page): Promise<void> {
    const attributes = pageAttributes(page);
    await this.options.client.send(
      new PublishCommand({
        TopicArn: this.options.topicArn,
        Subject: snsSubject(page),
        Message: pageText(page, this.source),
        MessageAttributes: Object.fromEntries(
          Object.entries(attributes).map(([name, value]) => [
            name,
            { DataType: 'String', StringValue: value },
          ]),
        ),
      }),
    );
  }
}
