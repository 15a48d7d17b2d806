import { appendFile } from 'node:fs/promises';
import type { Page, Pager } from '../../core/ports';
import {
  DEFAULT_PAGE_SOURCE,
  type PagerDutyEvent,
  pageAttributes,
  toPagerDutyEvent,
} from '../sns/pagerduty-event';

/** One delivered page as the drill records it: what SNS would have carried. */
export interface LocalPageRecord {
  readonly attributes: ReturnType<typeof pageAttributes>;
  readonly event: PagerDutyEvent;
}

export interface LocalOutboxPagerOptions {
  /** Append each page as one JSON line here; in memory only when absent. */
  readonly file?: string;
  readonly source?: string;
}

/**
 * The drill's stand-in for the SNS topic: keeps every delivered page (same body and attributes as
 * SnsPager) in `delivered` and optionally in a JSON-lines file. `failNext` injects delivery failures so
 * a drill can show that paging failures are retried and never block switching.
 */
export class LocalOutboxPager implements Pager {
  readonly delivered: LocalPageRecord[] = [];
  private failuresToInject = 0;

  constructor(private readonly options: LocalOutboxPagerOptions = {}) {}

  /** The next `count` sends throw, as an unreachable SNS endpoint would. */
  failNext(count = 1): void {
    this.failuresToInject = count;
  }

  async send(page: Page): Promise<void> {
    if (this.failuresToInject > 0) {
      this.failuresToInject--;
      throw new Error('local pager: injected delivery failure');
    }
    const record: LocalPageRecord = {
      attributes: pageAttributes(page),
      event: toPagerDutyEvent(page, this.options.source ?? DEFAULT_PAGE_SOURCE),
    };
    if (this.options.file) await appendFile(this.options.file, `${JSON.stringify(record)}\n`, 'utf8');
    this.delivered.push(record);
  }
}
