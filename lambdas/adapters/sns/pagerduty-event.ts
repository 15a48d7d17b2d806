// The page as a PagerDuty Events API v2 event: the SNS message body and the drill's outbox lines.
// No SDK import here, so the local pager can share it without pulling in the SNS client.
import type { Page } from '../../core/ports';

export interface PagerDutyEvent {
  /** Left out: the forwarder subscribed to the topic adds the integration's routing key. */
  readonly routing_key?: string;
  readonly event_action: 'trigger' | 'resolve';
  readonly dedup_key: string;
  readonly payload: {
    readonly summary: string;
    readonly source: string;
    readonly severity: Page['severity'];
    readonly timestamp: string;
    readonly class: Page['kind'];
    readonly custom_details: Readonly<Record<string, unknown>>;
  };
}

/** The Events API v2 rejects a summary longer than this, so we cut it rather than lose the page. */
export const PAGERDUTY_SUMMARY_MAX = 1024;

export const DEFAULT_PAGE_SOURCE = 'cx-surge-controller';

export function toPagerDutyEvent(page: Page, source: string = DEFAULT_PAGE_SOURCE): PagerDutyEvent {
  return {
    event_action: page.action,
    dedup_key: page.dedupKey,
    payload: {
      summary: truncate(page.summary, PAGERDUTY_SUMMARY_MAX),
      source,
      severity: page.severity,
      timestamp: page.at,
      class: page.kind,
      custom_details: { reason: page.reason, ...page.details },
    },
  };
}

/** SNS message attributes, so subscriptions can filter (e.g. e-mail only `severity: critical`). */
export function pageAttributes(page: Page): Record<'kind' | 'severity' | 'action', string> {
  return { kind: page.kind, severity: page.severity, action: page.action };
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
