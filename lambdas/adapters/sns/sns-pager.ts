import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Page, Pager } from '../../core/ports';
import { DEFAULT_PAGE_SOURCE, pageAttributes, toPagerDutyEvent } from './pagerduty-event';

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
 * Publishes pages to the controller's SNS topic. The body is a PagerDuty Events API v2 event (JSON), so
 * a subscribed forwarder can post it unchanged after adding its routing key; e-mail subscribers read
 * the subject and the JSON. Message attributes `kind`, `severity`, `action` drive subscription filters.
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
        Message: JSON.stringify(toPagerDutyEvent(page, this.source)),
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
